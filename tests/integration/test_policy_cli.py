"""``gateway policy test|preview|diff`` in-process through typer's CliRunner.

Real regopy engine over the shipped policy and over edited copies of it written to a temporary
directory; the shipped sample ERP export as the sample.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from gateway.adapters.policy_files import builtin_policy
from gateway.cli import app

ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GATEWAY_")}
ENV["COLUMNS"] = "250"
RULE = "export_record.rego"
TESTS = "export_record_test.rego"


def gateway(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def as_json(*args: str) -> dict[str, Any]:
    result = gateway(*args, "--json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.fixture(scope="module")
def sample() -> Path:
    with resources.as_file(resources.files("gateway.examples") / "erp" / "sample_export.csv") as p:
        return Path(p)


def policy_copy(root: Path, name: str, edit: str, old: str, new: str) -> Path:
    """The shipped policy written to ``root/name`` with one text replacement in ``edit``."""
    target = root / name
    changed = False
    for rel, text in builtin_policy().modules.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("/" + edit):
            assert text.count(old) == 1, f"{old!r} is not unique in {rel}"
            text, changed = text.replace(old, new), True
        path.write_text(text, encoding="utf-8")
    assert changed
    return target


def test_policy_test_passes_on_the_builtin_policy() -> None:
    doc = as_json("policy", "test", "--policy", "builtin")
    assert len(doc["tests"]) >= 10
    assert all(t["passed"] for t in doc["tests"])
    assert doc["policy"]["version"] == builtin_policy().version


def test_policy_test_names_a_broken_test_and_exits_1(tmp_path: Path) -> None:
    name = "test_success_customs_origin_is_disclosed"
    broken = policy_copy(
        tmp_path, "broken", TESTS,
        'd := export_record.decision(object.union(record, {"origin": "customs"}))\n'
        '\td.outcome == "attach"',
        'd := export_record.decision(object.union(record, {"origin": "customs"}))\n'
        '\td.outcome == "withhold"',
    )
    result = gateway("policy", "test", "--policy", str(broken), "--json")
    assert result.exit_code == 1
    failed = [t["name"] for t in json.loads(result.stdout)["tests"] if not t["passed"]]
    assert failed == [name]
    table = gateway("policy", "test", "--policy", str(broken))
    assert table.exit_code == 1
    assert name in table.stdout and "FAIL" in table.stdout and "1 failed" in table.stdout


def test_preview_shows_original_action_and_what_leaves(sample: Path) -> None:
    doc = as_json("policy", "preview", "--sample", str(sample), "--limit", "2")
    assert len(doc["records"]) == 2
    first = doc["records"][0]
    assert first["decision"] == "attach" and first["exposure_encrypted"] is True
    fields = {f["field"]: f for f in first["fields"]}
    assert fields["buyer.country"]["actions"] == ["keep"]
    assert fields["buyer.country"]["leaves"] == fields["buyer.country"]["original"]
    assert fields["hs_code"]["actions"] == ["hs4"]
    assert fields["hs_code"]["leaves"] == fields["hs_code"]["original"][:4]
    assert fields["buyer.name"]["actions"] == ["buyer_token"]
    assert fields["buyer.name"]["leaves"] != fields["buyer.name"]["original"]
    for secret in ("line_items", "buyer.address", "amount_minor"):
        assert fields[secret]["dropped"] is True and fields[secret]["leaves"] is None
        assert fields[secret]["actions"] == []
    table = gateway("policy", "preview", "--sample", str(sample), "--limit", "1")
    assert table.exit_code == 0
    assert "hs4" in table.stdout and "(dropped)" in table.stdout
    assert fields["buyer.name"]["original"] in table.stdout


def test_preview_with_an_edited_policy_shows_the_new_action(tmp_path: Path, sample: Path) -> None:
    policy = policy_copy(
        tmp_path, "no-country", RULE, '"buyer.country": ["keep"],', '"buyer.country": ["drop"],'
    )
    doc = as_json("policy", "preview", "--sample", str(sample), "--policy", str(policy))
    for record in doc["records"]:
        if record["decision"] == "attach":
            country = next(f for f in record["fields"] if f["field"] == "buyer.country")
            assert country["actions"] == ["drop"] and country["dropped"] is True


def test_diff_reports_country_less_disclosed_and_nothing_else(
    tmp_path: Path, sample: Path
) -> None:
    policy = policy_copy(
        tmp_path, "no-country", RULE, '"buyer.country": ["keep"],', '"buyer.country": ["drop"],'
    )
    old = as_json("policy", "preview", "--sample", str(sample), "--limit", "10000")
    attached = {r["source_ref"] for r in old["records"] if r["decision"] == "attach"}
    assert len(attached) >= 3
    doc = as_json("policy", "diff", "builtin", str(policy), "--sample", str(sample))
    assert doc["records"] == len(old["records"])
    assert doc["decisions"] == []
    assert {(c["field"], c["change"]) for c in doc["fields"]} == {
        ("buyer.country", "less disclosed")
    }
    assert sorted(c["source_ref"] for c in doc["fields"]) == sorted(attached)
    assert doc["summary"] == {"buyer.country": {"less disclosed": len(attached)}}
    back = as_json("policy", "diff", str(policy), "builtin", "--sample", str(sample))
    assert {c["change"] for c in back["fields"]} == {"more disclosed"}
    table = gateway("policy", "diff", "builtin", str(policy), "--sample", str(sample))
    assert "buyer.country" in table.stdout and f"{len(attached)} less disclosed" in table.stdout


def test_diff_reports_decision_changes(tmp_path: Path, sample: Path) -> None:
    policy = policy_copy(
        tmp_path, "de-domestic", RULE, 'exporter_country := "KR"', 'exporter_country := "DE"'
    )
    old = as_json("policy", "preview", "--sample", str(sample), "--limit", "10000")
    german = {
        r["source_ref"]
        for r in old["records"]
        if r["decision"] == "attach"
        and any(f["field"] == "buyer.country" and f["original"] == "DE" for f in r["fields"])
    }
    assert german
    doc = as_json("policy", "diff", "builtin", str(policy), "--sample", str(sample))
    assert {d["source_ref"] for d in doc["decisions"]} == german
    assert {(d["old"], d["new"], d["new_reason"]) for d in doc["decisions"]} == {
        ("attach", "quarantine", "buyer.domestic")
    }
    assert {c["change"] for c in doc["fields"]} == {"less disclosed"}
    assert {c["source_ref"] for c in doc["fields"]} == german


def test_diff_of_a_policy_with_itself_is_empty(sample: Path) -> None:
    doc = as_json("policy", "diff", "builtin", "builtin", "--sample", str(sample))
    assert doc["fields"] == [] and doc["decisions"] == [] and doc["records"] > 0
    table = gateway("policy", "diff", "builtin", "builtin", "--sample", str(sample))
    assert "No difference" in table.stdout


def test_a_missing_policy_directory_is_a_one_line_error(tmp_path: Path, sample: Path) -> None:
    result = gateway("policy", "preview", "--sample", str(sample), "--policy", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


def test_preview_with_a_config_uses_its_policy_and_its_pseudonym_key(
    tmp_path: Path, sample: Path
) -> None:
    """With ``--config`` the preview shows what a sync under that configuration sends: the
    configured policy and tokens under the configured pseudonym key (stable across runs), not a
    temporary key's."""
    from gateway.devsetup import create_dev_insurer, write_config
    from gateway.keys import generate_gateway_keys

    keys = generate_gateway_keys(tmp_path / "keys", "exporter-preview")
    insurer = create_dev_insurer(
        tmp_path / "insurer", gateway_jwks=keys.jwks, exporter_id="exporter-preview",
        paillier_bits=2048,
    )
    config = write_config(tmp_path, exporter_id="exporter-preview", keys=keys, insurer=insurer)
    policy = policy_copy(
        tmp_path, "no-country", RULE, '"buyer.country": ["keep"],', '"buyer.country": ["drop"],'
    )
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('# path = "policies"', f'path = "{policy}"  #'), encoding="utf-8"
    )

    def first_fields(*extra: str) -> dict[str, Any]:
        doc = as_json("policy", "preview", "--sample", str(sample), "--limit", "1", *extra)
        return {f["field"]: f for f in doc["records"][0]["fields"]}

    configured, again = first_fields("--config", str(config)), first_fields("--config", str(config))
    assert configured["buyer.country"]["actions"] == ["drop"]
    assert configured["buyer.name"]["leaves"] == again["buyer.name"]["leaves"]
    assert configured["buyer.name"]["leaves"] != first_fields()["buyer.name"]["leaves"]
