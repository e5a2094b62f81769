"""The buyer id exporters share in hub contributions (docs/hub.md).

Two exporters selling to the same buyer must put their exposure in the same hub bucket, so the
bucket's buyer is an id every exporter computes alike, never an exporter's own pseudonym:

- ``"ic:" + <insurer buyer code>`` when the record carries the insurer's code for the buyer
  (``buyer.insurer_code``) and the policy lets it out in clear: Unicode NFKC, surrounding
  whitespace removed, upper case, and only ``[A-Z0-9._/-]`` (1-64 characters) accepted; a code
  outside that form is not used;
- else ``"cp:" + <consortium pseudonym>`` when a consortium key is configured: the gateway's
  keyed pseudonym (gateway.transform.pseudonyms, canonical form ``c1``) in the domain
  ``hub_buyer`` over the buyer's name and country as two separately canonicalised parts, keyed
  with the key every participating exporter shares and the insurer does not hold;
- else none: the record is not contributed. Nor is a record whose exposure bucket merges
  buyers (the policy's ``bucket`` setting leaves the buyer out, or nothing about the buyer leaves).

Pure functions: the caller passes the record's policy input and the key. Insurer code forms and
consortium pseudonyms are memoised in bounded in-memory LRUs (many records name the same buyer);
the memos are never persisted (see :func:`gateway.transform.pseudonyms.cached_pseudonym`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from gateway.crypto import PseudonymKey
from gateway.transform.pseudonyms import MEMO_SIZE, cached_pseudonym

HUB_BUYER_DOMAIN: Final = "hub_buyer"
INSURER_CODE_PREFIX: Final = "ic:"
CONSORTIUM_PREFIX: Final = "cp:"
INSURER_CODE_PATTERN: Final = r"[A-Z0-9][A-Z0-9._/-]{0,63}"
_INSURER_CODE: Final = re.compile(INSURER_CODE_PATTERN, re.ASCII)


def insurer_code_id(code: object) -> str | None:
    """``"ic:<CODE>"`` for a usable insurer buyer code, else ``None``."""
    if not isinstance(code, str):
        return None
    return _code_id(code)


@lru_cache(maxsize=MEMO_SIZE)
def _code_id(code: str) -> str | None:
    normal = unicodedata.normalize("NFKC", code).strip().upper()
    if not _INSURER_CODE.fullmatch(normal):
        return None
    return INSURER_CODE_PREFIX + normal


def consortium_id(key: PseudonymKey, name: str, country: str) -> str:
    """``"cp:<token>"``: the consortium pseudonym of a buyer (name and country)."""
    return CONSORTIUM_PREFIX + cached_pseudonym(key, HUB_BUYER_DOMAIN, name, country)


def hub_buyer_id(
    policy_input: Mapping[str, Any],
    consortium_key: PseudonymKey | None,
    *,
    attachment: Mapping[str, Any],
    per_buyer: bool,
) -> str | None:
    """The common buyer id of one record, or ``None`` when it has none.

    The policy still decides: ``attachment`` is what it lets out for the record and
    ``per_buyer`` whether its exposure bucket names a buyer at all. The insurer code is used
    only when the attachment carries it in clear; with buyers merged (``per_buyer`` false) the
    record gets no common id, since contributing it per buyer would resolve finer than the
    policy allows.
    """
    if not per_buyer:
        return None
    code = policy_input.get("buyer.insurer_code")
    if code is not None and attachment.get("buyer.insurer_code") == code:
        by_code = insurer_code_id(code)
        if by_code is not None:
            return by_code
    name, country = policy_input.get("buyer.name"), policy_input.get("buyer.country")
    if consortium_key is None or not isinstance(name, str) or not isinstance(country, str):
        return None
    if not name.strip() or not country.strip():
        return None
    return consortium_id(consortium_key, name, country)
