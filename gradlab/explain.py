"""Explain a gradient cell: the formula that produced it, with the numbers put in.

``explain(net, p, "b1", (0,))`` gives ``b1.g[0] = Σ_b l1.g[b,0] = (0.12) + (−0.04) + …``:
one term per batch row, because every row used the same ``b1[0]``.  That is
the thread's "why is there a sum(0)".
"""

from __future__ import annotations

from dataclasses import dataclass

from gradlab.losses import divisor, softmax
from gradlab.network import Network, Pass, backward_steps

MAX_TERMS = 8  # a longer sum shows its first terms and says how many it left out


def fmt(v: float) -> str:
    """A number as a learner reads it: four significant digits and a real minus sign."""
    return f"{float(v) + 0.0:.4g}".replace("-", "−")  # + 0.0 turns −0 into 0


def paren(v: float) -> str:
    """A number ready to be subtracted: negatives in parentheses."""
    return f"({fmt(v)})" if v < 0 else fmt(v)


def cell(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{','.join(str(i) for i in index)}]"


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
    v, g = p.values, p.grads
    steps = backward_steps(net)
    target = cell(f"{name}.g", index)
    if name == "out":
        return _loss_cell(net, p, index, target, steps[0])
    for k, (wire, layer) in enumerate(reversed(list(zip(net.wiring(), net.layers))), start=1):
        step = steps[k]
        i, o = wire.inp, wire.out
        if layer.kind == "linear" and name == i:
            b, r = index
            terms = [f"({fmt(g[o][b, j])})({fmt(layer.w[r, j])})" for j in range(layer.w.shape[1])]
            return Explanation(
                target, f"Σ_j {o}.g[{b},j]·{wire.w}[{r},j]", tuple(terms), g[name][index], k, step.code[0],
                f"row {b} of {o}.g times row {r} of {wire.w}, which is column {r} of {wire.w}.t(): "
                f"{i}[{b},{r}] feeds every output {o}[{b},j] through weight {wire.w}[{r},j]",
            )
        if layer.kind == "linear" and name == wire.w:
            r, j = index
            terms = [f"({fmt(v[i][b, r])})({fmt(g[o][b, j])})" for b in range(net.batch)]
            return Explanation(
                target, f"Σ_b {i}[b,{r}]·{o}.g[b,{j}]", tuple(terms), g[name][index], k, step.code[1],
                f"every batch row uses the same {wire.w}[{r},{j}], so its gradient adds up one term per row; "
                f"({i}.unsqueeze(-1) * {o}.g.unsqueeze(1)).sum(0) builds each row's outer product and sums them "
                f"over b, which is the same sum as {i}.t() @ {o}.g: here, entry [{r},{j}]",
            )
        if layer.kind == "linear" and name == wire.b:
            (j,) = index
            terms = [f"({fmt(g[o][b, j])})" for b in range(net.batch)]
            return Explanation(
                target, f"Σ_b {o}.g[b,{j}]", tuple(terms), g[name][index], k, step.code[2],
                f"{o}[b,{j}] moves one for one with {wire.b}[{j}] in every batch row, "
                f"so the rows' gradients are summed: that is the sum(0)",
            )
        if layer.kind != "linear" and name == i:
            return _activation_cell(layer, i, o, p, index, target, k, step.code[0])
    raise KeyError(f"no step of the backward pass writes {name}.g")


def _loss_cell(net: Network, p: Pass, index: tuple[int, ...], target: str, step) -> Explanation:
    out, y = p.values["out"], net.y
    n = divisor(net.loss, out.shape, net.reduction)
    why = ("the loss is averaged over " + ("every element" if net.loss == "mse" else "the batch")
           if net.reduction == "mean" else "the loss is summed, so nothing divides it")
    b, j = index
    if net.loss == "cross_entropy":
        hit = int(y[b] == j)
        formula = f"(softmax(out)[{b},{j}] − [y[{b}] = {j}]) / {n}"
        terms = (f"({fmt(softmax(out[b])[j])} − {hit}) / {n}",)
    else:
        two = "2·" if net.loss == "mse" else ""
        formula = f"{two}(out[{b},{j}] − y[{b},{j}]) / {n}"
        terms = (f"{two}({fmt(out[b, j])} − {paren(y[b, j])}) / {n}",)
    return Explanation(target, formula, terms, p.grads["out"][index], 0, step.code[0], why)


def _activation_cell(layer, i: str, o: str, p: Pass, index, target: str, k: int, line: str) -> Explanation:
    at = cell("", index)
    inp, out, out_g = p.values[i][index], p.values[o][index], p.grads[o][index]
    if layer.kind in ("relu", "leaky_relu"):
        off = "0" if layer.kind == "relu" else fmt(layer.slope)
        slope = "1" if inp > 0 else off
        formula = f"(1 if {i}{at} > 0 else {off})·{o}.g{at}"
        terms = (f"{slope}·({fmt(out_g)})",)
        note = (f"{i}{at} = {fmt(inp)} is {'above' if inp > 0 else 'not above'} 0: "
                + ("the unit is on and passes the gradient through" if inp > 0
                   else "the unit is off and blocks the gradient" if layer.kind == "relu"
                   else f"the unit leaks {off} of the gradient"))
    elif layer.kind == "sigmoid":
        formula = f"{o}{at}·(1 − {o}{at})·{o}.g{at}"
        terms = (f"({fmt(out)})(1 − {fmt(out)})({fmt(out_g)})",)
        note = "the sigmoid's slope is σ(1 − σ), read off its own output"
    else:
        formula = f"(1 − {o}{at}²)·{o}.g{at}"
        terms = (f"(1 − {paren(out)}²)({fmt(out_g)})",)
        note = "tanh's slope is 1 − tanh², read off its own output"
    return Explanation(target, formula, terms, p.grads[i][index], k, line, note)

