"""Run a fuzz target under atheris (libFuzzer).

Usage: ``python tests/fuzz/run.py {csv,jws} [libFuzzer args]``.

The gateway's modules and the target are imported inside ``atheris.instrument_imports`` so the
fuzzer gets coverage feedback from the code under test. Arguments after the target name go to
libFuzzer unchanged, e.g. ``-atheris_runs=20000 CORPUS_DIR`` or ``-max_total_time=3600
-jobs=4 CORPUS_DIR``; see docs/fuzzing.md. A crash (an exception the target does not accept)
makes libFuzzer write the input to ``crash-*`` (or ``-artifact_prefix``) and exit non-zero.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris

_INSTRUMENTED = ["gateway", "tests", "jwt", "rfc8785"]
ROOT = Path(__file__).resolve().parents[2]


def _scratch_file() -> Path:
    """An in-memory file: libFuzzer ends the process without Python's clean-up, so a temporary
    file on disk would be left behind."""
    if hasattr(os, "memfd_create"):
        return Path(f"/proc/self/fd/{os.memfd_create('export.csv')}")
    handle, name = tempfile.mkstemp(prefix="gateway-fuzz-", suffix=".csv")
    os.close(handle)
    return Path(name)


def _csv_target() -> Callable[[bytes], object]:
    from tests.fuzz import csv_target

    return csv_target.CsvTarget(_scratch_file())


def _jws_target() -> Callable[[bytes], object]:
    from gateway.crypto import generate_paillier_keypair
    from tests.fuzz import jws_target

    return jws_target.JwsTarget(generate_paillier_keypair(2048).public_key)


TARGETS = {"csv": _csv_target, "jws": _jws_target}


def main(argv: list[str]) -> None:
    """Set up the named target and hand control to libFuzzer (which exits the process)."""
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {Path(argv[0]).name} {{{','.join(TARGETS)}}} [libFuzzer args]")
    sys.path.insert(0, str(ROOT))
    with atheris.instrument_imports(include=_INSTRUMENTED):
        target = TARGETS[argv[1]]()
    atheris.Setup([argv[0], *argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
