"""Who may do what on the dashboard: three roles, five permissions, one table.

Separation of duties is the point of the table:

* the **compliance officer** (``compliance``) owns the export policy: only this role edits,
  previews, tests, activates and rolls back a policy version;
* the **exporter IT administrator** (``admin``) runs the gateway: syncs on demand and manages
  the dashboard's users, but can never activate a policy;
* the **auditor** (``auditor``) reads everything and changes nothing.

Nobody gets a permission by default: :func:`allowed` answers ``False`` for any pair the table
does not list.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from gateway.errors import ConfigError


class Role(StrEnum):
    """A dashboard user's single role."""

    ADMIN = "admin"
    """The exporter's IT administrator: runs syncs, manages users; cannot activate a policy."""
    COMPLIANCE = "compliance"
    """The compliance officer: edits, tests, activates and rolls back the export policy."""
    AUDITOR = "auditor"
    """Read-only: the ledger, exposure, policy history; no action changes anything."""


class Permission(StrEnum):
    """What a dashboard route needs."""

    VIEW = "view"
    """Read every page: overview, ledger, exposure, policy and its history (all roles)."""
    EDIT_POLICY = "edit_policy"
    """Preview, test and diff an edited policy text (compliance only)."""
    ACTIVATE_POLICY = "activate_policy"
    """Activate a policy version or roll back to an earlier one (compliance only)."""
    RUN_SYNC = "run_sync"
    """Start a sync now (admin and compliance)."""
    MANAGE_USERS = "manage_users"
    """Add users, change roles, reset passwords, disable accounts (admin only)."""


GRANTS: Final = MappingProxyType(
    {
        Role.ADMIN: frozenset({Permission.VIEW, Permission.RUN_SYNC, Permission.MANAGE_USERS}),
        Role.COMPLIANCE: frozenset(
            {
                Permission.VIEW,
                Permission.EDIT_POLICY,
                Permission.ACTIVATE_POLICY,
                Permission.RUN_SYNC,
            }
        ),
        Role.AUDITOR: frozenset({Permission.VIEW}),
    }
)
"""The whole authorisation table: role -> the permissions it holds."""


def allowed(role: Role | str, permission: Permission | str) -> bool:
    """Whether ``role`` holds ``permission``; unknown roles or permissions hold nothing."""
    try:
        return Permission(permission) in GRANTS.get(Role(role), frozenset())
    except ValueError:
        return False


def parse_role(value: str) -> Role:
    """The role named ``value``; a :class:`ConfigError` naming the accepted roles otherwise."""
    try:
        return Role(value)
    except ValueError:
        accepted = ", ".join(r.value for r in Role)
        raise ConfigError(f"unknown role; use one of: {accepted}") from None
