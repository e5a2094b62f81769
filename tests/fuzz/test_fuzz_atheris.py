"""A short atheris (libFuzzer) run of each fuzz target, as in CI.

Each target runs in its own process (``tests/fuzz/run.py``) from a copy of its committed seed
corpus for a fixed number of executions; the run must end with exit status 0, all executions
done, no crash input written, and the gateway's modules instrumented for coverage feedback.
The longer run is documented in docs/fuzzing.md.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "atheris", reason="atheris is not installable here (wheels: Linux x86_64, CPython 3.11+)"
)

HERE = Path(__file__).resolve().parent
RUNS = 20_000
#: A module of the code under test that must be instrumented for each target.
UNDER_TEST = {"csv": "gateway.adapters.erp.csv_source", "jws": "gateway.verify.compact"}


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(UNDER_TEST))
def test_a_bounded_atheris_run_finds_no_crash(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(HERE / "corpus" / target, corpus)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    done = subprocess.run(
        [
            sys.executable, str(HERE / "run.py"), target, f"-atheris_runs={RUNS}",
            "-max_total_time=120", "-seed=1", f"-artifact_prefix={artifacts}/", str(corpus),
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    log = done.stderr[-4000:]
    assert done.returncode == 0, log
    assert list(artifacts.iterdir()) == [], log
    assert re.search(rf"^Done {RUNS} in \d+ second", done.stderr, re.MULTILINE), log
    assert f"INFO: Instrumenting {UNDER_TEST[target]}\n" in done.stderr, log
