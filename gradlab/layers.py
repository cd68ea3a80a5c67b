"""The layers of the lesson's network: each kind defined once, its forward next to its backward.

Arrays follow the lesson's layout: a batch of rows, ``inp`` is batch × n_in,
``w`` is n_in × n_out, ``b`` has n_out entries, so a linear layer is
``inp @ w + b``.  Every ``*_grad`` function takes the gradient of the loss with
respect to the layer's output (``out.g``) and returns the gradient with respect
to its input (``inp.g``); ``lin_grad`` also returns ``w.g`` and ``b.g``.

Each kind of layer is one class that holds everything said about it: the
function that runs forward, the one that runs backward, the lesson's text of
both (what the stepper and the formula panel show), and the lines the exported
scripts are made of.  The running backward pass, the stepper, the explanations
and both scripts all read these classes, so they cannot drift apart; and
``tests/core/test_formulas.py`` evaluates each lesson line with the learner's
expression evaluator to check the text computes what the function does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gradlab.terms import Terms
from gradlab.text import cell_name, fmt, paren


def lin(inp: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return inp @ w + b


def lin_grad(inp: np.ndarray, out_g: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``inp.g``, ``w.g`` and ``b.g`` of ``out = inp @ w + b``, given ``out.g``."""
    inp_g = out_g @ w.T
    # The lesson writes (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0): the sum over the batch of each
    # row's outer product.  inp.T @ out.g is the same sum without the batch × n_in × n_out intermediate.
    w_g = inp.T @ out_g
    b_g = out_g.sum(0)
    return inp_g, w_g, b_g


def relu(inp: np.ndarray) -> np.ndarray:
    return np.maximum(inp, 0)


def relu_grad(inp: np.ndarray, out_g: np.ndarray) -> np.ndarray:
    return (inp > 0) * out_g


def leaky_relu(inp: np.ndarray, slope: float) -> np.ndarray:
    return np.where(inp > 0, inp, slope * inp)


def leaky_relu_grad(inp: np.ndarray, out_g: np.ndarray, slope: float) -> np.ndarray:
    return np.where(inp > 0, out_g, slope * out_g)


def sigmoid(inp: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-inp) = inf for a very negative inp gives 0, as it should
        return 1 / (1 + np.exp(-inp))


def sigmoid_grad(out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
    return out * (1 - out) * out_g


def tanh(inp: np.ndarray) -> np.ndarray:
    return np.tanh(inp)


def tanh_grad(out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
    return (1 - out**2) * out_g


@dataclass(frozen=True)
class Names:
    """The names one layer reads and writes in the lesson's code: ``out = layer(inp; w, b)``."""

    inp: str
    out: str
    w: str | None = None
    b: str | None = None


@dataclass(frozen=True)
class Working:
    """How one gradient cell was computed, with the numbers put in: ``formula = terms… = value``."""

    formula: str  # "Σ_b x[b,2]·l1.g[b,0]"
    terms: Sequence[str]  # "(0.3)(−0.12)", one per term of the sum or product (a sum's ``Terms`` are written when read)
    note: str  # why the formula has the shape it has
    line: int = 0  # which line of the step's code wrote it


class Definition:
    """What every kind of layer says of itself: text templates over ``{i}``, ``{o}``, ``{w}``, ``{b}``
    (the names of its input, output and parameters) and its own parameters, such as ``{slope}``."""

    kind: ClassVar[str]
    forward_code: ClassVar[str]  # the lesson's forward line
    call: ClassVar[str]  # the lesson's backward call, as the stepper names it
    code: ClassVar[tuple[str, ...]]  # the lines that call runs, in the lesson's PyTorch notation
    numpy_functions: ClassVar[tuple[str, ...]]  # the functions of this module the NumPy script copies
    numpy_forward: ClassVar[str]
    numpy_backward: ClassVar[str]
    torch_forward: ClassVar[str]

    def params(self) -> dict[str, Any]:
        """The layer's own numbers a template may name (beyond its arrays)."""
        return {}

    def fill(self, template: str, names: Names) -> str:
        return template.format(i=names.inp, o=names.out, w=names.w, b=names.b, **self.params())

    def spec(self) -> dict[str, Any]:
        """What a scenario file says of this layer, arrays aside."""
        return {"type": self.kind, **self.params()}


@dataclass(eq=False)
class Linear(Definition):
    """``out = inp @ w + b``: the only layer with parameters."""

    w: np.ndarray
    b: np.ndarray

    kind: ClassVar[str] = "linear"
    forward_code: ClassVar[str] = "{o} = {i} @ {w} + {b}"
    call: ClassVar[str] = "lin_grad({i}, {o}, {w}, {b})"
    code: ClassVar[tuple[str, ...]] = (
        "{i}.g = {o}.g @ {w}.t()",
        "{w}.g = ({i}.unsqueeze(-1) * {o}.g.unsqueeze(1)).sum(0)",
        "{b}.g = {o}.g.sum(0)",
    )
    numpy_functions: ClassVar[tuple[str, ...]] = ("lin", "lin_grad")
    numpy_forward: ClassVar[str] = "{o} = lin({i}, {w}, {b})"
    numpy_backward: ClassVar[str] = "{i}_g, {w}_g, {b}_g = lin_grad({i}, {o}_g, {w})"
    torch_forward: ClassVar[str] = "{o} = {i} @ {w} + {b}"

    def forward(self, inp: np.ndarray) -> np.ndarray:
        return lin(inp, self.w, self.b)

    def backward(self, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``inp.g``, ``w.g`` and ``b.g``."""
        return lin_grad(inp, out_g, self.w)

    def astype(self, dtype: str | np.dtype) -> Linear:
        return Linear(self.w.astype(dtype), self.b.astype(dtype))

    def working(self, names: Names, grad: str, index: tuple[int, ...], inp: np.ndarray, out_g: np.ndarray) -> Working:
        """How ``{grad}.g[index]`` (``grad`` is the name of the input, ``w`` or ``b``) comes out of ``out.g``."""
        i, o, w, b = names.inp, names.out, names.w, names.b
        if grad == i:
            row, r = index
            terms = Terms(out_g[row, :], self.w[r, :])
            return Working(f"Σ_j {o}.g[{row},j]·{w}[{r},j]", terms,
                           f"row {row} of {o}.g times row {r} of {w}, which is column {r} of {w}.t(): "
                           f"{i}[{row},{r}] feeds every output {o}[{row},j] through weight {w}[{r},j]", 0)
        if grad == w:
            r, j = index
            terms = Terms(inp[:, r], out_g[:, j])
            return Working(f"Σ_b {i}[b,{r}]·{o}.g[b,{j}]", terms,
                           f"every batch row uses the same {w}[{r},{j}], so its gradient adds up one term per row; "
                           f"({i}.unsqueeze(-1) * {o}.g.unsqueeze(1)).sum(0) builds each row's outer product and sums "
                           f"them over b, which is the same sum as {i}.t() @ {o}.g: here, entry [{r},{j}]", 1)
        if grad == b:
            (j,) = index
            terms = Terms(out_g[:, j])
            return Working(f"Σ_b {o}.g[b,{j}]", terms,
                           f"{o}[b,{j}] moves one for one with {b}[{j}] in every batch row, "
                           f"so the rows' gradients are summed: that is the sum(0)", 2)
        raise KeyError(f"lin_grad writes {i}.g, {w}.g and {b}.g, not {grad}.g")


@dataclass(eq=False)
class Activation(Definition):
    """A function applied cell by cell; its backward is its local derivative times ``out.g``."""

    kinked: ClassVar[bool] = False  # its derivative jumps at 0, where no finite difference can match it
    call: ClassVar[str] = "{kind}_grad({i}, {o})"
    slope_words: ClassVar[str]  # what its slope is, cell by cell, in words: the Jacobian panel's line

    def fill(self, template: str, names: Names) -> str:
        return template.format(i=names.inp, o=names.out, kind=self.kind, **self.params())

    def forward(self, inp: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
        """``inp.g``."""
        raise NotImplementedError

    def local(self, inp: np.ndarray, out: np.ndarray) -> np.ndarray:
        """d out / d inp, cell by cell: what ``backward`` multiplies ``out.g`` by."""
        return self.backward(inp, out, np.ones_like(inp))

    def working(self, names: Names, index: tuple[int, ...], inp: float, out: float, out_g: float) -> Working:
        """How ``inp.g[index]`` comes out of ``out.g[index]``: the local derivative times it."""
        raise NotImplementedError

    def astype(self, dtype: str | np.dtype) -> Activation:
        return self


@dataclass(eq=False)
class ReLU(Activation):
    kind: ClassVar[str] = "relu"
    kinked: ClassVar[bool] = True
    forward_code: ClassVar[str] = "{o} = relu({i})"
    code: ClassVar[tuple[str, ...]] = ("{i}.g = ({i} > 0).float() * {o}.g",)
    numpy_functions: ClassVar[tuple[str, ...]] = ("relu", "relu_grad")
    numpy_forward: ClassVar[str] = "{o} = relu({i})"
    numpy_backward: ClassVar[str] = "{i}_g = relu_grad({i}, {o}_g)"
    torch_forward: ClassVar[str] = "{o} = torch.relu({i})"
    slope_words: ClassVar[str] = "1 where {i} > 0, 0 where the unit is off"

    def forward(self, inp: np.ndarray) -> np.ndarray:
        return relu(inp)

    def backward(self, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
        return relu_grad(inp, out_g)

    def working(self, names: Names, index: tuple[int, ...], inp: float, out: float, out_g: float) -> Working:
        return _kinked_working(names, index, inp, out_g, "0", "the unit is off and blocks the gradient")


@dataclass(eq=False)
class LeakyReLU(Activation):
    slope: float = 0.01

    kind: ClassVar[str] = "leaky_relu"
    kinked: ClassVar[bool] = True
    forward_code: ClassVar[str] = "{o} = leaky_relu({i}, {slope:g})"
    code: ClassVar[tuple[str, ...]] = ("{i}.g = torch.where({i} > 0, 1, {slope:g}) * {o}.g",)
    numpy_functions: ClassVar[tuple[str, ...]] = ("leaky_relu", "leaky_relu_grad")
    numpy_forward: ClassVar[str] = "{o} = leaky_relu({i}, {slope!r})"
    numpy_backward: ClassVar[str] = "{i}_g = leaky_relu_grad({i}, {o}_g, {slope!r})"
    torch_forward: ClassVar[str] = "{o} = F.leaky_relu({i}, {slope!r})"
    slope_words: ClassVar[str] = "1 where {i} > 0, {slope:g} where it is not"

    def params(self) -> dict[str, Any]:
        return {"slope": self.slope}

    def forward(self, inp: np.ndarray) -> np.ndarray:
        return leaky_relu(inp, self.slope)

    def backward(self, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
        return leaky_relu_grad(inp, out_g, self.slope)

    def working(self, names: Names, index: tuple[int, ...], inp: float, out: float, out_g: float) -> Working:
        off = fmt(self.slope)
        return _kinked_working(names, index, inp, out_g, off, f"the unit leaks {off} of the gradient")


@dataclass(eq=False)
class Sigmoid(Activation):
    kind: ClassVar[str] = "sigmoid"
    forward_code: ClassVar[str] = "{o} = sigmoid({i})"
    code: ClassVar[tuple[str, ...]] = ("{i}.g = {o} * (1 - {o}) * {o}.g",)
    numpy_functions: ClassVar[tuple[str, ...]] = ("sigmoid", "sigmoid_grad")
    numpy_forward: ClassVar[str] = "{o} = sigmoid({i})"
    numpy_backward: ClassVar[str] = "{i}_g = sigmoid_grad({o}, {o}_g)"
    torch_forward: ClassVar[str] = "{o} = torch.sigmoid({i})"
    slope_words: ClassVar[str] = "{o}·(1 − {o}), read off {o}: at most ¼, at {i} = 0"

    def forward(self, inp: np.ndarray) -> np.ndarray:
        return sigmoid(inp)

    def backward(self, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
        return sigmoid_grad(out, out_g)

    def working(self, names: Names, index: tuple[int, ...], inp: float, out: float, out_g: float) -> Working:
        o, at = names.out, cell_name("", index)
        return Working(f"{o}{at}·(1 − {o}{at})·{o}.g{at}", (f"({fmt(out)})(1 − {fmt(out)})({fmt(out_g)})",),
                       "the sigmoid's slope is σ(1 − σ), read off its own output")


@dataclass(eq=False)
class Tanh(Activation):
    kind: ClassVar[str] = "tanh"
    forward_code: ClassVar[str] = "{o} = tanh({i})"
    code: ClassVar[tuple[str, ...]] = ("{i}.g = (1 - {o}**2) * {o}.g",)
    numpy_functions: ClassVar[tuple[str, ...]] = ("tanh", "tanh_grad")
    numpy_forward: ClassVar[str] = "{o} = tanh({i})"
    numpy_backward: ClassVar[str] = "{i}_g = tanh_grad({o}, {o}_g)"
    torch_forward: ClassVar[str] = "{o} = torch.tanh({i})"
    slope_words: ClassVar[str] = "1 − {o}², read off {o}: at most 1, at {i} = 0"

    def forward(self, inp: np.ndarray) -> np.ndarray:
        return tanh(inp)

    def backward(self, inp: np.ndarray, out: np.ndarray, out_g: np.ndarray) -> np.ndarray:
        return tanh_grad(out, out_g)

    def working(self, names: Names, index: tuple[int, ...], inp: float, out: float, out_g: float) -> Working:
        o, at = names.out, cell_name("", index)
        return Working(f"(1 − {o}{at}²)·{o}.g{at}", (f"(1 − {paren(out)}²)({fmt(out_g)})",),
                       "tanh's slope is 1 − tanh², read off its own output")


def _kinked_working(names: Names, index: tuple[int, ...], inp: float, out_g: float, off: str, when_off: str) -> Working:
    """ReLU and leaky ReLU: a slope of 1 above 0 and ``off`` below."""
    i, o, at = names.inp, names.out, cell_name("", index)
    on = inp > 0
    return Working(f"(1 if {i}{at} > 0 else {off})·{o}.g{at}", (f"{'1' if on else off}·({fmt(out_g)})",),
                   f"{i}{at} = {fmt(inp)} is {'above' if on else 'not above'} 0: "
                   + ("the unit is on and passes the gradient through" if on else when_off))


Layer = Linear | Activation
ACTIVATIONS: dict[str, type[Activation]] = {cls.kind: cls for cls in (ReLU, LeakyReLU, Sigmoid, Tanh)}
LAYER_KINDS = ("linear", *ACTIVATIONS)


def activation(kind: str, slope: float = 0.01) -> Activation:
    """A new activation layer of ``kind`` (``slope`` is used by leaky_relu alone)."""
    if kind not in ACTIVATIONS:
        raise ValueError(f"{kind!r} is not an activation; the activations are {', '.join(ACTIVATIONS)}")
    return LeakyReLU(float(slope)) if kind == "leaky_relu" else ACTIVATIONS[kind]()
