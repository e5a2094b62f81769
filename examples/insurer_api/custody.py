"""Key custody: the one holder of the insurer's Paillier private key in the reference insurer.

:class:`KeyCustodian` decrypts exactly two things, each only as the verified object the
verification library returns:

- a hub release (:class:`gateway.hub.release.VerifiedRelease`): cross-exporter bucket totals
  with at least k contributors each, and remainders of the smaller buckets;
- the exposure buckets of verified submissions
  (:class:`gateway.verify.VerifiedSubmission`): a gateway's own aggregate buckets, added
  homomorphically per bucket key across the given submissions, so only the sums are decrypted.

There is no method that takes a ciphertext, an integer or a string, and no attribute that
returns the key; the key is not picklable and its ``repr`` is the fingerprint. Anything under
another Paillier key, a release whose k is below the insurer's own minimum, and a bucket or
remainder with fewer than k contributors are refused before anything is decrypted (the
verifier already refuses them: this is defence in depth).

This is an in-process boundary: it keeps the rest of the example honest, it does not stop code
running in the same process from reading memory. A production insurer keeps the key in a
separate custody service or an HSM that offers the same two operations.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NoReturn

from gateway.canonical import canonical_json
from gateway.crypto import PaillierPrivateKey, PaillierPublicKey, add_ciphertexts
from gateway.errors import CryptoError, VerificationError
from gateway.examples.insurer_api.released import (
    DecryptedRelease,
    ReleasedBucket,
    ReleasedRemainder,
)
from gateway.hub.release import VerifiedRelease
from gateway.verify import VerifiedSubmission

MIN_K = 2


def _decrypt(key: PaillierPrivateKey, ciphertext: str, where: str) -> int:
    """Only ever called by :class:`KeyCustodian` on what it has checked."""
    try:
        return key.decrypt(ciphertext)
    except CryptoError as exc:
        raise VerificationError(f"{where}: ciphertext does not decrypt") from exc


class KeyCustodian:
    """Holds a Paillier private key; decrypts only verified releases and submissions."""

    __slots__ = ("__key", "__min_k")

    def __init__(self, private_key: PaillierPrivateKey, *, min_k: int = MIN_K) -> None:
        if not isinstance(private_key, PaillierPrivateKey):
            raise TypeError("KeyCustodian needs a PaillierPrivateKey")
        if not isinstance(min_k, int) or isinstance(min_k, bool) or min_k < MIN_K:
            raise ValueError(f"min_k must be an integer of at least {MIN_K}")
        self.__key = private_key
        self.__min_k = min_k

    @property
    def public_key(self) -> PaillierPublicKey:
        """The public half (what exporters and the hub encrypt to)."""
        return self.__key.public_key

    @property
    def fingerprint(self) -> str:
        return self.__key.fingerprint

    @property
    def min_k(self) -> int:
        """The smallest k this insurer accepts in a release."""
        return self.__min_k

    def __repr__(self) -> str:
        return f"KeyCustodian(fingerprint={self.fingerprint!r}, min_k={self.__min_k})"

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a KeyCustodian cannot be pickled or copied")

    def _same_key(self, fingerprint: str, what: str) -> None:
        if fingerprint != self.__key.fingerprint:
            raise VerificationError(f"{what} is under another Paillier key; not decrypted")

    def decrypt_release(self, release: VerifiedRelease) -> DecryptedRelease:
        """The totals of a verified hub release, all checks passed before any decryption."""
        if type(release) is not VerifiedRelease:
            raise TypeError("decrypt_release takes a VerifiedRelease (gateway.hub.release)")
        self._same_key(release.fingerprint, "release")
        if release.k < self.__min_k:
            raise VerificationError(f"release k is below this insurer's minimum {self.__min_k}")
        counts = [b.contributors for b in release.buckets]
        counts += [r.contributors for r in release.remainders]
        if any(count < release.k for count in counts):
            raise VerificationError("release has a bucket with fewer than k contributors")
        buckets = tuple(
            ReleasedBucket(b.key.buyer, b.key.country, b.key.currency, b.key.maturity_month,
                           b.contributors, _decrypt(self.__key, b.ciphertext, f"buckets[{i}]"))
            for i, b in enumerate(release.buckets)
        )
        remainders = tuple(
            ReleasedRemainder(r.country, r.currency, r.contributors, r.buckets,
                              _decrypt(self.__key, r.ciphertext, f"remainders[{i}]"))
            for i, r in enumerate(release.remainders)
        )
        return DecryptedRelease(
            release_id=release.jti, hub_id=release.hub_id, period=release.period,
            iat=release.iat, k=release.k, fingerprint=release.fingerprint,
            sha256=release.sha256, buckets=buckets, remainders=remainders,
            suppressed_buckets=release.suppressed_buckets,
        )

    def decrypt_submission_exposure(
        self, submission: VerifiedSubmission, *more: VerifiedSubmission
    ) -> dict[str, int]:
        """``{bucket key (canonical JSON): total minor units}`` over the given submissions.

        The ciphertexts of one key are added first and only the sum is decrypted, once per key.
        """
        submissions = (submission, *more)
        if any(type(s) is not VerifiedSubmission for s in submissions):
            raise TypeError("decrypt_submission_exposure takes VerifiedSubmission objects")
        grouped: dict[str, list[str]] = defaultdict(list)
        for verified in submissions:
            exposure = verified.payload.exposure
            if exposure is None:
                continue
            self._same_key(exposure.key_fingerprint, "submission exposure")
            for bucket in exposure.buckets:
                key = canonical_json(bucket.key.model_dump()).decode()
                grouped[key].append(bucket.ciphertext)
        public = self.__key.public_key
        return {
            key: _decrypt(self.__key, add_ciphertexts(public, cts), "exposure bucket")
            for key, cts in sorted(grouped.items())
        }
