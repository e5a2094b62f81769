"""What the hub keeps on disk: no plaintext amount and no Paillier private key material.

The hub adds ciphertexts; it must never see, and so never store, an exporter's figures or the
insurer's private key. After real contributions and a release, every file under the hub's
directory (the SQLite file with its WAL and shared-memory files, the configuration, the keys,
the JWKS) is scanned for the plaintext totals used (12-13 digit amounts, so a chance match
inside base64 text is negligible) in decimal, with a decimal point and as big-endian bytes,
and for the insurer's primes p and q in decimal, hex and base64url. The hub's code is also
checked never to load a Paillier private key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.crypto import PaillierPrivateKey
from gateway.crypto.b64 import int_to_b64url
from gateway.hub.operations import accept_contribution, release_period
from tests.unit.hub.hub_support import NOW, PERIOD, bk, make_exporters, make_hub, register

ROOT = Path(__file__).resolve().parents[2]
AMOUNTS = [1_234_567_890_123, 987_654_321_987, 555_444_333_222_1]
BOOKS = [
    {bk("DE-0001"): AMOUNTS[0], bk("DE-0002"): AMOUNTS[1]},
    {bk("DE-0001"): AMOUNTS[2], bk("DE-0002"): AMOUNTS[0]},
    {bk("DE-0001"): AMOUNTS[1]},
]


def needles_for_amounts() -> list[bytes]:
    sums = [AMOUNTS[0] + AMOUNTS[1] + AMOUNTS[2], AMOUNTS[1] + AMOUNTS[0]]
    out: list[bytes] = []
    for value in [*AMOUNTS, *sums]:
        text = str(value)
        out += [text.encode(), f"{text[:-2]}.{text[-2:]}".encode(),
                value.to_bytes(8, "big")]
    return out


def needles_for_private_key(key: PaillierPrivateKey) -> list[bytes]:
    out: list[bytes] = []
    for prime in (key.p, key.q):
        out += [str(prime).encode(), format(prime, "x").encode(), int_to_b64url(prime).encode()]
    return out


@pytest.fixture
def hub_dir(tmp_path: Path, paillier_keypair: PaillierPrivateKey) -> Path:
    runtime, store = make_hub(tmp_path, paillier_keypair.public_key, k=2)
    exporters = make_exporters(3)
    register(store, *exporters)
    for exporter, book in zip(exporters, BOOKS, strict=True):
        accept_contribution(exporter.contribution(book, runtime.paillier), store=store,
                            runtime=runtime, now=NOW)
    release_period(store, runtime, PERIOD, now=NOW)
    assert paillier_keypair.decrypt(store.sums(PERIOD)[0].ciphertext) == sum(
        b.get(bk("DE-0001"), 0) for b in BOOKS)  # the totals really are in there, encrypted
    return tmp_path / "hub"


def scan(directory: Path, needles: list[bytes]) -> list[str]:
    found = []
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert any(p.name.startswith("hub.sqlite3") for p in files)
    for path in files:
        data = path.read_bytes()
        found += [f"{path.name}: needle {i}" for i, n in enumerate(needles) if n in data]
    return found


def test_hub_storage_holds_no_plaintext_amount(hub_dir: Path) -> None:
    assert scan(hub_dir, needles_for_amounts()) == []
    # the scan itself works: a file holding one amount is found
    (hub_dir / "control.txt").write_text(f"total={AMOUNTS[2]}")
    assert scan(hub_dir, needles_for_amounts()) == ["control.txt: needle 6"]


def test_hub_storage_holds_no_paillier_private_key_material(
    hub_dir: Path, paillier_keypair: PaillierPrivateKey,
) -> None:
    assert scan(hub_dir, needles_for_private_key(paillier_keypair)) == []


def test_hub_code_never_loads_or_names_a_paillier_private_key() -> None:
    """The hub's modules and its CLI use only the insurer's public key."""
    sources = [*sorted((ROOT / "gateway" / "hub").glob("*.py")), ROOT / "gateway/cli/hub.py"]
    forbidden = re.compile(r"PaillierPrivateKey|load_paillier_private_key_file|"
                           r"paillier_private|\.decrypt\(|_paillier\b")
    offenders = [p.name for p in sources if forbidden.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
