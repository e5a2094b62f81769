"""Cryptographic recipes with fixed, safe parameters.

Ed25519 signing keys (``kid`` = RFC 7638 thumbprint), the exporter's pseudonymisation key, and
Paillier keys and ciphertexts for encrypted exposure totals, with their obfuscator sources
(a background-precomputed textbook pool by default, Damgård-Jurik-Nielsen fixed-base as an
opt-in). Only ``_paillier`` imports ``phe`` and only ``_hazmat`` imports ``cryptography.hazmat``;
everything else uses these recipes.
"""

from gateway.crypto.b64 import b64url_decode, b64url_encode
from gateway.crypto.ciphertext import (
    add_ciphertexts,
    add_raw,
    add_raw_many,
    decode_ciphertext,
    encrypt_bucket_totals,
)
from gateway.crypto.jwk import check_ed25519_public_jwk, jwk_thumbprint
from gateway.crypto.obfuscators import (
    DjnFixedBase,
    ObfuscatorSource,
    TextbookPool,
    obfuscator_source,
)
from gateway.crypto.paillier_keys import (
    DEFAULT_PAILLIER_BITS,
    MIN_PAILLIER_BITS,
    PaillierPrivateKey,
    PaillierPublicKey,
    generate_paillier_keypair,
)
from gateway.crypto.pseudonym_key import PseudonymKey
from gateway.crypto.signing_key import (
    SigningKey,
    dump_signing_key,
    generate_signing_key,
    load_signing_key,
)

__all__ = [
    "DEFAULT_PAILLIER_BITS",
    "MIN_PAILLIER_BITS",
    "DjnFixedBase",
    "ObfuscatorSource",
    "PaillierPrivateKey",
    "PaillierPublicKey",
    "PseudonymKey",
    "SigningKey",
    "TextbookPool",
    "add_ciphertexts",
    "add_raw",
    "add_raw_many",
    "b64url_decode",
    "b64url_encode",
    "check_ed25519_public_jwk",
    "decode_ciphertext",
    "dump_signing_key",
    "encrypt_bucket_totals",
    "generate_paillier_keypair",
    "generate_signing_key",
    "jwk_thumbprint",
    "load_signing_key",
    "obfuscator_source",
]
