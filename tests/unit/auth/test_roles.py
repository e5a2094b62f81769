"""The role table: separation of duties between IT administrator, compliance officer, auditor."""

from __future__ import annotations

import pytest

from gateway.auth import GRANTS, Permission, Role, allowed, parse_role
from gateway.errors import ConfigError

#: The whole matrix, written out: (role, permission) pairs that are allowed.
EXPECTED_ALLOWED = {
    (Role.ADMIN, Permission.VIEW),
    (Role.ADMIN, Permission.RUN_SYNC),
    (Role.ADMIN, Permission.MANAGE_USERS),
    (Role.COMPLIANCE, Permission.VIEW),
    (Role.COMPLIANCE, Permission.EDIT_POLICY),
    (Role.COMPLIANCE, Permission.ACTIVATE_POLICY),
    (Role.COMPLIANCE, Permission.RUN_SYNC),
    (Role.AUDITOR, Permission.VIEW),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_the_matrix_is_exactly_the_documented_one(role: Role, permission: Permission) -> None:
    assert allowed(role, permission) is ((role, permission) in EXPECTED_ALLOWED)


def test_only_the_compliance_officer_activates_or_edits_a_policy() -> None:
    for permission in (Permission.ACTIVATE_POLICY, Permission.EDIT_POLICY):
        assert [r for r in Role if allowed(r, permission)] == [Role.COMPLIANCE]


def test_only_the_administrator_manages_users() -> None:
    assert [r for r in Role if allowed(r, Permission.MANAGE_USERS)] == [Role.ADMIN]


def test_the_auditor_changes_nothing() -> None:
    assert GRANTS[Role.AUDITOR] == {Permission.VIEW}


def test_values_are_the_contract_strings() -> None:
    assert [r.value for r in Role] == ["admin", "compliance", "auditor"]
    assert [p.value for p in Permission] == [
        "view", "edit_policy", "activate_policy", "run_sync", "manage_users",
    ]


@pytest.mark.parametrize(
    ("role", "permission"),
    [("root", "view"), ("admin", "delete_everything"), ("", ""), ("ADMIN", "view")],
)
def test_unknown_roles_or_permissions_hold_nothing(role: str, permission: str) -> None:
    assert allowed(role, permission) is False


def test_plain_strings_work_like_the_enums() -> None:
    assert allowed("compliance", "activate_policy") is True
    assert allowed("admin", "activate_policy") is False


def test_parse_role_refuses_an_unknown_role_naming_the_choices() -> None:
    assert parse_role("auditor") is Role.AUDITOR
    with pytest.raises(ConfigError, match="admin, compliance, auditor") as caught:
        parse_role("superuser-x")
    assert "superuser-x" not in str(caught.value)
