"""Losses and their gradients, as the lesson's ``mse`` and ``mse_grad``, each kind defined once.

Each loss is a sum of per-row terms divided by a ``divisor`` that depends on the
reduction.  Keeping the rows apart lets a nudge of one batch row recompute only
that row's term.  The divisor is the whole answer to "are batch gradients summed
or averaged?": the loss is averaged, so every row's gradient carries a ``/ n``.

- ``mse``: mean over every element of (out - y)²; n = batch × n_out (sum: 1).
- ``half_sse``: ½ Σ (y - out)², the textbook loss; n = batch (sum: 1).
- ``cross_entropy``: softmax, then the negative log-likelihood of integer class
  targets; n = batch (sum: 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from gradlab.text import fmt, paren

REDUCTIONS = ("mean", "sum")


def mse_rows(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ((out - y) ** 2).sum(-1)


def mse_grad(out: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    return 2.0 * (out - y) / n


def half_sse_rows(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    return 0.5 * ((y - out) ** 2).sum(-1)


def half_sse_grad(out: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    return (out - y) / n


def log_softmax(out: np.ndarray) -> np.ndarray:
    shifted = out - out.max(-1, keepdims=True)  # subtracting the max keeps exp from overflowing
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def softmax(out: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(out))


def cross_entropy_rows(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Minus the log-probability of each row's class (``y`` holds one class index per row)."""
    y = np.broadcast_to(y, out.shape[:-1])  # the same targets for every probe of a batched nudge
    return -np.take_along_axis(log_softmax(out), y[..., None], -1)[..., 0]


def cross_entropy_grad(out: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    one_hot = np.zeros_like(out)
    np.put_along_axis(one_hot, y[..., None], 1, -1)
    return (softmax(out) - one_hot) / n


@dataclass(frozen=True)
class Divisor:
    """What the summed row losses are divided by, and how each place that shows it says so."""

    n: int
    lesson: str  # in the lesson's code: "out.numel()", "out.shape[0]" or "1"
    numpy: str  # in the NumPy script: "out.size", "out.shape[0]" or "1"
    why: str  # in words
    caption: str  # as short as a label beside the loss: "mean of 4×1 squared errors"


class Loss:
    """One kind of loss: its per-row terms, its gradient, and how it is written."""

    name: ClassVar[str]
    code: ClassVar[str]  # the lesson's line, with {n} for the divisor
    numpy_functions: ClassVar[tuple[str, ...]]  # the functions of this module the NumPy script copies
    every_element: ClassVar[bool] = False  # averaged over every element of out, not over the rows

    @staticmethod
    def rows(out: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def grad(out: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def working(b: int, j: int, out: np.ndarray, y: np.ndarray, n: int) -> tuple[str, tuple[str, ...]]:
        """The formula of ``out.g[b,j]`` and its one term with the numbers put in."""
        raise NotImplementedError

    @classmethod
    def divisor(cls, out_shape: tuple[int, ...], reduction: str) -> Divisor:
        """The one rule for "summed or averaged?"."""
        if reduction == "sum":
            return Divisor(1, "1", "1", "the loss is summed over the batch, so nothing divides it", "summed over the batch")
        batch, n_out = out_shape
        if cls.every_element:
            return Divisor(batch * n_out, "out.numel()", "out.size", "the loss is averaged over every element of out",
                           f"mean of {batch}×{n_out} squared errors")
        return Divisor(batch, "out.shape[0]", "out.shape[0]", "the loss is averaged over the batch",
                       f"mean over a batch of {batch}")


class MSE(Loss):
    name: ClassVar[str] = "mse"
    code: ClassVar[str] = "out.g = 2. * (out - y) / {n}"
    numpy_functions: ClassVar[tuple[str, ...]] = ("mse_rows", "mse_grad")
    every_element: ClassVar[bool] = True
    rows = staticmethod(mse_rows)
    grad = staticmethod(mse_grad)

    @staticmethod
    def working(b: int, j: int, out: np.ndarray, y: np.ndarray, n: int) -> tuple[str, tuple[str, ...]]:
        return f"2·(out[{b},{j}] − y[{b},{j}]) / {n}", (f"2·({fmt(out[b, j])} − {paren(y[b, j])}) / {n}",)


class HalfSSE(Loss):
    name: ClassVar[str] = "half_sse"
    code: ClassVar[str] = "out.g = (out - y) / {n}"
    numpy_functions: ClassVar[tuple[str, ...]] = ("half_sse_rows", "half_sse_grad")
    rows = staticmethod(half_sse_rows)
    grad = staticmethod(half_sse_grad)

    @staticmethod
    def working(b: int, j: int, out: np.ndarray, y: np.ndarray, n: int) -> tuple[str, tuple[str, ...]]:
        return f"(out[{b},{j}] − y[{b},{j}]) / {n}", (f"({fmt(out[b, j])} − {paren(y[b, j])}) / {n}",)


class CrossEntropy(Loss):
    name: ClassVar[str] = "cross_entropy"
    code: ClassVar[str] = "out.g = (softmax(out) - one_hot(y)) / {n}"
    numpy_functions: ClassVar[tuple[str, ...]] = ("log_softmax", "softmax", "cross_entropy_rows", "cross_entropy_grad")
    rows = staticmethod(cross_entropy_rows)
    grad = staticmethod(cross_entropy_grad)

    @staticmethod
    def working(b: int, j: int, out: np.ndarray, y: np.ndarray, n: int) -> tuple[str, tuple[str, ...]]:
        hit = int(y[b] == j)
        return (f"(softmax(out)[{b},{j}] − [y[{b}] = {j}]) / {n}", (f"({fmt(softmax(out[b])[j])} − {hit}) / {n}",))


KINDS: dict[str, type[Loss]] = {cls.name: cls for cls in (MSE, HalfSSE, CrossEntropy)}
LOSSES = tuple(KINDS)


def divisor(loss: str, out_shape: tuple[int, ...], reduction: str) -> Divisor:
    return KINDS[loss].divisor(out_shape, reduction)


def loss_rows(loss: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each batch row's share of the loss, before the reduction divides it."""
    return KINDS[loss].rows(out, y)


def loss_grad(loss: str, out: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
    """``out.g``: the gradient of the loss with respect to the network's output."""
    return KINDS[loss].grad(out, y, divisor(loss, out.shape, reduction).n)
