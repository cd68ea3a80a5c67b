"""The network: a batch ``x``, targets ``y``, a stack of layers, and a loss.

Names follow the lesson.  Parameters are ``w1, b1, w2, b2, …`` numbered over the
linear layers; the output of layer k (counting every layer) is ``l{k}``, except
the last, which is ``out``; the gradient of anything is ``<name>.g``.  The
lesson's two-layer net is ``l1 = lin(x, w1, b1)``, ``l2 = relu(l1)``,
``out = lin(l2, w2, b2)``.

``run(net)`` does the forward pass, keeping every intermediate, then the
hand-written backward pass, which runs the lesson's gradient functions in the
order of ``backward_steps(net)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from gradlab import layers, losses


@dataclass
class Layer:
    kind: str  # one of layers.LAYER_KINDS
    w: np.ndarray | None = None  # linear only: n_in × n_out
    b: np.ndarray | None = None  # linear only: n_out
    slope: float = 0.01  # leaky_relu only


@dataclass(frozen=True)
class Wiring:
    """The names a layer reads and writes: ``out = layer(inp; w, b)``."""

    kind: str
    inp: str
    out: str
    w: str | None = None
    b: str | None = None


@dataclass
class Network:
    x: np.ndarray
    y: np.ndarray  # batch × n_out, or batch class indices for cross_entropy
    layers: list[Layer]
    loss: str = "mse"
    reduction: str = "mean"
    title: str = ""
    notes: str = ""

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    def wiring(self) -> list[Wiring]:
        wires, k_linear = [], 0
        for k, layer in enumerate(self.layers, start=1):
            inp = "x" if k == 1 else f"l{k - 1}"
            out = "out" if k == len(self.layers) else f"l{k}"
            if layer.kind == "linear":
                k_linear += 1
                wires.append(Wiring("linear", inp, out, f"w{k_linear}", f"b{k_linear}"))
            else:
                wires.append(Wiring(layer.kind, inp, out))
        return wires

    def parameters(self) -> dict[str, np.ndarray]:
        """``{"w1": w1, "b1": b1, …}`` in layer order (the arrays themselves, not copies)."""
        params = {}
        for wire, layer in zip(self.wiring(), self.layers):
            if wire.w is not None:
                params[wire.w], params[wire.b] = layer.w, layer.b
        return params

    def inputs(self) -> dict[str, np.ndarray]:
        """Every tensor a learner can nudge: ``x`` then the parameters."""
        return {"x": self.x, **self.parameters()}

    def activations(self) -> list[str]:
        """``["l1", "l2", …, "out"]``: what the forward pass computes, in order."""
        return [wire.out for wire in self.wiring()]

    def tensor(self, name: str) -> np.ndarray:
        if name == "y":
            return self.y
        tensors = self.inputs()
        if name not in tensors:
            raise KeyError(f"the network has no editable tensor named {name!r}")
        return tensors[name]

    def copy(self) -> Network:
        return copy.deepcopy(self)

    def astype(self, dtype: str | np.dtype) -> Network:
        """A copy with every float array in ``dtype`` (class indices stay integers)."""
        net = self.copy()
        net.x = net.x.astype(dtype)
        if net.loss != "cross_entropy":
            net.y = net.y.astype(dtype)
        for layer in net.layers:
            if layer.kind == "linear":
                layer.w, layer.b = layer.w.astype(dtype), layer.b.astype(dtype)
        return net


@dataclass
class Pass:
    """One forward and backward pass: every value and every ``.g``."""

    values: dict[str, np.ndarray]  # x, w1, b1, …, l1, …, out
    grads: dict[str, np.ndarray] = field(default_factory=dict)  # the same names: x.g is grads["x"]
    rows: np.ndarray | None = None  # each batch row's share of the loss, before the divisor
    loss: np.floating | None = None
    _columns: dict[str, dict[int, np.ndarray]] = field(default_factory=dict, repr=False)

    def columns(self, name: str, cols: np.ndarray) -> np.ndarray:
        """Whole columns of ``values[name]``: ``cols`` is probes × c, the result probes × c × batch.

        A nudge reads whole columns, and reading one from a row-major array touches
        every row; each column read is kept, so nudging the same cell again is cheap."""
        kept = self._columns.setdefault(name, {})
        if cols.size == 1 and int(cols.flat[0]) in kept:  # one nudge of one cell, again: the usual case
            return kept[int(cols.flat[0])][None, None, :]
        wanted = np.unique(cols)
        missing = [int(j) for j in wanted if int(j) not in kept]
        if missing:
            for j, column in zip(missing, np.ascontiguousarray(self.values[name][:, missing].T)):
                kept[j] = column
        block = np.stack([kept[int(j)] for j in wanted])
        return block[np.searchsorted(wanted, cols)]


def forward(net: Network) -> Pass:
    values = dict(net.inputs())
    for wire, layer in zip(net.wiring(), net.layers):
        inp = values[wire.inp]
        if layer.kind == "linear":
            values[wire.out] = layers.lin(inp, layer.w, layer.b)
        else:
            values[wire.out] = layers.activate(layer.kind, inp, layer.slope)
    rows = losses.loss_rows(net.loss, values["out"], net.y)
    loss = rows.sum() / losses.divisor(net.loss, values["out"].shape, net.reduction)
    return Pass(values, rows=rows, loss=loss)


@dataclass(frozen=True)
class Step:
    """One call of the backward pass, as the lesson writes it."""

    call: str  # e.g. "lin_grad(l2, out, w2, b2)"
    code: tuple[str, ...]  # the lines it runs, lesson style
    reads: tuple[str, ...]  # values and gradients it reads ("out.g" is a gradient)
    writes: tuple[str, ...]  # the gradients it writes


def backward_steps(net: Network) -> list[Step]:
    """The backward pass in the order it runs: the loss first, then each layer from the last."""
    steps = [_loss_step(net)]
    for wire, layer in reversed(list(zip(net.wiring(), net.layers))):
        i, o = wire.inp, wire.out
        if layer.kind == "linear":
            steps.append(Step(
                f"lin_grad({i}, {o}, {wire.w}, {wire.b})",
                (f"{i}.g = {o}.g @ {wire.w}.t()",
                 f"{wire.w}.g = ({i}.unsqueeze(-1) * {o}.g.unsqueeze(1)).sum(0)",
                 f"{wire.b}.g = {o}.g.sum(0)"),
                (i, f"{o}.g", wire.w),
                (f"{i}.g", f"{wire.w}.g", f"{wire.b}.g"),
            ))
        else:
            line = {
                "relu": f"{i}.g = ({i} > 0).float() * {o}.g",
                "leaky_relu": f"{i}.g = torch.where({i} > 0, 1, {layer.slope:g}) * {o}.g",
                "sigmoid": f"{i}.g = {o} * (1 - {o}) * {o}.g",
                "tanh": f"{i}.g = (1 - {o}**2) * {o}.g",
            }[layer.kind]
            steps.append(Step(f"{layer.kind}_grad({i}, {o})", (line,), (i, o, f"{o}.g"), (f"{i}.g",)))
    return steps


def _loss_step(net: Network) -> Step:
    n = "out.shape[0]" if net.reduction == "mean" else "1"
    if net.loss == "mse":
        n = "out.numel()" if net.reduction == "mean" else "1"
        line = f"out.g = 2. * (out - y) / {n}"
    elif net.loss == "half_sse":
        line = f"out.g = (out - y) / {n}"
    else:
        line = f"out.g = (softmax(out) - one_hot(y)) / {n}"
    return Step(f"{net.loss}_grad(out, y)", (line,), ("out", "y"), ("out.g",))


def backward(net: Network, p: Pass) -> Pass:
    """Fill ``p.grads`` with every ``.g``, running ``backward_steps`` in order."""
    g = p.grads
    g["out"] = losses.loss_grad(net.loss, p.values["out"], net.y, net.reduction)
    for wire, layer in reversed(list(zip(net.wiring(), net.layers))):
        inp, out = p.values[wire.inp], p.values[wire.out]
        if layer.kind == "linear":
            g[wire.inp], g[wire.w], g[wire.b] = layers.lin_grad(inp, g[wire.out], layer.w)
        else:
            g[wire.inp] = layers.activation_grad(layer.kind, inp, out, g[wire.out], layer.slope)
    return p


def run(net: Network) -> Pass:
    """Forward, then backward: the loss, every intermediate and every gradient."""
    return backward(net, forward(net))
