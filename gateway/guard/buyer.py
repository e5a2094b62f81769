"""The buyer key the guard groups shipments and receivables by.

It is the reconciliation stage's buyer key (``gateway.reconcile.keys``, version ``b1``), so the
guard and reconciliation agree on who a buyer is: names compare after canonicalisation with legal
forms removed ("Hanoi Precision Parts JSC" and "HANOI PRECISION PARTS" agree). Buyer codes are
not part of the key because one side often lacks them; a code is used only when the name has no
letters or digits at all. The key is compared locally and never disclosed.
"""

from __future__ import annotations

from gateway.reconcile.keys import buyer_key as _name_key
from gateway.transform import canonicalise


def buyer_key(name: str, code: str | None = None) -> str:
    """The comparable key of a buyer (see the module docstring)."""
    key = _name_key(name)
    if key:
        return key
    if code is not None and canonicalise(code):
        return "#" + canonicalise(code)
    return canonicalise(name)
