"""keys/README.md: its example is executed as written, so it cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.crypto import b64url_decode, encrypt_bucket_totals
from gateway.keys import load_paillier_private_key_file, load_paillier_public_key_file

README = Path(__file__).resolve().parents[3] / "keys" / "README.md"


@pytest.mark.slow
def test_keys_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", README.read_text("utf-8"), flags=re.S | re.M)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(block, "keys/README.md", "exec"), namespace)
    assert (tmp_path / "gateway-keys" / "signing.pem").stat().st_mode & 0o777 == 0o600
    public = load_paillier_public_key_file(tmp_path / "insurer-keys" / "paillier_public.json")
    assert public.bits == 3072  # the documented default size
    private = load_paillier_private_key_file(tmp_path / "insurer-keys" / "paillier_private.json")
    ciphertext = encrypt_bucket_totals(public, [-5_000])[0]
    assert len(b64url_decode(ciphertext)) == public.ciphertext_bytes == 768
    assert private.decrypt(ciphertext) == -5_000
