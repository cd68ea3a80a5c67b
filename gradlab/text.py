"""How numbers and cells are written, in one place: for a learner, and exactly.

- ``fmt(v)``: four significant digits and a real minus sign, as explanations print a term
  (``with digits(6):`` asks for more, for an explanation whose terms must add up).
- ``shortest(a)``: each number as the shortest text that reads back to the same value in its
  own dtype (a float32 0.15 is ``"0.15"``, not ``"0.15000000596046448"``): what files, the
  clipboard and the exported scripts write, so that nothing is lost on the way out and back.
- ``cell_name("w1", (2, 0))``: ``"w1[2,0]"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

MINUS = "−"


_DIGITS: ContextVar[int] = ContextVar("digits", default=4)


def fmt(v: float) -> str:
    """A number as a learner reads it: four significant digits (or as many as ``digits`` asks) and a real minus sign."""
    return f"{float(v) + 0.0:.{_DIGITS.get()}g}".replace("-", MINUS)  # + 0.0 turns −0 into 0


@contextmanager
def digits(n: int) -> Iterator[None]:
    """Inside the block, ``fmt`` writes ``n`` significant digits: an explanation whose terms need more than four
    to add up to its total asks for them."""
    token = _DIGITS.set(n)
    try:
        yield
    finally:
        _DIGITS.reset(token)


def paren(v: float) -> str:
    """A number ready to be subtracted or multiplied: negatives in parentheses."""
    return f"({fmt(v)})" if v < 0 else fmt(v)


def cell_name(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(str(int(i)) for i in index)}]"


def shortest(a: np.ndarray) -> np.ndarray:
    """Each number as the shortest text that reads back as the same value in ``a``'s dtype."""
    a = np.asarray(a)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"only arrays of numbers can be written, not {a.dtype}")
    return a.astype(str)  # numpy writes every float in its shortest round-trip form for its own width


def exact_values(a: np.ndarray) -> list:
    """``a`` as Python numbers that give back exactly ``a`` in its dtype; float32 in its shortest form."""
    a = np.asarray(a)
    if a.dtype.kind != "f" or a.dtype == np.float64:
        return a.tolist()  # a float64's repr reads back as the same float64
    short = shortest(a).astype(np.float64)
    # Read as a float64 and rounded to float32, the shortest form gives back the float32; should it ever
    # round to a neighbour instead, the float32's own value, exact as a float64, is written.
    return np.where(short.astype(a.dtype) == a, short, a.astype(np.float64)).tolist()
