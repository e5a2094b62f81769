"""Key material handling: generation, loading and checks. Never real keys in git.

File formats: keys/README.md. This package does file IO; the stages under ``gateway/`` do not.
"""

from .files import (
    check_not_placeholder,
    read_private_file,
    read_public_file,
    write_private_file,
    write_public_file,
)
from .gateway_keys import (
    GatewayKeyPaths,
    generate_gateway_keys,
    load_jwks_file,
    load_pseudonym_key_file,
    load_signing_key_file,
)
from .paillier_files import (
    PaillierKeyPaths,
    load_paillier_private_key_file,
    load_paillier_public_key_file,
    write_paillier_keypair,
)

__all__ = [
    "GatewayKeyPaths",
    "PaillierKeyPaths",
    "check_not_placeholder",
    "generate_gateway_keys",
    "load_jwks_file",
    "load_paillier_private_key_file",
    "load_paillier_public_key_file",
    "load_pseudonym_key_file",
    "load_signing_key_file",
    "read_private_file",
    "read_public_file",
    "write_paillier_keypair",
    "write_private_file",
    "write_public_file",
]
