"""Attack: a weak Paillier public key slipped into a gateway's configuration.

A key under 2048 bits, an even modulus or one with a small factor can be factored, and then
every exposure total encrypted under it can be read by whoever supplied it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from phe import paillier

from gateway.crypto.b64 import int_to_b64url
from gateway.errors import PaillierKeyError
from gateway.keys import load_paillier_public_key_file


def _write(path: Path, n: int) -> Path:
    path.write_text(json.dumps({"kty": "Paillier", "version": 1, "n": int_to_b64url(n)}))
    return path


def test_1024_bit_public_key_file_is_refused(tmp_path: Path) -> None:
    public, _ = paillier.generate_paillier_keypair(n_length=1024)
    with pytest.raises(PaillierKeyError, match="at least 2048"):
        load_paillier_public_key_file(_write(tmp_path / "weak.json", public.n))


def test_modulus_with_a_small_factor_is_refused(tmp_path: Path) -> None:
    n = 7919 * ((1 << 2050) // 7919 | 1)
    with pytest.raises(PaillierKeyError, match="prime factor below 10,000"):
        load_paillier_public_key_file(_write(tmp_path / "smooth.json", n))


def test_even_modulus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PaillierKeyError, match="even"):
        load_paillier_public_key_file(_write(tmp_path / "even.json", 1 << 2048))
