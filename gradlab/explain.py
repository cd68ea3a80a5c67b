"""Explain a gradient cell: the formula that produced it, with the numbers put in.

``explain(net, p, "b1", (0,))`` gives ``b1.g[0] = Σ_b l1.g[b,0] = (0.12) + (−0.04) + …``:
one term per batch row, because every row used the same ``b1[0]``.  That is
"why is there a sum(0)" (``docs/lesson.md``).  The formulas come from the
layer and loss definitions (``working``), next to the code they explain.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.layers import Linear
from gradlab.network import Network, Pass, backward_steps
from gradlab.text import cell_name, fmt

MAX_TERMS = 8  # a longer sum shows its first terms and says how many it left out


@dataclass(frozen=True)
class Explanation:
    target: str  # "w1.g[2,0]"
    formula: str  # "Σ_b x[b,2]·l1.g[b,0]"
    terms: tuple[str, ...]  # "(0.3)(−0.12)", one per term of the sum or product
    value: float  # the gradient itself, as the backward pass computed it
    step: int  # which of backward_steps(net) wrote it
    line: str  # the lesson's line that wrote it
    note: str = ""  # why the formula has the shape it has

    @property
    def expansion(self) -> str:
        shown = list(self.terms)
        if len(shown) > MAX_TERMS:
            shown = shown[: MAX_TERMS - 2] + [f"… {len(self.terms) - MAX_TERMS + 1} more …", shown[-1]]
        return " + ".join(shown)

    @property
    def text(self) -> str:
        return f"{self.target} = {self.formula} = {self.expansion} = {fmt(self.value)}"


def explain(net: Network, p: Pass, name: str, index: tuple[int, ...]) -> Explanation:
    """How ``name.g[index]`` was computed, for any gradient the backward pass fills."""
    if name not in p.grads:
        raise KeyError(f"the backward pass computes no gradient named {name}.g")
    index = tuple(int(i) for i in index)
    p.grads[name][index]  # an IndexError for a cell outside the tensor
    steps = backward_steps(net)
    target = cell_name(f"{name}.g", index)
    value = float(p.grads[name][index])
    if name == "out":
        kind = net.loss_kind
        divisor = kind.divisor(p.values["out"].shape, net.reduction)
        formula, terms = kind.working(*index, p.values["out"], net.y, divisor.n)
        return Explanation(target, formula, terms, value, 0, steps[0].code[0], divisor.why)
    for k, (layer, names) in enumerate(reversed(net.named_layers()), start=1):
        if isinstance(layer, Linear) and name in (names.inp, names.w, names.b):
            work = layer.working(names, name, index, p.values[names.inp], p.grads[names.out])
        elif not isinstance(layer, Linear) and name == names.inp:
            v, g = p.values, p.grads
            work = layer.working(names, index, v[names.inp][index], v[names.out][index], g[names.out][index])
        else:
            continue
        return Explanation(target, work.formula, work.terms, value, k, steps[k].code[work.line], work.note)
    raise KeyError(f"no step of the backward pass writes {name}.g")
