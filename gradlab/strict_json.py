"""JSON read strictly, at a cost known before it is read.

Python's ``json`` is lenient and trusting: the last of two equal keys silently
wins, a 5000-digit integer fails deep inside ``int`` with a traceback, nesting a
thousand levels deep exhausts the recursion limit, and a 3-byte ``[],`` becomes
a 64-byte list, so a small file can take gigabytes to hold.  ``loads`` looks at
the text first, without parsing it: with the strings blanked out, it counts the
values (every number, list and object) and measures the deepest nesting, and
refuses what is too much before ``json`` builds anything.  Then it parses with
duplicate keys refused and integers kept to a sane number of digits.

``numbers(a)`` writes an array as strict JSON may hold it: ``null`` where a number is not finite
(``json.dumps`` would write ``NaN``, which no strict parser reads).

``excerpt(value)`` shows a parsed value in a message: a few characters of it on
one line, never the value serialised again (which for a deep or huge value is
itself the failure).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from gradlab.errors import ScenarioError
from gradlab.reading import printable

MAX_DEPTH = 32  # a scenario nests 4 deep ({"layers": [{"w": [[…]]}]}), a recovery file 5
MAX_ITEMS = 8_000_000  # numbers, lists and objects: each costs Python 8 to 72 bytes to hold, so at most ~580 MB
MAX_OBJECTS = 100_000  # a scenario has one object per layer
MAX_INT_DIGITS = 20  # class indices and small whole numbers; anything longer is meant as a float (1e25)

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string, escapes and all
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1))
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")  # every byte but the four brackets


def _count(n: int) -> str:
    return f"{n:,}"


def _structure(data: bytes) -> bytes:
    """The text with every string emptied (``"…"`` becomes ``""``): what is left is numbers and brackets."""
    return _STRING.sub(b'""', data) if b'"' in data else data


def _depth(structure: bytes) -> int:
    """The deepest nesting of lists and objects (brackets inside strings were blanked out already)."""
    brackets = np.frombuffer(structure.translate(None, _BRACKETS), np.uint8)
    if brackets.size == 0:
        return 0
    step = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(step).max())


def check_cost(data: bytes, what: str = "it") -> bool:
    """Refuse, with one sentence about ``what``, JSON that would take too much memory or recursion to parse.

    Returns whether the text holds a run of digits longer than a whole number may be (which then
    has to be read one integer at a time)."""
    structure = _structure(data)
    objects = structure.count(b"{")
    items = structure.count(b",") + structure.count(b"[") + objects + 1  # every value but one follows a , or a [
    if items > MAX_ITEMS:
        raise ScenarioError(f"{what} holds about {_count(items)} numbers and lists; GradLab reads JSON of up to "
                            f"{_count(MAX_ITEMS)} (save a large scenario as .npz)")
    if objects > MAX_OBJECTS:
        raise ScenarioError(f"{what} holds {_count(objects)} JSON objects; GradLab reads up to {_count(MAX_OBJECTS)}")
    depth = _depth(structure)
    if depth > MAX_DEPTH:
        raise ScenarioError(f"{what} is nested {_count(depth)} levels deep; GradLab reads JSON nested up to {MAX_DEPTH} deep")
    return _LONG_DIGITS.search(structure) is not None


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, or ``ScenarioError`` if a key appears twice (plain ``json`` keeps the last silently)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ScenarioError(f"the key {excerpt(key)} appears twice in one object, so which value is meant is unclear")
            seen.add(key)
    return obj


def long_integer(value: int | str) -> str:
    """What is wrong with a whole number too long to read: "a whole number 401 digits long; …"."""
    if isinstance(value, str):
        digits, start = len(value.lstrip("-")), f" ({printable(value, 12)})"
    elif value.bit_length() < 14_000:  # str() of a longer int is refused past 4300 digits
        digits, start = len(str(abs(value))), ""
    else:
        digits, start = int(value.bit_length() * 0.30103) + 1, ""
    return (f"a whole number {_count(digits)} digits long{start}; GradLab reads whole numbers of up to "
            f"{MAX_INT_DIGITS} digits (write a large number as 1e25)")


def _integer(text: str, what: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ScenarioError(f"{what} has {long_integer(text)}")
    return int(text)


def loads(data: bytes | str, what: str = "it") -> Any:
    """Parse JSON text (bytes are UTF-8, with or without a byte-order mark), or raise ``ScenarioError``
    with one sentence about ``what`` ("the file"): too large or too deep (found before parsing), not
    JSON, a duplicate key, a whole number too long."""
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        raw = text.encode("utf-8", "surrogatepass")
    else:
        raw = data.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ScenarioError(f"{what} is not UTF-8 text (byte {e.start + 1} is not)") from None
    long_digits = check_cost(raw, what)
    del raw
    integer = (lambda digits: _integer(digits, what)) if long_digits else None  # a Python call per int is slow
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=integer)
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{what} is not valid JSON: {e.msg.lower()} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:  # check_cost measured the depth first, so this is only a last resort
        raise ScenarioError(f"{what} is nested too deeply to be read") from None


def excerpt(value: Any, limit: int = 40) -> str:
    """A parsed JSON value as a message shows it: short, on one line, and never serialised again."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        if value.bit_length() > 3 * limit + 4:  # str() of a long int is slow, and refused past 4300 digits
            return f"a whole number of about {_count(int(value.bit_length() * 0.30103) + 1)} digits"
        return printable(str(value), limit)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return '"' + printable(value, limit).replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {_count(len(value))}"
    if isinstance(value, dict):
        return "an object, {…}"
    return f"a {type(value).__name__}"


def numbers(a: np.ndarray | float) -> list | float | None:
    """A JSON-ready list (or number), with null where a number is not finite (a step that vanished)."""
    values = np.asarray(a, float)
    plain = values.astype(object)
    plain[~np.isfinite(values)] = None
    return plain.tolist()
