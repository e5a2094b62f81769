"""One exception tree for the whole gateway.

Every boundary wraps third-party errors (``httpx``, ``phe``, ``jwt``, ``regopy``, ``sqlalchemy``)
with ``raise ... from exc`` so no raw ``ValueError`` reaches a user. Every error has a
``diagnostics()`` text for the CLI that never contains secret material or record contents beyond
what the error's own fields hold (file, row, field, reason: never the offending value).

::

    GatewayError
    ├── ConfigError                 bad settings, mapping file or policy parameters (start-up)
    │   └── KeyMaterialError        missing, short, world-readable or placeholder key
    ├── SourceError                 a source cannot be read at all (file missing, DB unreachable)
    ├── RecordError                 one row is malformed: carries file, row, field and reason
    ├── PolicyError                 a policy cannot be loaded, compiled or evaluated
    ├── CryptoError                 a cryptographic operation failed
    │   ├── PaillierKeyError        a Paillier key document is malformed or too weak
    │   └── CiphertextError         a ciphertext is malformed or out of range
    ├── VerificationError           a JWS, submission or receipt does not verify
    ├── StoreError                  the local store failed
    ├── DeliveryError               the insurer could not be reached or answered badly
    └── AccountingError             read != attached + withheld + quarantined + pending
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class of every error the gateway raises on purpose."""

    def diagnostics(self) -> str:
        """A human explanation for the CLI, free of secrets."""
        return f"{type(self).__name__}: {self}"


class ConfigError(GatewayError):
    """Settings, a mapping file or policy operator parameters are invalid."""


class KeyMaterialError(ConfigError):
    """A key is missing, empty, too short, too widely readable or a placeholder."""


class SourceError(GatewayError):
    """A source cannot be opened or read as a whole."""


class RecordError(GatewayError):
    """One input row is malformed.

    ``source`` names the file (or table/query), ``row`` the physical line where the row starts in a
    CSV file (the header is line 1, so a user can open the file at that line), the line number in
    JSON Lines, or the 1-based result row of a query; ``field`` the canonical field, ``reason`` a
    stable, human-readable reason. The offending value is deliberately not kept: it may be a trade
    secret, and errors end up in logs.
    """

    def __init__(self, source: str, row: int, field: str, reason: str) -> None:
        self.source = source
        self.row = row
        self.field = field
        self.reason = reason
        super().__init__(f"{source} row {row} field {field}: {reason}")


class PolicyError(GatewayError):
    """A policy cannot be loaded, compiled or evaluated."""


class CryptoError(GatewayError):
    """A cryptographic operation failed."""


class PaillierKeyError(CryptoError):
    """A Paillier key document is malformed or too weak."""


class CiphertextError(CryptoError):
    """A Paillier ciphertext is malformed or out of range."""


class VerificationError(GatewayError):
    """A JWS, submission or receipt failed verification."""


class StoreError(GatewayError):
    """The local store failed."""


class DeliveryError(GatewayError):
    """The insurer could not be reached or answered with something other than a valid receipt."""

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = True):
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message)


class AccountingError(GatewayError):
    """A sync's account does not balance: some record is unaccounted for."""
