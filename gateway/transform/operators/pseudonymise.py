"""``pseudonymise``: a text value becomes a keyed token, stable per key and domain.

See :mod:`gateway.transform.pseudonyms` and docs/pseudonyms.md for the canonical form and the
token format. ``None`` stays ``None``: an absent value is not turned into a token.
"""

from __future__ import annotations

from pydantic import Field

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.errors import ConfigError
from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.errors import OperatorError
from gateway.transform.operators.base import Operator, OperatorParams
from gateway.transform.pseudonyms import DOMAIN_PATTERN, canonicalise, token


class PseudonymiseParams(OperatorParams):
    """``domain`` separates token spaces: the same name in two domains gives unrelated tokens."""

    domain: str = Field(strict=True, pattern=DOMAIN_PATTERN)


class Pseudonymise(Operator):
    """Replace a text value by its keyed pseudonym."""

    type_name = "pseudonymise"
    Params = PseudonymiseParams

    def __init__(self, name: str, key: PseudonymKey, domain: str) -> None:
        super().__init__(name)
        self._key = key
        self.domain = domain

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Pseudonymise:
        assert isinstance(params, PseudonymiseParams)
        if context.pseudonym_key is None:
            raise ConfigError(f"operator {name}: pseudonymise needs a pseudonymisation key")
        return cls(name, context.pseudonym_key, params.domain)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(ctx, "only text values can be pseudonymised")
        canonical = canonicalise(value)
        if not canonical:
            self.fail(ctx, "value is empty after canonicalisation")
        try:
            return token(self._key, self.domain, canonical)
        except ValueError as exc:
            raise OperatorError(self.type_name, ctx.field, "value too long") from exc
