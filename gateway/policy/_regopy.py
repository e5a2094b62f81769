"""The one module that touches ``regopy`` (Microsoft's rego-cpp, embedded).

Hazards handled here so nothing else has to know them:

* rego-cpp logs evaluation conflicts to standard error, values included; every interpreter is
  built with logging off.
* Built-in errors are undefined by default, which could turn a failing ``withhold`` check into
  an ``attach``; strict built-in errors make them evaluation errors instead (as OPA's
  ``--strict-builtin-errors``).
* Errors arrive three ways: ``RegoError`` raised, an output that is not ``ok()`` (whose text must
  not be read: asking for it can crash the process), or a ``JSONDecodeError`` from the wrapper.
  All become :class:`EvaluationError`, whose text never contains input values.
* Integers are passed to C as 64-bit and silently wrap, and strings stop at NUL: input that
  cannot be represented exactly is refused before it gets there (:func:`exact_input`).
* An ``Interpreter`` is not thread-safe; callers serialise access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from regopy import Interpreter, LogLevel, RegoError

from gateway.errors import PolicyError

_MAX_EXACT_INT: Final = 2**53 - 1
_MAX_DEPTH: Final = 32
_ERRMSG_RE: Final = re.compile(r"errormsg \d+:([^\n)]*)")
_ERROR_AT_RE: Final = re.compile(r"\(error \d+:[^|\n]*\|(\d+)\|")


class EvaluationError(PolicyError):
    """A query failed. The message is fixed text: rego-cpp errors may echo input values."""


@dataclass(frozen=True)
class Evaluated:
    """A query's value, or ``defined=False`` if it is undefined."""

    defined: bool
    value: Any = None


def _first_message(text: str) -> str:
    match = _ERRMSG_RE.search(text)
    return match.group(1).strip() if match else "rejected by the Rego parser"


def _line_of(text: str, source: str) -> int | None:
    match = _ERROR_AT_RE.search(text)
    if not match:
        return None
    return source.encode("utf-8")[: int(match.group(1))].count(b"\n") + 1


def new_interpreter(modules: Mapping[str, str]) -> Interpreter:
    """An interpreter with ``modules`` loaded; :class:`PolicyError` naming the module (and the
    line, when rego-cpp gives an offset) if one does not parse."""
    interpreter = Interpreter()
    interpreter.log_level = LogLevel.NONE
    interpreter.strict_built_in_errors = True
    for path, source in modules.items():
        try:
            interpreter.add_module(path, source)
        except RegoError as exc:
            text = str(exc)
            line = _line_of(text, source)
            where = f"{path} line {line}" if line is not None else path
            raise PolicyError(f"{where}: {_first_message(text)}") from exc
    return interpreter


def exact_input(value: Any, depth: int = 0) -> bool:
    """True if ``value`` is JSON that rego-cpp receives unchanged: no floats, integers within
    2**53, strings and keys without NUL, bounded nesting."""
    if depth > _MAX_DEPTH:
        return False
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_EXACT_INT
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, (list, tuple)):
        return all(exact_input(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and "\x00" not in key and exact_input(item, depth + 1)
            for key, item in value.items()
        )
    return False


def _detail(exc: BaseException) -> str:
    text = str(getattr(exc, "doc", "") or exc)
    found = _ERRMSG_RE.search(text)
    return found.group(1).strip() if found else type(exc).__name__


def evaluate(interpreter: Interpreter, query: str, *, detail: bool = False) -> Evaluated:
    """Run ``query`` against the interpreter's current input.

    ``detail=True`` adds rego-cpp's first error message to :class:`EvaluationError`; use it only
    where the input is fixture data (Rego unit tests), never for records.
    """
    try:
        output = interpreter.query(query)
        ok = output.ok()
        results = output.results if ok else []
    except Exception as exc:  # rego-cpp reports errors in several ways; see module docstring
        suffix = f": {_detail(exc)}" if detail else ""
        raise EvaluationError(f"evaluation of {query} failed{suffix}") from None
    if not ok:
        raise EvaluationError(f"evaluation of {query} failed")
    expressions = results[0].expressions if results else []
    if not expressions:
        return Evaluated(defined=False)
    return Evaluated(defined=True, value=expressions[0])


def set_input(interpreter: Interpreter, value: Mapping[str, Any]) -> None:
    """Set the input document; :class:`EvaluationError` (without values) if rego-cpp refuses."""
    try:
        interpreter.set_input(dict(value))
    except Exception:  # conversion errors name the offending value's type only, but be safe
        raise EvaluationError("the input document could not be passed to the engine") from None
