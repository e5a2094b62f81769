"""The fast canonical JSON path against its oracle, the ``rfc8785`` package, byte for byte.

Values are generated with the characters where a JSON encoder can go wrong: control characters,
quote and backslash, DEL, U+2028/U+2029, and object keys mixing U+E000..U+FFFF with characters
beyond the Basic Multilingual Plane (where UTF-16 order and code-point order disagree). Every
refusal is checked for its class and for the exact path and reason of the offending node.
"""

from __future__ import annotations

import enum
import random
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

import gateway.canonical as canonical
from gateway.canonical import CanonicalJSONError, canonical_json

SAFE_INT = 2**53 - 1
PROPERTY = settings(max_examples=400, deadline=None)
TRICKY = [
    "\x00", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1f", '"', "\\", "/", "\x7f", "\x80",
    "\u2028", "\u2029", "\ud7ff", "\ue000", "\uff01", "\ufeff", "\uffff",
    "\U00010000", "\U0001f600", "\U0010ffff",
]
CHARS = st.characters(exclude_categories=["Cs"]) | st.sampled_from(TRICKY)
TEXT = st.text(CHARS, max_size=12)
# Short keys over a small alphabet, so keys share prefixes and differ at the characters whose
# UTF-16 and code-point orders disagree.
CLASHING_KEYS = st.text(st.sampled_from(["a", "\ue000", "\uffff", "\U00010000", "\U0001f600"]),
                        max_size=3)
KEYS = TEXT | CLASHING_KEYS
INTS = st.integers(-SAFE_INT, SAFE_INT) | st.sampled_from([0, -1, SAFE_INT, -SAFE_INT])
SCALARS = st.none() | st.booleans() | INTS | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=30,
)


def oracle(value: Any) -> bytes:
    """The ``rfc8785`` package's canonical bytes."""
    return rfc8785.dumps(value)


@PROPERTY
@given(VALUES)
def test_canonical_json_equals_rfc8785(value: Any) -> None:
    assert canonical_json(value) == oracle(value)


@PROPERTY
@given(st.dictionaries(CLASHING_KEYS, SCALARS, min_size=2, max_size=8), st.randoms())
def test_keys_follow_utf16_order_whatever_the_insertion_order(
    value: dict[str, Any], rnd: random.Random
) -> None:
    items = list(value.items())
    rnd.shuffle(items)
    out = canonical_json({"outer": dict(items), "\U0001f600": 1, "\uff01": 2})
    assert out == oracle({"outer": value, "\U0001f600": 1, "\uff01": 2})


def test_non_bmp_key_sorts_before_private_use_key() -> None:
    # U+10000 is the UTF-16 pair D800 DC00, below E000; in code points it is above U+FFFF.
    out = canonical_json({"\uffff": 3, "\ue000": 2, "\U00010000": 1})
    assert out == '{"\U00010000":1,"\ue000":2,"\uffff":3}'.encode()


def test_every_control_character_and_line_separator_is_escaped_as_rfc8785_does() -> None:
    text = "".join(chr(c) for c in range(0x20)) + "\x7f\u2028\u2029\"\\/"
    assert canonical_json({text: [text]}) == oracle({text: [text]})
    assert canonical_json(text) == oracle(text)


@pytest.mark.parametrize(
    "value", [[], (), {}, [[], {}, ()], {"": {}}, "", 0, SAFE_INT, -SAFE_INT, True, False, None]
)
def test_empty_containers_and_scalar_roots(value: Any) -> None:
    assert canonical_json(value) == oracle(value)


def test_a_submission_sized_payload_equals_rfc8785() -> None:
    rnd = random.Random(5)
    attachments = [
        {f"field_{j}": f"{rnd.randrange(10**9)}-\u00e9{j}" for j in range(14)}
        | {"amount_minor": rnd.randrange(10**12), "day": i, "final": i % 2 == 0, "note": None}
        for i in range(2_000)
    ]
    value = {"schema": "ecg.submission/1", "attachments": attachments, "buckets": []}
    assert canonical_json(value) == oracle(value)


class Colour(enum.IntEnum):
    RED = 7


class Tag(enum.StrEnum):
    NAME = "name\u2028"


class Items(list[Any]):
    pass


class Converts(int):
    """An int whose conversion differs from its stored value: rfc8785 writes ``int(self)``."""

    def __int__(self) -> int:
        return 5


class Hides(dict[str, Any]):
    """A dict whose ``items()`` hides a member: rfc8785 copies the dict and writes them all."""

    def items(self) -> Any:
        return [(key, item) for key, item in super().items() if key != "b"]


def test_subclasses_take_the_reference_path_and_still_equal_rfc8785() -> None:
    value = {"c": Colour.RED, Tag.NAME: [Tag.NAME], "o": OrderedDict(b=1, a=2), "l": Items([1])}
    assert canonical_json(value) == oracle(value)


@pytest.mark.parametrize("odd", [Converts(3), Hides(a=1, b=2)], ids=["int", "dict"])
def test_subclasses_the_standard_encoder_writes_differently_equal_rfc8785(odd: Any) -> None:
    value = {"odd": [odd], "plain": "text"}
    assert canonical_json(value) == oracle(value)


def test_plain_values_never_reach_the_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: Any) -> bytes:
        raise AssertionError("reference path used")

    monkeypatch.setattr(canonical, "_reference", refuse)
    value = {"\U00010000": ["\ue000", 1, None, True, ()], "a": {"b": -SAFE_INT}}
    assert canonical_json(value) == oracle(value)


# --- depth ----------------------------------------------------------------------------------


def _nest(kinds: list[str], innermost: Any) -> tuple[Any, list[str]]:
    """``innermost`` wrapped in one container per kind (outermost first), and the step names."""
    node, steps = innermost, []
    for kind in reversed(kinds):
        if kind == "dict":
            node, step = {"k": node}, ".k"
        else:
            node, step = ([node] if kind == "list" else (node,)), "[0]"
        steps.append(step)
    return node, steps[::-1]


KINDS = st.sampled_from(["list", "tuple", "dict"])


@settings(max_examples=60, deadline=None)
@given(st.lists(KINDS, min_size=32, max_size=32), SCALARS)
def test_a_scalar_at_depth_32_is_accepted(kinds: list[str], leaf: Any) -> None:
    value, _ = _nest(kinds, leaf)
    assert canonical_json(value) == oracle(value)


@settings(max_examples=60, deadline=None)
@given(st.lists(KINDS, min_size=32, max_size=32), st.sampled_from([[], (), {}]))
def test_an_empty_container_at_depth_32_is_accepted(kinds: list[str], empty: Any) -> None:
    value, _ = _nest(kinds, empty)
    assert canonical_json(value) == oracle(value)


@settings(max_examples=60, deadline=None)
@given(st.lists(KINDS, min_size=33, max_size=40), SCALARS | st.sampled_from([[], {}]))
def test_anything_at_depth_33_is_refused_with_its_path(kinds: list[str], leaf: Any) -> None:
    value, steps = _nest(kinds, leaf)
    with pytest.raises(CanonicalJSONError) as info:
        canonical_json(value)
    assert str(info.value) == "$" + "".join(steps[:33]) + ": nested too deeply"


def test_a_cycle_is_refused_as_too_deep() -> None:
    cycle: list[Any] = []
    cycle.append({"again": cycle})
    with pytest.raises(CanonicalJSONError, match="nested too deeply"):
        canonical_json(cycle)


# --- refusals -------------------------------------------------------------------------------

# (offending node, reason) pairs; for the two bad-key cases the path names the object itself.
BAD = st.sampled_from([
    (1.5, "floats are not allowed"),
    (float("nan"), "floats are not allowed"),
    (0.0, "floats are not allowed"),
    (SAFE_INT + 1, "integer beyond 2**53; send it as a string"),
    (-SAFE_INT - 1, "integer beyond 2**53; send it as a string"),
    (2**80, "integer beyond 2**53; send it as a string"),
    ("ok\ud800", "a string holds a lone surrogate (not Unicode)"),
    ("\udfff", "a string holds a lone surrogate (not Unicode)"),
    ({"\udc00key": 1}, "a string holds a lone surrogate (not Unicode)"),
    ({1: "x"}, "object keys must be strings"),
    ({None: "x"}, "object keys must be strings"),
    ({True: "x"}, "object keys must be strings"),
    ({b"k": "x"}, "object keys must be strings"),
    (Decimal("1.00"), "Decimal is not a JSON type"),
    ({1, 2}, "set is not a JSON type"),
    (b"bytes", "bytes is not a JSON type"),
    (frozenset(), "frozenset is not a JSON type"),
])
STEPS = st.lists(
    st.tuples(st.just("key"), KEYS) | st.tuples(st.sampled_from(["list", "tuple"]),
                                                st.integers(0, 3)),
    max_size=8,
)


@PROPERTY
@given(BAD, STEPS, st.lists(SCALARS, min_size=3, max_size=3))
def test_every_refusal_names_the_path_and_reason(
    bad: tuple[Any, str], steps: list[tuple[str, Any]], fill: list[Any]
) -> None:
    node, reason = bad
    for kind, where in reversed(steps):
        if kind == "key":
            node = {f"{where}~{n}": v for n, v in enumerate(fill)} | {where: node}
        else:
            items = [*fill[:where], node, *fill[where:]]
            node = items if kind == "list" else tuple(items)
    path = "$" + "".join(f".{where}" if kind == "key" else f"[{where}]" for kind, where in steps)
    with pytest.raises(CanonicalJSONError) as info:
        canonical_json(node)
    assert str(info.value) == f"{path}: {reason}"
