"""The reconciliation staging file holds buyer names and amounts: it stays private and short-lived.

Each test is one attack or failure: another local user reading the file (mode, umask), guessing
or pre-planting its name, the file outliving its use (close, ``with`` block raising, matching
failing part way, the consumer stopping early, the object being dropped), journal files left
beside it, and error messages repeating what the records hold.
"""

from __future__ import annotations

import gc
import os
import re
import stat
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.model import Buyer, ExportDeclaration, ExportRecord, PaymentMethod
from gateway.reconcile import ReconcileConfig
from gateway.store import staging as staging_module
from gateway.store.staging import ReconcileStaging, StagedMatch

SECRET_BUYER = "Quietwater Armaments Holdings"
SECRET_AMOUNT = "987654.32"
AS_OF = date(2026, 3, 31)


def _records(count: int) -> Iterator[tuple[ExportRecord, ExportDeclaration]]:
    for i in range(count):
        day = date(2026, 1, 1 + i % 28)
        yield (
            ExportRecord(
                source_ref=f"erp.csv:{i + 2}", invoice_number=f"INV-{i:05d}", invoice_date=day,
                shipment_date=day, buyer=Buyer(name=f"{SECRET_BUYER} {i}", country="DE"),
                currency="USD", amount=Decimal(SECRET_AMOUNT) + i, payment_method=PaymentMethod.OA,
                tenor_days=60, hs_code="8703239000",
            ),
            ExportDeclaration(
                source_ref=f"customs.csv:{i + 2}", declaration_number=f"43017{i:09d}",
                acceptance_date=day, loading_date=day, shipped=True,
                buyer_name=f"{SECRET_BUYER.upper()} {i}", destination_country="DE",
                hs_code="8703239000", currency="USD", amount=Decimal(SECRET_AMOUNT) + i,
                invoice_number=f"inv {i:05d}",
            ),
        )


def _filled(directory: Path, count: int = 20, cache_kib: int = 16384) -> ReconcileStaging:
    staging = ReconcileStaging(ReconcileConfig(), directory=directory, cache_kib=cache_kib)
    for i, (record, declaration) in enumerate(_records(count)):
        staging.add_erp(record, 0, f"key-{i}")
        staging.add_declaration(declaration, 1)
    return staging


def _assert_no_content(error: BaseException) -> None:
    text = f"{error} {error!r} {getattr(error, 'diagnostics', lambda: '')()}"
    for secret in (SECRET_BUYER, SECRET_BUYER.upper(), SECRET_AMOUNT, "987654", "INV-", "43017"):
        assert secret not in text


def test_file_is_owner_only_in_the_given_directory_even_under_a_permissive_umask(
    tmp_path: Path,
) -> None:
    old = os.umask(0)
    try:
        with _filled(tmp_path) as staging:
            assert staging.path.parent == tmp_path
            assert stat.S_IMODE(staging.path.stat().st_mode) == 0o600
            assert staging.path.stat().st_uid == os.getuid()
    finally:
        os.umask(old)


def test_file_name_is_unpredictable_and_reveals_nothing(tmp_path: Path) -> None:
    names = set()
    for _ in range(5):
        with _filled(tmp_path, count=2) as staging:
            names.add(staging.path.name)
    assert len(names) == 5
    for name in names:  # 128 random bits, nothing from the records or the process
        assert re.fullmatch(r"reconcile-[0-9a-f]{32}\.sqlite", name)
        assert str(os.getpid()) not in name


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_a_file_or_symlink_planted_at_its_name_is_refused_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    """Fake randomness: the name is made predictable (``token_hex`` patched), since a real
    attacker cannot guess 128 random bits; the test shows creation never reuses a path."""
    monkeypatch.setattr(staging_module.secrets, "token_hex", lambda _n: "0" * 32)
    target = tmp_path / "elsewhere.db"
    target.write_bytes(b"attacker's file")
    path = tmp_path / f"reconcile-{'0' * 32}.sqlite"
    if planted == "file":
        path.write_bytes(b"attacker's file")
    else:
        path.symlink_to(target)
    with pytest.raises(StoreError, match="cannot create"):
        ReconcileStaging(ReconcileConfig(), directory=tmp_path)
    assert target.read_bytes() == b"attacker's file"
    assert path.is_symlink() == (planted == "symlink")


def test_file_is_deleted_on_close_and_close_is_idempotent(tmp_path: Path) -> None:
    staging = _filled(tmp_path)
    assert len(list(staging.matches(as_of=AS_OF))) == 20
    assert staging.path.exists()
    staging.close()
    assert list(tmp_path.iterdir()) == []
    staging.close()
    with pytest.raises(StoreError):
        staging.add_erp(next(_records(1))[0], 0, "late")


def test_file_is_deleted_when_the_with_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="consumer failed"), _filled(tmp_path) as staging:
        for _ in staging.matches(as_of=AS_OF):
            raise RuntimeError("consumer failed")
    assert list(tmp_path.iterdir()) == []


def test_file_is_deleted_when_matching_fails_mid_iteration_without_echoing_records(
    tmp_path: Path,
) -> None:
    staging = _filled(tmp_path, count=1500, cache_kib=64)
    outcomes = staging.matches(as_of=AS_OF)
    assert isinstance(next(outcomes), StagedMatch)
    size = staging.path.stat().st_size
    with staging.path.open("r+b") as handle:  # another process overwrites the file's pages
        handle.seek(4096)
        handle.write(b"\x00" * (size - 4096))
    with pytest.raises(StoreError, match="reconciliation staging") as caught:
        list(outcomes)
    _assert_no_content(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_tampered_record_is_refused_without_echoing_it_and_the_file_deleted(
    tmp_path: Path,
) -> None:
    staging = _filled(tmp_path, count=400, cache_kib=64)  # a small cache: rows reach the file
    assert staging.has_erp_key("key-0")  # writes the buffered rows
    data = staging.path.read_bytes()
    tampered = data.replace(b'"amount":"9876', b'"amount":"x876')
    assert tampered != data
    staging.path.write_bytes(tampered)
    with pytest.raises(StoreError, match="does not read back") as caught:
        list(staging.matches(as_of=AS_OF))
    _assert_no_content(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_file_is_deleted_when_the_consumer_stops_early(tmp_path: Path) -> None:
    staging = _filled(tmp_path)
    outcomes = staging.matches(as_of=AS_OF)
    next(outcomes)
    outcomes.close()  # what a ``for`` loop left by ``break`` leads to once collected
    assert list(tmp_path.iterdir()) == []


def test_file_is_deleted_when_the_staging_is_dropped_without_close(tmp_path: Path) -> None:
    staging = _filled(tmp_path)
    path = staging.path
    del staging
    gc.collect()
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_no_journal_or_other_file_appears_beside_it(tmp_path: Path) -> None:
    with _filled(tmp_path, count=300) as staging:
        for _ in staging.matches(as_of=AS_OF):
            assert list(tmp_path.iterdir()) == [staging.path]


def test_refused_setup_names_the_directory_not_any_record(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(StoreError, match="cannot create") as caught:
        ReconcileStaging(ReconcileConfig(), directory=missing)
    _assert_no_content(caught.value)
    assert not missing.exists()
