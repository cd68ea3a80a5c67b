"""The Jacobian of one layer at one output cell, with the learner's numbers:
the explanation learners ask for (``docs/lesson.md``, question 8).

For ``f = inp @ w + b`` and an output cell ``f[b,j]``:

- ∂f[b,j]/∂b is a 1 in column j and zeros elsewhere; stacked over j, the
  identity matrix, which is why ``b.g`` is just ``f.g`` summed over the batch;
- ∂f[b,j]/∂inp is ``w[:,j]`` in row b (column j of ``w``, row j of ``w.t()``:
  the transpose in ``inp.g = f.g @ w.t()``) and zeros in every other row;
- ∂f[b,j]/∂w is ``inp[b,:]`` in column j and zeros elsewhere.

For an activation ``f = act(z)``, ∂f[b,j]/∂z is its slope at ``z[b,j]`` in that
one cell, and the slopes of every cell (1 where a ReLU is on, 0 where it is
off, its kink at 0 marked) are what ``relu_grad`` multiplies ``f.g`` by.

Each grid comes with one line saying why it holds these numbers and one line of
the chain rule with the numbers of the loss's backward pass put in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.layers import Activation, Linear, Names
from gradlab.network import Network, Pass, run
from gradlab.text import fmt
from gradlab.watch import Watched, WatchError, watched


@dataclass(frozen=True)
class LocalGrid:
    """One grid of local derivatives: what it is, its numbers, and two lines of text."""

    kind: str  # "bias", "identity", "input", "weight" (linear); "slope", "slopes" (activation)
    title: str  # "∂l1[0,2]/∂b1"
    values: np.ndarray
    mark: np.ndarray  # bool: the cells the text is about (column j, row b, the one cell)
    kink: np.ndarray  # bool: cells where an activation's input sits on its kink
    text: str  # why these numbers
    chain: str  # the chain rule with the user's numbers


@dataclass(frozen=True)
class LayerJacobian:
    cell: str  # "l1[0,2]"
    formula: str  # "l1 = x @ w1 + b1"
    grids: tuple[LocalGrid, ...]

    def grid(self, kind: str) -> LocalGrid:
        for g in self.grids:
            if g.kind == kind:
                return g
        raise KeyError(f"{self.cell} has no {kind} grid; it has {', '.join(g.kind for g in self.grids)}")


def layer_jacobian(net: Network, cell: Watched | str, p: Pass | None = None) -> LayerJacobian:
    """The local derivatives of the computed cell ``cell`` (``l1[0,2]``, ``out[1,0]``) within its own layer."""
    of = watched(net, cell)
    if of.tensor == "loss":
        raise WatchError("the loss is not a layer's output; pick a cell of l1, l2, … or out")
    p = p if p is not None and p.grads else run(net)
    layer, names = net.named_layers()[net.activations().index(of.tensor)]
    formula = layer.fill(layer.forward_code, names)
    b, j = of.index
    if isinstance(layer, Linear):
        grids = _linear(layer, names, b, j, p)
    else:
        grids = _activation(layer, names, b, j, p)
    return LayerJacobian(str(of), formula, grids)


def _terms(gs: np.ndarray, names: list[str]) -> str:
    return " + ".join(f"({fmt(g)})·{n}" for g, n in zip(gs, names))


def _vector(v: np.ndarray) -> str:
    return "[" + ", ".join(fmt(x) for x in v) + "]"


def _linear(layer: Linear, names: Names, b: int, j: int, p: Pass) -> tuple[LocalGrid, ...]:
    i, f, w, bn = names.inp, names.out, str(names.w), str(names.b)
    inp, f_g = p.values[i], p.grads[f]
    n_in, n_out = layer.w.shape
    dtype = layer.w.dtype
    cell = f"{f}[{b},{j}]"

    bias = np.zeros(n_out, dtype)
    bias[j] = 1
    by_row = " + ".join(f"({fmt(g)})" for g in f_g[:, j])
    bias_grid = LocalGrid(
        "bias", f"∂{cell}/∂{bn}", bias, bias != 0, np.zeros(n_out, bool),
        f"{cell} = {i}[{b},:] @ {w}[:,{j}] + {bn}[{j}]: only {bn}[{j}] appears, with coefficient 1 — "
        f"a 1 in column {j}, zeros elsewhere",
        f"dL/d{bn}[{j}] = Σ_b dL/d{f}[b,{j}] · 1 = {by_row} = {fmt(p.grads[bn][j])}",
    )
    identity = np.eye(n_out, dtype=dtype)
    row_j = np.zeros((n_out, n_out), bool)
    row_j[j] = True
    identity_grid = LocalGrid(
        "identity", f"∂{f}[{b},:]/∂{bn}", identity, row_j, np.zeros((n_out, n_out), bool),
        f"stacked over j, the rows ∂{f}[{b},j]/∂{bn} make the identity matrix: multiplying by it changes nothing, "
        f"so {bn}.g is {f}.g summed over the batch, whose rows all use the same {bn}",
        f"dL/d{bn} = Σ_b dL/d{f}[b,:] · I = {f}.g.sum(0) = {_vector(p.grads[bn])}",
    )
    by_inp = np.zeros_like(inp)
    by_inp[b] = layer.w[:, j]
    row_b = np.zeros(inp.shape, bool)
    row_b[b] = True
    input_grid = LocalGrid(
        "input", f"∂{cell}/∂{i}", by_inp, row_b, np.zeros(inp.shape, bool),
        f"{i}[{b},k] enters {cell} with coefficient {w}[k,{j}]: row {b} holds column {j} of {w}, which is row {j} "
        f"of {w}.t() — the transpose in {i}.g = {f}.g @ {w}.t(); no other row of {i} appears",
        f"dL/d{i}[{b},:] = Σ_j dL/d{f}[{b},j] · {w}[:,j] = "
        f"{_terms(f_g[b], [f'{w}[:,{k}]' for k in range(n_out)])} = {_vector(p.grads[i][b])}",
    )
    by_w = np.zeros_like(layer.w)
    by_w[:, j] = inp[b]
    column_j = np.zeros((n_in, n_out), bool)
    column_j[:, j] = True
    weight_grid = LocalGrid(
        "weight", f"∂{cell}/∂{w}", by_w, column_j, np.zeros((n_in, n_out), bool),
        f"{w}[k,{j}] multiplies {i}[{b},k] in {cell}: column {j} holds row {b} of {i}, and no other column of {w} appears",
        f"dL/d{w}[:,{j}] = Σ_b dL/d{f}[b,{j}] · {i}[b,:] = "
        f"{_terms(f_g[:, j], [f'{i}[{r},:]' for r in range(len(inp))])} = {_vector(p.grads[w][:, j])}",
    )
    return bias_grid, identity_grid, input_grid, weight_grid


def _activation(layer: Activation, names: Names, b: int, j: int, p: Pass) -> tuple[LocalGrid, ...]:
    i, f = names.inp, names.out
    z, out = p.values[i], p.values[f]
    slopes = layer.local(z, out)
    on_kink = (z == 0) if layer.kinked else np.zeros(z.shape, bool)
    cell, at = f"{f}[{b},{j}]", f"{i}[{b},{j}]"
    one = np.zeros(z.shape, bool)
    one[b, j] = True
    working = layer.working(names, (b, j), float(z[b, j]), float(out[b, j]), float(p.grads[f][b, j]))
    slope_grid = LocalGrid(
        "slope", f"∂{cell}/∂{i}", np.where(one, slopes, 0), one, one & on_kink,
        f"{layer.kind} acts cell by cell: {cell} reads {at} alone, with slope {fmt(slopes[b, j])} there; {working.note}",
        f"dL/d{at} = dL/d{cell} · {layer.kind}'({at}) = {working.formula} = {' '.join(working.terms)} "
        f"= {fmt(p.grads[i][b, j])}",
    )
    words = layer.fill(layer.slope_words, names)
    if on_kink.any():
        words += f"; ⚠ marks {i} = 0, the kink, where the slope jumps and the lesson takes the slope below 0"
    slopes_grid = LocalGrid(
        "slopes", f"{layer.kind}'({i})", slopes, one, on_kink, f"{layer.kind}'({i}) cell by cell: {words}",
        "what the backward pass multiplies by: " + "; ".join(layer.fill(line, names) for line in layer.code),
    )
    return slope_grid, slopes_grid
