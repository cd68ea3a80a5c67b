"""What a wrong backward line most likely got wrong, in one sentence.

``diagnose`` holds the learner's result up against the usual slips, most specific
first, and says the first that fits:

- a result of the wrong shape: right numbers with an extra dimension of 1; the
  transpose of the right shape; one row per batch row where the rows should have
  been summed; a sum over the wrong dimension; broadcasting that made it bigger
  than the tensor;
- a result of the right shape: wrong only where a ReLU's input is exactly 0; a sum
  over the wrong dimension that happens to give the right shape; the right answer
  times a constant (the sign, a forgotten or extra divisor: the batch size or
  ``out.numel()``, summed against averaged, the 2 of the square); the transpose;
  wrong only where a ReLU is off (the mask is missing) or only where it is on;
- and when none fits, where it is wrong: the worst cell and its two values.

It also holds what grading and diagnosing share: the lines to be written (``targets``)
and when two gradients agree (``agree``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradlab.expression import parse_line
from gradlab.expression_ops import describe
from gradlab.layers import Activation, Layer, LeakyReLU, Linear, Names
from gradlab.losses import divisor
from gradlab.network import Network, Pass, backward_steps
from gradlab.text import cell_name, fmt

# How far a right line may be from the true gradient, relative to the gradient's largest cell: far above
# the round-off of working a line out another way (x.t() @ l1.g against the sum of outer products), far
# below any slip.
RTOL = {"float64": 1e-9, "float32": 2e-4}


ROUNDING = 64  # ulps of the network's largest gradient that two right ways of working a gradient may differ by


def gradient_scale(p: Pass) -> float:
    """The largest gradient anywhere in the pass: what round-off in any one of them is measured against."""
    return max((float(np.abs(g).max()) for g in p.grads.values() if g.size), default=0.0)


def agree(yours: np.ndarray, right: np.ndarray, dtype: np.dtype | str, scale: float = 0.0) -> np.ndarray:
    """Per cell: |yours − right| ≤ rtol·(max|right| + |right|), rtol set by the dtype the network is in.

    ``scale`` is the network's largest gradient (``gradient_scale``): a gradient whose true value is round-off
    (rows of a softmax gradient adding up to a tiny fraction of it) may differ by a few ulps of that."""
    dtype = np.dtype(dtype)
    rtol = RTOL.get(dtype.name, RTOL["float32"])
    right = np.asarray(right, np.float64)
    local = float(np.abs(right).max()) if right.size else 0.0
    floor = float(np.finfo(dtype).tiny) ** 0.5  # a gradient that is all zeros: anything but ~0 is wrong
    rounding = ROUNDING * float(np.finfo(dtype).eps) * scale
    with np.errstate(over="ignore", invalid="ignore"):
        return np.abs(np.asarray(yours, np.float64) - right) <= rtol * (max(local, floor) + np.abs(right)) + rounding


@dataclass(frozen=True)
class Target:
    """One line of the backward pass to write: ``w1.g = …``."""

    name: str  # "w1.g"
    tensor: str  # "w1"
    role: str  # "loss" (out.g), "input", "weight" or "bias" of a linear layer, or "activation" (its input's .g)
    step: int  # which of backward_steps(net) writes it
    reference: str  # the app's own right side: "(x.unsqueeze(-1) * l1.g.unsqueeze(1)).sum(0)"
    layer: Layer | None = None  # the layer whose backward writes it (None for out.g)
    names: Names | None = None


def targets(net: Network) -> list[Target]:
    """Every backward line of ``net``, in the order the backward pass runs them."""
    steps = backward_steps(net)
    found = [Target("out.g", "out", "loss", 0, parse_line(steps[0].code[0]).expression)]
    for k, (step, (layer, names)) in enumerate(zip(steps[1:], reversed(net.named_layers())), start=1):
        for code in step.code:
            line = parse_line(code)
            tensor = line.target[:-2]
            if isinstance(layer, Linear):
                role = {names.inp: "input", names.w: "weight", names.b: "bias"}[tensor]
            else:
                role = "activation"
            found.append(Target(line.target, tensor, role, k, line.expression, layer, names))
    return found


Check = Callable[["Slip"], "str | None"]


@dataclass
class Slip:
    """A wrong result and everything the checks compare it with."""

    target: Target
    yours: np.ndarray  # float64
    right: np.ndarray  # float64
    net: Network
    p: Pass

    def close(self, a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and bool(agree(a, b, self.net.dtype, gradient_scale(self.p)).all())

    @property
    def T(self) -> str:
        return self.target.name

    @property
    def name(self) -> str:
        return self.target.tensor

    def shapes(self) -> str:
        return f"it came out {describe(self.yours.shape)} where {self.name} is {describe(self.right.shape)}"

    def per_row(self) -> dict[str, np.ndarray]:
        """For a weight or a bias: the sums a learner may have taken of the per-row terms, by what they summed over.
        The per-row terms are never built (for a weight they are batch × n_in × n_out)."""
        t, names = self.target, self.target.names
        if t.role not in ("weight", "bias") or names is None:
            return {}
        og = self.p.grads[names.out].astype(np.float64)
        if t.role == "bias":
            return {"dim 1 (across each row)": og.sum(1), "every dimension": np.asarray(og.sum())}
        inp = self.p.values[names.inp].astype(np.float64)
        return {"dim 1 (the inputs)": inp.sum(1)[:, None] * og,
                "the last dim (the outputs)": inp * og.sum(1)[:, None],
                "every dimension": np.asarray((inp.sum(1) * og.sum(1)).sum())}


def diagnose(target: Target, yours: np.ndarray, net: Network, p: Pass) -> str:
    """The likely slip behind ``yours``, a wrong result for ``target`` on ``net`` (whose pass is ``p``)."""
    slip = Slip(target, np.asarray(yours).astype(np.float64), p.grads[target.tensor].astype(np.float64), net, p)
    checks = SAME_SHAPE if slip.yours.shape == slip.right.shape else OTHER_SHAPE
    for check in checks:
        sentence = check(slip)
        if sentence:
            return sentence
    return fallback(slip)


# -- a result of the wrong shape ---------------------------------------------------------------------

def extra_dimension(s: Slip) -> str | None:
    if s.yours.size != s.right.size or not s.close(s.yours.reshape(s.right.shape), s.right):
        return None
    if np.squeeze(s.yours).shape == np.squeeze(s.right).shape:
        return (f"the numbers of your {s.T} are right, but {s.shapes()}: drop the extra dimension of size 1 "
                f"(keepdim=True or unsqueeze keeps one), or .squeeze() it away")
    return f"the numbers of your {s.T} are right, but in the wrong shape: {s.shapes()}"


def transposed_shape(s: Slip) -> str | None:
    if not (s.yours.ndim == s.right.ndim == 2 and s.yours.shape == s.right.shape[::-1]):
        return None
    rows, cols = s.right.shape
    turned = f"your {s.T} came out {cols}×{rows}, the transpose of {s.name}'s {rows}×{cols}"
    if s.close(s.yours.T, s.right):
        return f"{turned}: {transpose_hint(s)}"
    return f"{turned}, and its numbers are wrong too: rows and columns are swapped somewhere; {transpose_hint(s)}"


def transpose_hint(s: Slip) -> str:
    names = s.target.names
    if s.target.role == "weight" and names is not None:
        return (f"a gradient has the shape of its tensor, a row per input and a column per output, "
                f"so put {names.inp} first: {names.inp}.t() @ {names.out}.g")
    if s.target.role == "input" and names is not None:
        return f"{s.T} has a row per batch row, like {names.inp}: {names.out}.g @ {names.w}.t()"
    return "a gradient has the shape of its tensor"


def unsummed(s: Slip) -> str | None:
    batch = s.net.batch
    if s.target.role not in ("weight", "bias") or s.yours.shape != (batch, *s.right.shape):
        return None
    return (f"your {s.T} came out {describe(s.yours.shape)}, one {'row' if s.right.ndim == 1 else 'matrix'} per batch "
            f"row, where {s.name} is {describe(s.right.shape)}; sum over the batch: .sum(0), because every row uses "
            f"the same {s.name} and their gradients add up")


def wrong_axis(s: Slip) -> str | None:
    for what, summed in s.per_row().items():
        if s.close(s.yours, summed):
            got = "" if s.yours.shape == s.right.shape else f", and {s.shapes()}"
            return (f"your {s.T} is summed over {what} instead of over the batch{got}; "
                    f"sum over dim 0, the batch rows: .sum(0)")
    return None


def broadcast(s: Slip) -> str | None:
    try:
        grown = np.broadcast_shapes(s.yours.shape, s.right.shape) == s.yours.shape
    except ValueError:
        return None
    if not grown or s.yours.size <= s.right.size:
        return None
    n = s.net.batch
    return (f"your {s.T} came out {describe(s.yours.shape)}, bigger than {s.name} ({describe(s.right.shape)}): two tensors "
            f"of different shapes were broadcast into a bigger one (a {n}×1 column minus a vector of {n} gives {n}×{n}), "
            f"so give both sides the same shape")


def other_shape(s: Slip) -> str:
    return f"your {s.T} has the wrong shape: {s.shapes()}, and a gradient always has the shape of its tensor"


# -- a result of the right shape -----------------------------------------------------------------------

def kinked(s: Slip) -> tuple[Activation, Names] | None:
    layer, names = s.target.layer, s.target.names
    if s.target.role == "activation" and isinstance(layer, Activation) and layer.kinked and names is not None:
        return layer, names
    return None


def at_the_kink(s: Slip) -> str | None:
    found = kinked(s)
    if not found:
        return None
    layer, names = found
    inp = s.p.values[names.inp]
    wrong = ~agree(s.yours, s.right, s.net.dtype, gradient_scale(s.p))
    if not wrong.any() or not (inp[wrong] == 0).all():
        return None
    return (f"your {s.T} is wrong only where {names.inp} is exactly 0, at the {relu_name(layer)}'s kink: the lesson, like "
            f"torch, counts the unit as off there, so test {names.inp} > 0, not {names.inp} >= 0")


def relu_name(layer: Activation) -> str:
    return "leaky ReLU" if isinstance(layer, LeakyReLU) else "ReLU"


def constant_factor(s: Slip) -> str | None:
    """The right answer times one number everywhere: a sign, a divisor, the 2 of a square."""
    norm = float((s.right * s.right).sum())
    if norm == 0 or not np.isfinite(norm):
        return None
    k = float((s.yours * s.right).sum()) / norm
    if not np.isfinite(k) or k == 0 or not s.close(s.yours, k * s.right) or s.close(s.yours, s.right):
        return None
    m = whole(abs(k) if abs(k) > 1 else 1 / abs(k))
    if m is None:
        return f"every cell of your {s.T} is {fmt(k)} times the right value: a factor is missing or one too many"
    if m == 1:
        return sign_flipped(s)
    too = "large" if abs(k) > 1 else "small"
    size = ("twice the right value" if too == "large" else "half the right value") if m == 2 else f"{m} times too {too}"
    sign = " has the wrong sign and" if k < 0 else ""
    reason = loss_factor(s, abs(k), m) if s.target.role == "loss" else layer_factor(s, abs(k), m)
    return f"your {s.T}{sign} is {size}{': ' + reason if reason else ''}"


def whole(v: float) -> int | None:
    m = round(v)
    return m if m >= 1 and abs(v - m) <= 1e-4 * m else None


def loss_factor(s: Slip, k: float, m: int) -> str:
    out = s.p.values["out"]
    div = divisor(s.net.loss, out.shape, s.net.reduction)
    if s.net.loss == "mse" and k < 1 and m == 2:
        return "the derivative of (out − y)² is 2·(out − y), so keep the 2"
    if s.net.loss == "half_sse" and k > 1 and m == 2:
        return "the ½ of ½ Σ (y − out)² cancels the 2 that the square brings down"
    if s.net.reduction == "sum":
        return div.why
    used = div.n / k  # what the learner divided by
    batch, n_out = out.shape
    named = {out.size: "out.numel()", batch: "out.shape[0]", n_out: "out.shape[1]"}
    if abs(used - 1) < 1e-9:
        return f"divide by {div.lesson}, {div.why}"
    their = named.get(round(used)) if abs(used - round(used)) < 1e-6 else None
    if their and their != div.lesson:
        return f"divide by {div.lesson}, not {their}: {div.why}"
    if k < 1 and m == div.n:
        return f"divide by {div.lesson} once: {div.why}"
    return f"divide by {div.lesson}, which is {div.n} here, not by {used:.4g}: {div.why}"


def layer_factor(s: Slip, k: float, m: int) -> str:
    batch = s.net.batch
    numel = s.p.values["out"].size
    averaged = s.net.reduction == "mean"
    already = "out.g already holds the loss's 1/n" if averaged else "the loss is summed"
    if k < 1 and m == batch and batch > 1:
        return f"the batch rows' gradients add up: sum over the batch with .sum(0), don't average or divide by the batch size ({already})"
    if k < 1 and m == numel and numel > 1:
        return f"don't divide by out.numel() again: {already}"
    if k > 1 and m in (batch, numel) and m > 1:
        return f"don't multiply by the batch size: {already}"
    return ""


def sign_flipped(s: Slip) -> str:
    if s.target.role == "loss":
        right = "softmax(out) − one_hot(y), not one_hot(y) − softmax(out)" if s.net.loss == "cross_entropy" \
            else "(out − y), not (y − out)"
        return f"your {s.T} has the wrong sign in every cell: the loss's gradient with respect to out goes with {right}"
    return f"your {s.T} has the wrong sign in every cell: a minus sign crept in somewhere"


def transposed_values(s: Slip) -> str | None:
    if s.yours.ndim != 2 or s.yours.shape[0] != s.yours.shape[1] or not s.close(s.yours.T, s.right):
        return None
    return f"your {s.T} is the transpose of the right one (its shape only matches because {s.name} is square): {transpose_hint(s)}"


def mask(s: Slip) -> str | None:
    found = kinked(s)
    if not found:
        return None
    layer, names = found
    i, o = names.inp, names.out
    on = s.p.values[i] > 0
    wrong = ~agree(s.yours, s.right, s.net.dtype, gradient_scale(s.p))
    if wrong.any() and not (wrong & on).any():
        if isinstance(layer, LeakyReLU):
            return (f"your {s.T} is right where the leaky ReLU is on but wrong where it is off ({i} ≤ 0): there it passes "
                    f"only {layer.slope:g} of {o}.g, so use the mask torch.where({i} > 0, 1, {layer.slope:g}) * {o}.g")
        return (f"your {s.T} is right where the ReLU is on but wrong where it is off ({i} ≤ 0): an off unit passes no "
                f"gradient, so multiply by the mask ({i} > 0).float()")
    if wrong.any() and not (wrong & ~on).any():
        return (f"your {s.T} is right where the {relu_name(layer)} is off but wrong where it is on ({i} > 0): "
                f"there {o}.g passes straight through, so {s.T} equals {o}.g in those cells")
    return None


def fallback(s: Slip) -> str:
    if s.yours.shape != s.right.shape:
        return other_shape(s)
    wrong = ~agree(s.yours, s.right, s.net.dtype, gradient_scale(s.p))
    diff = np.abs(s.yours - s.right)
    at = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape)) if diff.size else ()
    return (f"your {s.T} is wrong in {int(wrong.sum())} of {wrong.size} cells; the worst is {cell_name(s.T, at)}: "
            f"yours is {fmt(s.yours[at])}, the right value is {fmt(s.right[at])}")


OTHER_SHAPE: list[Check] = [extra_dimension, transposed_shape, unsummed, wrong_axis, broadcast]
SAME_SHAPE: list[Check] = [at_the_kink, wrong_axis, constant_factor, transposed_values, mask]
