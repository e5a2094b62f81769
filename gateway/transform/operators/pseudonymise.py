"""``pseudonymise``: a text value becomes a keyed token, stable per key and domain.

See :mod:`gateway.transform.pseudonyms` and docs/pseudonyms.md for the canonical form and the
token format. ``None`` stays ``None``: an absent value is not turned into a token.

``with_fields`` names further record fields that go into the same token (a buyer known by name
*and* country): each is canonicalised on its own and length-prefixed in the MAC input, never
joined with a separator, so no character in a value can move a field boundary. Each of them
must hold non-empty text, or the record is withheld.

Tokens are memoised per operator (so per key and domain) in a bounded LRU of
:data:`MEMO_SIZE` entries keyed by the raw text values: many records share a buyer, and the
canonical form and HMAC are the costly part. The memo lives ONLY in memory, in this process, for
the life of the operator set; it is never written anywhere, never logged and never shown in a
``repr``. Only successful tokens are memoised: a refused value is checked again each time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final, NoReturn

from pydantic import Field, field_validator

from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.errors import ConfigError
from gateway.model import POLICY_FIELDS
from gateway.transform.context import JSONValue, OperatorContext, OperatorResult, RecordContext
from gateway.transform.errors import OperatorError
from gateway.transform.operators.base import Operator, OperatorParams
from gateway.transform.pseudonyms import DOMAIN_PATTERN, canonicalise, token

_MAX_WITH = 4
#: Tokens memoised per operator (in memory only).
MEMO_SIZE: Final = 4096


class _Refused(Exception):
    """A text value the token cannot be made of; ``reason`` never holds the value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _memo(key: PseudonymKey, domain: str, with_fields: tuple[str, ...]) -> Callable[..., str]:
    """The token of ``(value, *more)`` text values, memoised (in memory only; see module doc)."""

    @lru_cache(maxsize=MEMO_SIZE)
    def memoised(value: str, *more: str) -> str:
        canonical = canonicalise(value)
        if not canonical:
            raise _Refused("value is empty after canonicalisation")
        parts = []
        for name, text in zip(with_fields, more, strict=True):
            part = canonicalise(text)
            if not part:
                raise _Refused(f"field {name} is empty after canonicalisation")
            parts.append(part)
        try:
            return token(key, domain, canonical, *parts)
        except ValueError as exc:
            raise _Refused("value too long") from exc

    return memoised


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
        self._token = _memo(key, domain, with_fields)

    @classmethod
    def create(cls, name: str, params: OperatorParams, context: OperatorContext) -> Pseudonymise:
        assert isinstance(params, PseudonymiseParams)
        if context.pseudonym_key is None:
            raise ConfigError(f"operator {name}: pseudonymise needs a pseudonymisation key")
        return cls(name, context.pseudonym_key, params.domain, params.with_fields)

    def apply(self, value: JSONValue, ctx: RecordContext) -> OperatorResult:
        return self.apply_to(value, ctx.policy_input, ctx.field)

    def apply_to(self, value: JSONValue, record: Mapping[str, Any], field: str) -> OperatorResult:
        if value is None:
            return None
        if not isinstance(value, str):
            self.refuse(field, "only text values can be pseudonymised (value)")
        more = [record.get(name) for name in self.with_fields] if self.with_fields else ()
        if more and not all(isinstance(text, str) for text in more):
            self._refuse_more(value, more, field)
        try:
            return self._token(value, *more)
        except _Refused as refused:
            raise OperatorError(self.type_name, field, refused.reason) from None

    def _refuse_more(self, value: str, more: Sequence[Any], field: str) -> NoReturn:
        """The first refusal, in check order, when a further field holds no text."""
        if not canonicalise(value):
            self.refuse(field, "value is empty after canonicalisation")
        for name, text in zip(self.with_fields, more, strict=True):
            if not isinstance(text, str):
                self.refuse(field, f"only text values can be pseudonymised (field {name})")
            if not canonicalise(text):
                self.refuse(field, f"field {name} is empty after canonicalisation")
        raise AssertionError("a further field holds no text")  # pragma: no cover
