"""Losses and their gradients, as the lesson's ``mse`` and ``mse_grad``.

Each loss is a sum of per-row terms divided by a ``divisor`` that depends on the
reduction.  Keeping the rows apart lets a nudge of one batch row recompute only
that row's term.  The divisor is the whole answer to "are batch gradients summed
or averaged?": the loss is averaged, so every row's gradient carries a ``/ divisor``.

- ``mse``: mean over every element of (out - y)²; divisor batch × n_out (sum: 1).
- ``half_sse``: ½ Σ (y - out)², the textbook loss; divisor batch (sum: 1).
- ``cross_entropy``: softmax, then the negative log-likelihood of integer class
  targets; divisor batch (sum: 1).
"""

from __future__ import annotations

import numpy as np

LOSSES = ("mse", "half_sse", "cross_entropy")
REDUCTIONS = ("mean", "sum")


def divisor(loss: str, out_shape: tuple[int, ...], reduction: str) -> int:
    if reduction == "sum":
        return 1
    batch, n_out = out_shape
    return batch * n_out if loss == "mse" else batch


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
    y = np.broadcast_to(y, out.shape[:-1])  # the same targets for every probe of a batched nudge
    return -np.take_along_axis(log_softmax(out), y[..., None], -1)[..., 0]


def cross_entropy_grad(out: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    one_hot = np.zeros_like(out)
    np.put_along_axis(one_hot, y[..., None], 1, -1)
    return (softmax(out) - one_hot) / n


ROWS = {"mse": mse_rows, "half_sse": half_sse_rows, "cross_entropy": cross_entropy_rows}
GRADS = {"mse": mse_grad, "half_sse": half_sse_grad, "cross_entropy": cross_entropy_grad}


def loss_rows(loss: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each batch row's share of the loss, before the reduction divides it."""
    return ROWS[loss](out, y)


def loss_grad(loss: str, out: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
    """``out.g``: the gradient of the loss with respect to the network's output."""
    return GRADS[loss](out, y, divisor(loss, out.shape, reduction))
