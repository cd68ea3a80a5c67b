"""The layers of the lesson's network, each forward function next to its gradient.

Arrays follow the lesson's layout: a batch of rows, ``inp`` is batch × n_in,
``w`` is n_in × n_out, ``b`` has n_out entries, so a linear layer is
``inp @ w + b``.  Every ``*_grad`` function takes the gradient of the loss with
respect to the layer's output (``out.g``) and returns the gradient with respect
to its input (``inp.g``); ``lin_grad`` also returns ``w.g`` and ``b.g``.
"""

from __future__ import annotations

import numpy as np


def lin(inp: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return inp @ w + b


def lin_grad(
    inp: np.ndarray, out_g: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``inp.g``, ``w.g`` and ``b.g`` of ``out = inp @ w + b``."""
    inp_g = out_g @ w.T
    # The lesson writes (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0): the sum over
    # the batch of each row's outer product.  inp.T @ out.g is the same sum without
    # building the batch × n_in × n_out intermediate.
    w_g = inp.T @ out_g
    b_g = out_g.sum(0)
    return inp_g, w_g, b_g


def relu(inp: np.ndarray) -> np.ndarray:
    return np.maximum(inp, 0)


def relu_grad(inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
    return (inp > 0) * out_g


def leaky_relu(inp: np.ndarray, slope: float = 0.01) -> np.ndarray:
    return np.where(inp > 0, inp, slope * inp)


def leaky_relu_grad(
    inp: np.ndarray, out: np.ndarray, out_g: np.ndarray, slope: float = 0.01
) -> np.ndarray:
    return np.where(inp > 0, out_g, slope * out_g)


def sigmoid(inp: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-inp) = inf for very negative inp gives 0, as it should
        return 1 / (1 + np.exp(-inp))


def sigmoid_grad(inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
    return out * (1 - out) * out_g


def tanh(inp: np.ndarray) -> np.ndarray:
    return np.tanh(inp)


def tanh_grad(inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
    return (1 - out**2) * out_g


def local_derivative(kind: str, inp: np.ndarray, out: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """d out / d inp of an activation, cell by cell: what its ``_grad`` multiplies ``out.g`` by."""
    ones = np.ones_like(inp)
    if kind == "leaky_relu":
        return leaky_relu_grad(inp, out, ones, slope)
    return ACTIVATIONS[kind][1](inp, out, ones)


def activate(kind: str, inp: np.ndarray, slope: float = 0.01) -> np.ndarray:
    if kind == "leaky_relu":
        return leaky_relu(inp, slope)
    return ACTIVATIONS[kind][0](inp)


def activation_grad(
    kind: str, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray, slope: float = 0.01
) -> np.ndarray:
    if kind == "leaky_relu":
        return leaky_relu_grad(inp, out, out_g, slope)
    return ACTIVATIONS[kind][1](inp, out, out_g)


ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
}
KINKED = ("relu", "leaky_relu")  # activations whose derivative jumps at 0
LAYER_KINDS = ("linear", *ACTIVATIONS)
