"""Roles and sign-in for the dashboard (docs/dashboard.md, "Roles and sign-in").

* :mod:`gateway.auth.roles`: the three roles and what each may do;
* :mod:`gateway.auth.passwords`: argon2id password hashes and the password rules;
* :mod:`gateway.auth.sessions`: signed, expiring session tokens;
* :mod:`gateway.auth.users`: adding and changing users, checking a sign-in;
* :mod:`gateway.auth.web`: the FastAPI dependencies and the sign-in pages.

Nothing here reads files: the session key comes from :mod:`gateway.keys.session_key`, users
from the store passed in.
"""

from gateway.auth.passwords import check_password, hash_password, needs_rehash, verify_password
from gateway.auth.roles import GRANTS, Permission, Role, allowed, parse_role
from gateway.auth.sessions import Principal, SessionClaims, SessionManager
from gateway.auth.users import (
    add_user,
    authenticate,
    change_password,
    normalise_username,
    set_disabled,
    set_role,
)

__all__ = [
    "GRANTS",
    "Permission",
    "Principal",
    "Role",
    "SessionClaims",
    "SessionManager",
    "add_user",
    "allowed",
    "authenticate",
    "change_password",
    "check_password",
    "hash_password",
    "needs_rehash",
    "normalise_username",
    "parse_role",
    "set_disabled",
    "set_role",
    "verify_password",
]
