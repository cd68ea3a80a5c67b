"""The network: a batch ``x``, targets ``y``, a stack of layers, and a loss.

Names follow the lesson.  Parameters are ``w1, b1, w2, b2, …`` numbered over the
linear layers; the output of layer k (counting every layer) is ``l{k}``, except
the last, which is ``out``; the gradient of anything is ``<name>.g``.  The
lesson's two-layer net is ``l1 = lin(x, w1, b1)``, ``l2 = relu(l1)``,
``out = lin(l2, w2, b2)``.

``run(net)`` does the forward pass, keeping every intermediate, then the
hand-written backward pass: the steps of ``backward_steps(net)``, run in order,
the very steps the stepper shows one at a time.  After them come the steps of
``update_steps(net, lr)``, one per parameter that is not frozen: the gradient
put to use, ``w1 -= lr * w1.g``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from gradlab import losses
from gradlab.layers import Layer, Linear, Names


@dataclass
class Network:
    x: np.ndarray
    y: np.ndarray  # batch × n_out, or batch class indices for cross_entropy
    layers: list[Layer]
    loss: str = "mse"  # one of losses.LOSSES
    reduction: str = "mean"
    title: str = ""
    notes: str = ""
    frozen: frozenset[str] = frozenset()  # parameters gradient descent leaves alone ("b1", …)

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    @property
    def loss_kind(self) -> type[losses.Loss]:
        return losses.KINDS[self.loss]

    def wiring(self) -> list[Names]:
        """The names each layer reads and writes, in order: ``Names("x", "l1", "w1", "b1")``, …"""
        wires, k_linear = [], 0
        for k, layer in enumerate(self.layers, start=1):
            inp = "x" if k == 1 else f"l{k - 1}"
            out = "out" if k == len(self.layers) else f"l{k}"
            if isinstance(layer, Linear):
                k_linear += 1
                wires.append(Names(inp, out, f"w{k_linear}", f"b{k_linear}"))
            else:
                wires.append(Names(inp, out))
        return wires

    def named_layers(self) -> list[tuple[Layer, Names]]:
        return list(zip(self.layers, self.wiring()))

    def linear_layers(self) -> list[Linear]:
        return [layer for layer in self.layers if isinstance(layer, Linear)]

    def widths(self) -> list[int]:
        """The input width, then each linear layer's: ``[3, 4, 1]`` for the lesson's 3 → 4 → 1."""
        linear = self.linear_layers()
        return [linear[0].w.shape[0]] + [layer.w.shape[1] for layer in linear]

    def hidden_activations(self) -> list[str | None]:
        """The kind of the activation right after each hidden linear layer (None where there is none)."""
        kinds: list[str | None] = []
        for k, layer in enumerate(self.layers[:-1]):
            if isinstance(layer, Linear) and any(isinstance(later, Linear) for later in self.layers[k + 1:]):
                after = self.layers[k + 1]
                kinds.append(None if isinstance(after, Linear) else after.kind)
        return kinds

    def parameters(self) -> dict[str, np.ndarray]:
        """``{"w1": w1, "b1": b1, …}`` in layer order (the arrays themselves, not copies)."""
        params = {}
        for layer, names in self.named_layers():
            if isinstance(layer, Linear):
                params[str(names.w)], params[str(names.b)] = layer.w, layer.b
        return params

    def inputs(self) -> dict[str, np.ndarray]:
        """Every tensor a learner can nudge: ``x`` then the parameters."""
        return {"x": self.x, **self.parameters()}

    def activations(self) -> list[str]:
        """``["l1", "l2", …, "out"]``: what the forward pass computes, in order."""
        return [names.out for names in self.wiring()]

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
        y = self.y if self.loss == "cross_entropy" else self.y.astype(dtype)
        return Network(self.x.astype(dtype), y, [layer.astype(dtype) for layer in self.layers],
                       self.loss, self.reduction, self.title, self.notes, self.frozen)

    def trainable(self, frozen: Iterable[str] | None = None) -> list[str]:
        """The parameters gradient descent changes, in layer order: every one not in ``frozen``
        (the network's own frozen set when ``frozen`` is None).  An unknown name is refused."""
        held = self.frozen if frozen is None else frozen_names(self, frozen)
        return [name for name in self.parameters() if name not in held]


def frozen_names(net: Network, names: Iterable[str]) -> frozenset[str]:
    """``names`` as a set of the network's parameters, or a ``ValueError`` with one sentence
    naming the first that is not one (``x`` and ``y`` are data: they never change anyway)."""
    names = [names] if isinstance(names, str) else list(names)
    params = list(net.parameters())
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"{name!r:.40} is not the name of a tensor; the parameters are {', '.join(params)}")
        if name in ("x", "y"):
            raise ValueError(f"{name} is data, not a parameter: it never changes, so there is nothing to freeze; "
                             f"the parameters are {', '.join(params)}")
        if name not in params:
            raise ValueError(f"the network has no parameter named {name!r:.40}; its parameters are {', '.join(params)}")
    return frozenset(names)


@dataclass
class Pass:
    """One forward and backward pass: every value and every ``.g``."""

    values: dict[str, np.ndarray]  # x, w1, b1, …, l1, …, out
    grads: dict[str, np.ndarray] = field(default_factory=dict)  # the same names: x.g is grads["x"]
    rows: np.ndarray | None = None  # each batch row's share of the loss, before the divisor
    loss: np.floating | None = None


def forward(net: Network) -> Pass:
    values = dict(net.inputs())
    for layer, names in net.named_layers():
        values[names.out] = layer.forward(values[names.inp])
    rows = losses.loss_rows(net.loss, values["out"], net.y)
    loss = rows.sum() / losses.divisor(net.loss, values["out"].shape, net.reduction).n
    return Pass(values, rows=rows, loss=loss)


@dataclass(frozen=True)
class Step:
    """One call of the backward pass (or one update after it), as the lesson writes it, and the code that runs it."""

    call: str  # e.g. "lin_grad(l2, out, w2, b2)", or "w2 -= lr * w2.g"
    code: tuple[str, ...]  # the lines it runs, lesson style
    reads: tuple[str, ...]  # values and gradients it reads ("out.g" is a gradient)
    writes: tuple[str, ...]  # the gradients it writes; an update writes its parameter ("w2")
    run: Callable[[Pass], None] = field(compare=False, repr=False)


def loss_step(net: Network) -> Step:
    kind = net.loss_kind

    def run(p: Pass) -> None:
        out = p.values["out"]
        p.grads["out"] = kind.grad(out, net.y, kind.divisor(out.shape, net.reduction).n)

    n = kind.divisor((net.batch, 1), net.reduction).lesson  # the text does not depend on the sizes
    return Step(f"{net.loss}_grad(out, y)", (kind.code.format(n=n),), ("out", "y"), ("out.g",), run)


def layer_step(layer: Layer, names: Names) -> Step:
    """The backward call of one layer: its gradient function, fed what the forward pass kept."""
    i, o = names.inp, names.out
    code = tuple(layer.fill(line, names) for line in layer.code)
    call = layer.fill(layer.call, names)
    if isinstance(layer, Linear):
        w, b = str(names.w), str(names.b)

        def run_linear(p: Pass) -> None:
            g = p.grads
            g[i], g[w], g[b] = layer.backward(p.values[i], p.values[o], g[o])

        return Step(call, code, (i, f"{o}.g", w), (f"{i}.g", f"{w}.g", f"{b}.g"), run_linear)

    def run_activation(p: Pass) -> None:
        p.grads[i] = layer.backward(p.values[i], p.values[o], p.grads[o])

    return Step(call, code, (i, o, f"{o}.g"), (f"{i}.g",), run_activation)


def backward_steps(net: Network) -> list[Step]:
    """The backward pass in the order it runs: the loss first, then each layer from the last."""
    return [loss_step(net)] + [layer_step(layer, names) for layer, names in reversed(net.named_layers())]


def descend(param: np.ndarray, grad: np.ndarray, lr: float) -> None:
    """One step of gradient descent on one tensor, in place, as the lesson writes it: ``w -= lr * w.g``.

    ``lr`` is a Python float, so a float32 tensor stays float32 and every caller gets the same bits."""
    param -= lr * grad


def update_step(name: str, lr: float) -> Step:
    """The update of one parameter: reads ``w1`` and ``w1.g``, writes ``w1``.  Its ``run`` puts the
    updated tensor in ``p.values`` as a new array; the network's own array is never touched."""
    lr = float(lr)

    def run(p: Pass) -> None:
        param = p.values[name].copy()
        descend(param, p.grads[name], lr)
        p.values[name] = param

    line = f"{name} -= lr * {name}.g"
    return Step(line, (line,), (name, f"{name}.g"), (name,), run)


def update_steps(net: Network, lr: float, frozen: Iterable[str] | None = None) -> list[Step]:
    """What comes after the backward pass: one update per parameter not frozen, in layer order."""
    return [update_step(name, lr) for name in net.trainable(frozen)]


def backward(net: Network, p: Pass) -> Pass:
    """Fill ``p.grads`` with every ``.g``, running ``backward_steps(net)`` in order."""
    for step in backward_steps(net):
        step.run(p)
    return p


def run(net: Network) -> Pass:
    """Forward, then backward: the loss, every intermediate and every gradient."""
    return backward(net, forward(net))

