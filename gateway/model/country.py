"""ISO 3166-1 alpha-2 country codes (from pycountry's copy of the ISO tables)."""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def _alpha2() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def is_country(code: str) -> bool:
    """True if ``code`` is an assigned ISO 3166-1 alpha-2 code (upper case)."""
    return code in _alpha2()
