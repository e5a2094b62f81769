"""``pseudonymise``: a text value becomes a keyed token, stable per key and domain.

See :mod:`gateway.transform.pseudonyms` and docs/pseudonyms.md for the canonical form and the
token format. ``None`` stays ``None``: an absent value is not turned into a token.

``with_fields`` names further record fields that go into the same token (a buyer known by name
*and* country): each is canonicalised on its own and length-prefixed in the MAC input, never
joined with a separator, so no character in a value can move a field boundary. Each of them
must hold non-empty text, or the record is withheld.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.errors import ConfigError
from gateway.model import POLICY_FIELDS
from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.errors import OperatorError
from gateway.transform.operators.base import Operator, OperatorParams
from gateway.transform.pseudonyms import DOMAIN_PATTERN, canonicalise, token

_MAX_WITH = 4


class PseudonymiseParams(OperatorParams):
    """``domain`` separates token spaces: the same name in two domains gives unrelated tokens.
    ``with_fields`` adds further record fields (at most four, no repeats) to the token."""

    domain: str = Field(strict=True, pattern=DOMAIN_PATTERN)
    with_fields: tuple[str, ...] = Field(default=(), max_length=_MAX_WITH)

    @field_validator("with_fields")
    @classmethod
    def _known(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if any(name not in POLICY_FIELDS for name in names):
            raise ValueError("with_fields names a field the record does not have")
        if len(set(names)) != len(names):
            raise ValueError("with_fields repeats a field")
        return names


class Pseudonymise(Operator):
    """Replace a text value by its keyed pseudonym."""

    type_name = "pseudonymise"
    Params = PseudonymiseParams

    def __init__(
        self, name: str, key: PseudonymKey, domain: str, with_fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(name)
        self._key = key
        self.domain = domain
        self.with_fields = with_fields

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Pseudonymise:
        assert isinstance(params, PseudonymiseParams)
        if context.pseudonym_key is None:
            raise ConfigError(f"operator {name}: pseudonymise needs a pseudonymisation key")
        return cls(name, context.pseudonym_key, params.domain, params.with_fields)

    def _canonical(self, value: JSONValue, ctx: RecordContext, what: str) -> str:
        if not isinstance(value, str):
            self.fail(ctx, f"only text values can be pseudonymised ({what})")
        canonical = canonicalise(value)
        if not canonical:
            self.fail(ctx, f"{what} is empty after canonicalisation")
        return canonical

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        if value is None:
            return None
        canonical = self._canonical(value, ctx, "value")
        more = [self._canonical(ctx.get(f), ctx, f"field {f}") for f in self.with_fields]
        try:
            return token(self._key, self.domain, canonical, *more)
        except ValueError as exc:
            raise OperatorError(self.type_name, ctx.field, "value too long") from exc
