"""The dashboard tests' book: three real syncs in a real store (see book.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.crypto import PaillierPrivateKey
from tests.unit.dashboard.book import Book, build_book


@pytest.fixture(scope="module")
def book(
    tmp_path_factory: pytest.TempPathFactory, paillier_keypair: PaillierPrivateKey
) -> Iterator[Book]:
    """Shared by a module's tests, which only read it."""
    with build_book(tmp_path_factory.mktemp("book"), paillier_keypair) as built:
        yield built
