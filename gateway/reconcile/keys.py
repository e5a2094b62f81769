"""Match keys: declaration numbers, invoice numbers and buyer names in comparable form.

Buyer key (version ``b1``), in this order:

1. the pseudonym canonical form (``gateway.transform.canonicalise``: NFKC, case fold, collapsed
   spaces), so full-width and ASCII letters agree;
2. "&" becomes " and "; dots and apostrophes are deleted ("G.m.b.H." -> "gmbh", "S.A." -> "sa");
   every other character that is not a letter or a digit becomes a space ("Co.,Ltd" -> "co ltd",
   "(주)" -> "주");
3. legal-form prefixes and suffixes written together with the name are cut ("삼성물산주식회사",
   "株式会社トヨタ"), then legal-form words are removed from both ends of the word list, as often
   as they occur ("co ltd", "inc", "gmbh", "jsc", "주식회사", "주");
4. the remaining words are joined without spaces ("Acme Trading" and "ACMETRADING" agree).

If nothing would remain (a buyer literally named "Company Ltd"), the words from step 2 are used
unstripped. The key never leaves the gateway: it is compared, not disclosed.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.model import normalise_declaration_number
from gateway.transform import canonicalise

BUYER_KEY_VERSION: Final = "b1"

#: Legal-form words removed from either end of a buyer name (after canonicalisation).
LEGAL_FORMS: Final = frozenset(
    {
        # English-speaking and international
        "co", "company", "corp", "corporation", "inc", "incorporated", "llc", "llp", "lp",
        "ltd", "limited", "plc", "pte", "pty", "pvt", "private", "the",
        # Continental Europe
        "ab", "ag", "as", "asa", "bv", "bvba", "gmbh", "kg", "kgaa", "nv", "oy", "oyj",
        "sa", "sarl", "sas", "spa", "srl", "sro", "sp", "z", "oo",
        # CIS and Asia
        "jsc", "ojsc", "pjsc", "cjsc", "ooo", "tov", "kk", "bhd", "sdn", "tbk", "pt",
        "주식회사", "유한회사", "주", "유", "株式会社", "有限会社", "有限公司", "株",
    }
)
#: Legal forms that CJK names write together with the name, without a space.
_ATTACHED: Final = ("주식회사", "유한회사", "株式会社", "有限会社", "有限公司")
_DELETE: Final = str.maketrans("", "", ".'\u2019")
_NOT_WORD: Final = re.compile(r"[\W_]+")
_INVOICE_NOISE: Final = re.compile(r"[\s\-\u2010-\u2015\u2212\uff0d]+")


def _cut_attached(word: str) -> str:
    for form in _ATTACHED:
        if word != form and word.startswith(form):
            word = word[len(form):]
        if word != form and word.endswith(form):
            word = word[: -len(form)]
    return word


def buyer_key(name: str) -> str:
    """The comparable form of a buyer name (see the module docstring)."""
    text = canonicalise(name).replace("&", " and ").translate(_DELETE)
    words = [w for w in _NOT_WORD.sub(" ", text).split(" ") if w]
    if not words:
        return ""
    stripped = [_cut_attached(w) for w in words]
    start, end = 0, len(stripped)
    while start < end and stripped[start] in LEGAL_FORMS:
        start += 1
    while end > start and stripped[end - 1] in LEGAL_FORMS:
        end -= 1
    kept = stripped[start:end] or words
    return "".join(kept)


def invoice_key(number: str | None) -> str:
    """Invoice numbers compare case-folded, without spaces or dashes ("" when absent)."""
    if number is None:
        return ""
    return _INVOICE_NOISE.sub("", canonicalise(number))


def declaration_key(number: str | None) -> str:
    """Declaration numbers compare without dashes, spaces or case ("" when absent)."""
    if number is None:
        return ""
    return normalise_declaration_number(number)
