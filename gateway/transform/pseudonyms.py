"""Keyed pseudonyms over a versioned canonical form (docs/pseudonyms.md).

Canonical form ``c1`` of a text value, in this order:

1. remove the zero-width characters U+200B, U+200C, U+200D, U+2060 and U+FEFF;
2. Unicode NFKC, then ``str.casefold()``, then NFKC again;
3. replace every run of whitespace (``str.isspace()``) by one U+0020, then strip.

Zero-width characters go first so they cannot block composition ("e", ZWSP, U+0301 merges with
"é"), and the second NFKC re-composes what case folding decomposes; both make the form
idempotent. Confusables from other scripts (Cyrillic U+0430 and Latin "a") are deliberately kept
apart: merging them would merge distinct legal names.

The MAC input is injective and domain-separated::

    b"ecg-pseudonym\\x00c1\\x00" || u32be(len(domain)) || domain || u32be(len(canon)) || canon

A token over several fields (a buyer's name *and* country) appends one more length-prefixed part
per further field, each canonicalised on its own. Parts are never joined with a separator, so no
character inside a value (``|``, a tab, U+001F, the full-width U+FF5C) can move a field
boundary: (``A|B``, ``C``) and (``A``, ``B|C``) are different inputs, and a one-field input never
equals a two-field one. The token is ``p1.<kid>.<base64url(HMAC-SHA256(key, input)[:16])>``
(128 bits, unpadded).

Two shortcuts give the same bytes as the steps above: ASCII text (unchanged by NFKC, with
``casefold`` equal to ``lower``) is only lower-cased and whitespace-collapsed, and each domain's
length-prefixed MAC prefix is built once.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
import weakref
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Final

from gateway.crypto.pseudonym_key import PseudonymKey

CANONICAL_VERSION: Final = "c1"
TOKEN_VERSION: Final = "p1"  # noqa: S105 - a format tag, not a secret
MAC_PREFIX: Final = b"ecg-pseudonym\x00" + CANONICAL_VERSION.encode("ascii") + b"\x00"
TOKEN_MAC_BYTES: Final = 16
DOMAIN_PATTERN: Final = r"^[a-z][a-z0-9_]{0,31}$"

ZERO_WIDTH: Final = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_TABLE: Final = dict.fromkeys(map(ord, ZERO_WIDTH))
_WHITESPACE: Final = re.compile(r"\s+")
_DOMAIN: Final = re.compile(DOMAIN_PATTERN)
_MAX_PART: Final = 2**32 - 1
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


def canonicalise(text: str) -> str:
    """The ``c1`` canonical form of ``text`` (idempotent)."""
    if text.isascii():  # NFKC leaves ASCII alone; its case fold is its lower case
        return " ".join(text.lower().split())  # split() splits at str.isspace() runs
    folded = unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH_TABLE))
    folded = unicodedata.normalize("NFKC", folded.casefold())
    return _WHITESPACE.sub(" ", folded).strip()


def _part(data: bytes) -> bytes:
    if len(data) > _MAX_PART:
        raise ValueError("part too long for its 4-byte length prefix")
    return len(data).to_bytes(4, "big") + data


@lru_cache(maxsize=256)
def _domain_prefix(domain: str) -> bytes:
    if not _DOMAIN.match(domain):
        raise ValueError("malformed pseudonym domain")
    return MAC_PREFIX + _part(domain.encode("ascii"))


def mac_input(domain: str, canonical: str, *more: str) -> bytes:
    """The bytes that are MACed for ``canonical`` (and the further canonical fields ``more``)
    in ``domain``; ``ValueError`` if the domain is malformed or a part is too long."""
    prefix = _domain_prefix(domain)
    if not more:
        return prefix + _part(canonical.encode("utf-8"))
    return prefix + b"".join(_part(value.encode("utf-8")) for value in (canonical, *more))


def token(key: PseudonymKey, domain: str, canonical: str, *more: str) -> str:
    """The pseudonym of already canonical values: ``p1.<kid>.<128-bit MAC, base64url>``."""
    mac = key.mac(mac_input(domain, canonical, *more))[:TOKEN_MAC_BYTES]
    encoded = binascii.b2a_base64(mac, newline=False).translate(_URLSAFE).rstrip(b"=")
    return f"{TOKEN_VERSION}.{key.kid}.{encoded.decode('ascii')}"


def pseudonym(key: PseudonymKey, domain: str, text: str, *more: str) -> str:
    """Canonicalise ``text`` (and each of ``more``, separately) and return the token in
    ``domain``; ``pseudonym(k, d, name, country)`` is one token over both fields."""
    return token(key, domain, canonicalise(text), *map(canonicalise, more))


#: Tokens memoised per key and domain by :func:`cached_pseudonym` (in memory only).
MEMO_SIZE: Final = 4096
_Slot = tuple[int, str]
# (id(key), domain) -> (weak reference to the key, memoised pseudonym of raw texts)
_MEMOS: Final[dict[_Slot, tuple[weakref.ref[PseudonymKey], Callable[..., str]]]] = {}


def _forget(slot: _Slot, dead: weakref.ref[PseudonymKey]) -> None:
    entry = _MEMOS.get(slot)
    if entry is not None and entry[0] is dead:
        _MEMOS.pop(slot, None)


def _memo(key: PseudonymKey, domain: str) -> Callable[..., str]:
    slot = (id(key), domain)
    entry = _MEMOS.get(slot)
    if entry is not None and entry[0]() is key:
        return entry[1]
    mac_input(domain, "")  # a malformed domain fails here, before anything is memoised
    ref = weakref.ref(key, partial(_forget, slot))

    @lru_cache(maxsize=MEMO_SIZE)
    def memoised(text: str, *more: str) -> str:
        alive = ref()
        if alive is None:  # pragma: no cover - the caller holds the key during the call
            raise RuntimeError("pseudonymisation key released during use")
        return pseudonym(alive, domain, text, *more)

    _MEMOS[slot] = (ref, memoised)
    return memoised


def cached_pseudonym(key: PseudonymKey, domain: str, text: str, *more: str) -> str:
    """:func:`pseudonym`, memoised per key and domain on the raw text values in a bounded LRU
    of :data:`MEMO_SIZE` entries (many records name the same buyer).

    The memo holds names and their tokens ONLY in this process's memory, for as long as the
    key object lives (it is dropped with the key, and never refers to it strongly); it is never
    persisted, logged or shown. Calls that raise are not memoised.
    """
    if not isinstance(text, str) or (more and not all(isinstance(part, str) for part in more)):
        return pseudonym(key, domain, text, *more)  # raises as pseudonym does; not memoised
    return _memo(key, domain)(text, *more)
