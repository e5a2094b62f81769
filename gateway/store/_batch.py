"""Batching helpers: one statement per chunk of values instead of one per value.

``IN (...)`` lists are cut into chunks of at most :data:`MAX_PARAMS` values, well below every
SQLite build's limit on bound parameters (999 before 3.32), so a look-up of a batch of keys is a
handful of statements whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final, TypeVar

MAX_PARAMS: Final = 500

T = TypeVar("T")


def chunks(values: Iterable[T], size: int = MAX_PARAMS) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``."""
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def marks(values: Sequence[object]) -> str:
    """``?, ?, ...``: one placeholder per value, for an ``IN (...)`` list."""
    return ", ".join("?" * len(values))
