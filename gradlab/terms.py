"""The terms of a long sum, written out only when they are read.

``w1.g[i,j] = Σ_b x[b,i]·l1.g[b,j]`` has one term per batch row: 50 000 of them
for the lesson's MNIST batch, of which an explanation shows eight.  ``Terms``
holds the numbers and writes a term, ``(0.3)(−0.12)``, when it is asked for it.
Whether the terms add up, as printed, to the total as printed needs every one
of them, but only as a number: ``printed`` works out what each printed term is
worth, from the digits it would be printed with, for the whole batch at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from gradlab.text import digits, fmt

_EXACT_POWERS = np.array([float(10**k) for k in range(23)])  # 10⁰ … 10²², every one exact in float64
_UNIT = float(np.finfo(float).eps) / 2


class Terms(Sequence[str]):
    """One term per entry of the factors, each factor in parentheses: ``(a)(b)`` for two, ``(a)`` for one.

    Written with ``fmt`` at ``places`` significant digits, or, while unbound (None), at whatever ``fmt``
    writes when a term is read; an explanation binds its terms to its own digits (``at``)."""

    def __init__(self, *factors: np.ndarray, places: int | None = None):
        self.factors = tuple(np.asarray(f, dtype=float).reshape(-1) for f in factors)
        self.places = places
        self._decimals: list[Decimals] | None = None  # worked out once, shared by the same terms at other digits

    def at(self, places: int) -> Terms:
        """The same terms, written at ``places`` significant digits."""
        if places == self.places:
            return self
        same = Terms(*self.factors, places=places)
        same._decimals = self._decimals
        return same

    def __len__(self) -> int:
        return len(self.factors[0])

    @overload
    def __getitem__(self, k: int) -> str: ...

    @overload
    def __getitem__(self, k: slice) -> tuple[str, ...]: ...

    def __getitem__(self, k: int | slice) -> str | tuple[str, ...]:
        if isinstance(k, slice):
            return tuple(self[i] for i in range(len(self))[k])
        k = range(len(self))[k]  # an IndexError outside, and negative indices from the end
        if self.places is None:
            return "".join(f"({fmt(f[k])})" for f in self.factors)
        with digits(self.places):
            return "".join(f"({fmt(f[k])})" for f in self.factors)

    def __iter__(self) -> Iterator[str]:
        return (self[k] for k in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Terms):
            return self.places == other.places and all(np.array_equal(a, b) for a, b in zip(self.factors, other.factors))
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Terms({len(self)} terms, {self.places} digits)"

    def printed(self, places: int) -> np.ndarray:
        """What each term is worth as printed at ``places`` digits: the product of its factors as written."""
        if self._decimals is None:
            self._decimals = [Decimals(f) for f in self.factors]
        value = self._decimals[0].printed(places)
        for f in self._decimals[1:]:
            value = value * f.printed(places)
        return value


class Decimals:
    """Numbers ready to be written with any number of significant digits: each one's decimal exponent."""

    def __init__(self, a: np.ndarray):
        self.a = np.asarray(a, dtype=float)
        with np.errstate(all="ignore"):
            self.size = np.abs(self.a)
            self.ok = np.isfinite(self.a) & (self.size > 0)
            e = np.floor(np.log10(np.where(self.ok, self.size, 1.0))).astype(np.int64)
            scaled = _times_ten_to(self.size, -e)[0]  # the first digit before the point: in [1, 10)
            e += (scaled >= 10.0).astype(np.int64) - (self.ok & (scaled < 1.0))  # log10 may be one out near a power of ten
        self.e = e
        self.sure = np.abs(e) <= 22  # the exponent was checked against an exact power of ten

    def printed(self, places: int) -> np.ndarray:
        """Each number as ``fmt`` writes it with ``places`` significant digits, read back as a float64:
        ``float(f"{v:.{places}g}")``, worked out for the whole array at once.

        The number is scaled by an exact power of ten so that its digits come before the point, rounded to a
        whole number, and scaled back, which rounds once to the float64 nearest the decimal, as reading the
        text does.  Where the scaled number lies too near halfway for that rounding to be sure, or no exact
        power of ten will do (tiny or huge numbers), the text itself is written and read, for those few alone.
        """
        k = places - 1 - self.e
        with np.errstate(all="ignore"):
            scaled, exact = _times_ten_to(self.size, k)  # one rounding
            whole = np.rint(scaled)
            halfway = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 4 * _UNIT * scaled
            found = np.copysign(_times_ten_to(whole, -k)[0], self.a)  # one rounding, to the nearest float64
        found[~self.ok] = 0.0
        for i in np.flatnonzero(self.ok & (~exact | ~self.sure | halfway) | ~np.isfinite(self.a)):  # rare
            found[i] = float(f"{float(self.a[i]):.{places}g}")
        return found


def printed(a: np.ndarray, places: int) -> np.ndarray:
    """``Decimals(a).printed(places)``: each number of ``a`` as ``fmt`` writes it, read back."""
    return Decimals(a).printed(places)


def _times_ten_to(a: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` times 10 to the ``k``, with one rounding where 10^|k| is exact (|k| ≤ 22), and where that is so."""
    power = np.take(_EXACT_POWERS, np.abs(k), mode="clip")
    found = a * power
    down = k < 0
    if down.any():
        found[down] = a[down] / power[down]
    return found, np.abs(k) <= 22
