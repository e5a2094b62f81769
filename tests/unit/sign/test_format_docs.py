"""docs/submission-format.md: its examples are validated, so they cannot drift from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gateway.sign import ReceiptPayload, SubmissionPayload

ROOT = Path(__file__).resolve().parents[3]


def _blocks(path: Path, info: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return re.findall(rf"^```{re.escape(info)}\n(.*?)^```", text, flags=re.S | re.M)


def test_submission_example_matches_the_schema() -> None:
    (block,) = _blocks(ROOT / "docs" / "submission-format.md", "json submission")
    example = json.loads(block)
    model = SubmissionPayload.model_validate(example)
    assert model.model_dump(mode="json", by_alias=True) == example


def test_receipt_example_matches_the_schema() -> None:
    (block,) = _blocks(ROOT / "docs" / "submission-format.md", "json receipt")
    example = json.loads(block)
    assert ReceiptPayload.model_validate(example).model_dump(mode="json", by_alias=True) == example


def test_documented_header_typs_are_the_signers() -> None:
    text = (ROOT / "docs" / "submission-format.md").read_text(encoding="utf-8")
    assert '`"ecg-submission+jws"`' in text and '`"ecg-receipt+jws"`' in text
