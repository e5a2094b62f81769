"""Key material handling: generation, loading and checks. Never real keys in git.

File formats: keys/README.md. This package does file IO; the stages under ``gateway/`` do not.
"""

from .files import (
    check_not_placeholder,
    file_mode,
    read_private_file,
    read_public_file,
    retire_private_file,
    write_private_file,
    write_public_file,
)
from .gateway_keys import (
    GatewayKeyPaths,
    generate_gateway_keys,
    load_jwks_file,
    load_pseudonym_key_file,
    load_signing_key_file,
    passphrase_from_env,
)
from .inventory import KeyEntry, describe_keys, public_jwks
from .paillier_files import (
    PaillierImport,
    PaillierKeyPaths,
    import_paillier_public_key,
    load_paillier_private_key_file,
    load_paillier_public_key_file,
    write_paillier_keypair,
)
from .rotation import (
    PseudonymRotation,
    SigningRotation,
    default_jwks_path,
    rotate_pseudonym_key,
    rotate_signing_key,
)

__all__ = [
    "GatewayKeyPaths",
    "KeyEntry",
    "PaillierImport",
    "PaillierKeyPaths",
    "PseudonymRotation",
    "SigningRotation",
    "check_not_placeholder",
    "default_jwks_path",
    "describe_keys",
    "file_mode",
    "generate_gateway_keys",
    "import_paillier_public_key",
    "load_jwks_file",
    "load_paillier_private_key_file",
    "load_paillier_public_key_file",
    "load_pseudonym_key_file",
    "load_signing_key_file",
    "passphrase_from_env",
    "public_jwks",
    "read_private_file",
    "read_public_file",
    "retire_private_file",
    "rotate_pseudonym_key",
    "rotate_signing_key",
    "write_paillier_keypair",
    "write_private_file",
    "write_public_file",
]
