"""gateway.policy.preview: a candidate policy evaluated on sample records, and its diff.

Real regopy engine over the shipped policy and edited copies of its text; the shipped sample
ERP export plus a few hand-made records the default policy does not attach.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from gateway.adapters.erp import CsvSource
from gateway.adapters.erp.mapping_file import builtin_mapping
from gateway.adapters.policy_files import builtin_policy
from gateway.crypto import PseudonymKey
from gateway.errors import PolicyError
from gateway.model import ExportRecord
from gateway.policy import Decision, PolicyBundle, RegoEngine
from gateway.policy.compare import DROPPED, Change
from gateway.policy.preview import (
    diff_json,
    evaluate,
    evaluate_with,
    preview_candidate,
    preview_json,
    preview_records,
)
from gateway.transform import OperatorContext, build_operators

RULE = "redaction/export_record.rego"
COUNTRY_LINE = '\t"buyer.country": ["keep"],\n'


def edited(old: str, new: str, *, bundle: PolicyBundle | None = None) -> PolicyBundle:
    """The shipped policy with one unique replacement in its rule module."""
    base = bundle or builtin_policy()
    modules = dict(base.modules)
    assert modules[RULE].count(old) == 1
    modules[RULE] = modules[RULE].replace(old, new)
    return PolicyBundle(modules, name="edited")


@pytest.fixture(scope="module")
def key() -> PseudonymKey:
    return PseudonymKey("psk-preview-test", secrets.token_bytes(32))


@pytest.fixture(scope="module")
def shipped_inputs() -> list[dict[str, Any]]:
    sample = resources.files("gateway.examples") / "erp" / "sample_export.csv"
    with resources.as_file(sample) as path:
        items = list(CsvSource(Path(path), builtin_mapping("generic")))
    return [r.policy_input() for r in items if isinstance(r, ExportRecord)]


@pytest.fixture
def inputs(
    shipped_inputs: list[dict[str, Any]], record: Callable[..., ExportRecord]
) -> list[dict[str, Any]]:
    """The shipped sample, a domestic sale (quarantined) and an unbanded currency (withheld)."""
    domestic = record(source_ref="extra.csv:2", buyer={"country": "KR"}).policy_input()
    unbanded = record(source_ref="extra.csv:3", currency="CHF").policy_input()
    return [*shipped_inputs[:12], domestic, unbanded]


def test_dropping_buyer_country_makes_the_field_leave_nothing(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    before = preview_records(inputs, evaluate(builtin_policy(), inputs, key))
    after = preview_records(inputs, evaluate(edited(COUNTRY_LINE, ""), inputs, key))
    attached = [r for r in before if r.outcome == "attach"]
    assert len(attached) == 12
    for old, new, original in zip(before, after, inputs, strict=True):
        old_row = next(f for f in old.fields if f.field == "buyer.country")
        new_row = next(f for f in new.fields if f.field == "buyer.country")
        assert new_row.original == original["buyer.country"]
        assert new_row.dropped and new_row.leaves is DROPPED and new_row.actions == ()
        if old.outcome == "attach":
            assert old_row.leaves == original["buyer.country"] and old_row.actions == ("keep",)
    doc = preview_json(preview_candidate(inputs, evaluate(edited(COUNTRY_LINE, ""), inputs, key),
                                         evaluate(builtin_policy(), inputs, key)))
    country = [f for r in doc["records"] for f in r["fields"] if f["field"] == "buyer.country"]
    assert country and all(f["leaves"] is None and f["dropped"] for f in country)


def test_the_diff_reports_less_disclosed_for_that_field_on_every_attached_record(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    old = evaluate(builtin_policy(), inputs, key)
    new = evaluate(edited(COUNTRY_LINE, ""), inputs, key)
    diff = preview_candidate(inputs, new, old).diff
    attached_refs = [v.source_ref for v in old if v.outcome == "attach"]
    assert [(c.source_ref, c.field, c.change) for c in diff.fields] == [
        (ref, "buyer.country", Change.LESS) for ref in attached_refs
    ]
    assert diff.decisions == ()
    assert diff_json(diff)["summary"] == {"buyer.country": {"less disclosed": len(attached_refs)}}


def test_a_record_newly_withheld_is_a_decision_change_and_less_of_everything(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    stricter = edited('max_tenor_days := 720', 'max_tenor_days := 1')
    old = evaluate(builtin_policy(), inputs, key)
    diff = diff_json(preview_candidate(inputs, evaluate(stricter, inputs, key), old).diff)
    changed = {d["source_ref"] for d in diff["decisions"]}
    assert changed == {v.source_ref for v in old if v.outcome == "attach"}
    assert all(d["new"] == "withhold" and d["new_reason"] == "tenor.beyond_short_term"
               for d in diff["decisions"])
    assert {f["change"] for f in diff["fields"]} == {"less disclosed"}


def test_tokens_are_made_with_the_key_given_as_a_sync_makes_them(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    bundle = builtin_policy()
    engine = RegoEngine(bundle)
    sync_like = build_operators(
        engine.operators(), OperatorContext(pseudonym_key=key), clear_allowed=engine.exceptions()
    )
    as_sync = evaluate_with(engine, sync_like, inputs)
    previewed = evaluate(bundle, inputs, key)
    other = evaluate(bundle, inputs, PseudonymKey("psk-other", secrets.token_bytes(32)))
    tokens = [v.leaves.get("buyer.name") for v in previewed if v.outcome == "attach"]
    assert tokens and all(isinstance(t, str) and "psk-preview-test" in t for t in tokens)
    assert tokens == [v.leaves.get("buyer.name") for v in as_sync if v.outcome == "attach"]
    assert tokens != [v.leaves.get("buyer.name") for v in other if v.outcome == "attach"]


def test_a_protected_field_kept_without_exception_is_withheld_as_a_sync_would(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    leaky = edited('"buyer.name": ["buyer_token"],', '"buyer.name": ["keep"],')
    views = evaluate(leaky, inputs, key)
    assert {(v.outcome, v.reason) for v in views[:12]} == {("withhold", "transform.protected")}
    rows = preview_records(inputs, views)
    assert all(f.dropped for r in rows[:12] for f in r.fields)


def test_a_compile_error_names_the_module_and_line_never_a_record(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    broken = edited("exporter_country := \"KR\"", "exporter_country := := \"KR\"")
    with pytest.raises(PolicyError) as caught:
        evaluate(broken, inputs, key)
    message = str(caught.value)
    assert message.startswith(f"{RULE} line ")
    assert not any(str(i["buyer.name"]) in message for i in inputs)


class _ShortEngine:
    """A broken engine that returns one decision too few: no real engine does that on purpose,
    so this stand-in is the only way to show the preview fails closed as a sync does."""

    def __init__(self, real: RegoEngine) -> None:
        self.real = real

    @property
    def version(self) -> str:
        return self.real.version

    def decide(self, inputs: Sequence[Mapping[str, Any]]) -> list[Decision]:
        return self.real.decide(inputs)[:-1]

    def operators(self) -> dict[str, dict[str, Any]]:
        return self.real.operators()


def test_an_engine_that_loses_a_decision_withholds_every_record(
    inputs: list[dict[str, Any]], key: PseudonymKey
) -> None:
    real = RegoEngine(builtin_policy())
    operators = build_operators(real.operators(), OperatorContext(pseudonym_key=key))
    views = evaluate_with(_ShortEngine(real), operators, inputs)  # type: ignore[arg-type]
    assert [(v.outcome, v.reason) for v in views] == [("withhold", "policy.error")] * len(inputs)
