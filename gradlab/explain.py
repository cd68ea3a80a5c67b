"""Explain a gradient cell: the formula that produced it, with the numbers put in.

``explain(net, p, "b1", (0,))`` gives ``b1.g[0] = Σ_b l1.g[b,0] = (0.12) + (−0.04) + …``:
one term per batch row, because every row used the same ``b1[0]``.  That is
"why is there a sum(0)" (``docs/lesson.md``).  The formulas come from the
layer and loss definitions (``working``), next to the code they explain.

The numbers are printed to four significant digits, or to as many more as
the terms need so that, worked out from the digits on the page, they give the
total as printed.  Where even eight digits are not enough (the terms nearly
cancel), the total is marked ≈ and written in full beside it: the page never
shows a sum that visibly does not add up.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from gradlab.layers import Linear
from gradlab.network import Network, Pass, backward_steps
from gradlab.terms import Terms
from gradlab.text import MINUS, cell_name, digits, fmt, shortest

MAX_TERMS = 8  # a longer sum shows its first terms and says how many it left out
MAX_DIGITS = 8  # past this, a total the terms do not reach is marked ≈ and written in full


@dataclass(frozen=True)
class Explanation:
    target: str  # "w1.g[2,0]"
    formula: str  # "Σ_b x[b,2]·l1.g[b,0]"
    terms: Sequence[str]  # "(0.3)(−0.12)", one per term of the sum or product; a long sum's are written when read
    value: float  # the gradient itself, as the backward pass computed it
    step: int  # which of backward_steps(net) wrote it
    line: str  # the lesson's line that wrote it
    note: str = ""  # why the formula has the shape it has
    exact: str = ""  # the gradient in full: the shortest digits that give it back in its dtype
    digits: int = 4  # significant digits of every printed number

    def __post_init__(self) -> None:
        if isinstance(self.terms, Terms):  # a sum's terms are written with the explanation's digits
            object.__setattr__(self, "terms", self.terms.at(self.digits))

    @property
    def expansion(self) -> str:
        n = len(self.terms)
        if n <= MAX_TERMS:
            return " + ".join(self.terms)
        return " + ".join([*self.terms[: MAX_TERMS - 2], f"… {n - MAX_TERMS + 1} more …", self.terms[-1]])

    @cached_property  # explain() asks twice, the text once more: a long sum costs milliseconds each time
    def adds_up(self) -> bool:
        """Whether the terms, as printed, add up (and multiply out) to the total as printed."""
        if isinstance(self.terms, Terms) and len(self.terms) > MAX_TERMS:  # worked out for all at once, summed in order
            if not all(np.isfinite(f).all() for f in self.terms.factors):
                return False  # "inf" and "nan" are not numbers a learner can add up
            printed = sum(self.terms.printed(self.digits).tolist())
        else:
            try:
                printed = sum(evaluate(term) for term in self.terms)
            except ValueError:
                return False
        with digits(self.digits):
            return fmt(printed) == fmt(self.value)

    @property
    def total(self) -> str:
        """``= 0.1234``, or, where the printed terms only come near it, ``≈ 0.1234 (exactly 0.12341876)``."""
        with digits(self.digits):
            shown = fmt(self.value)
        if self.adds_up:
            return f"= {shown}"
        return f"≈ {shown} (exactly {(self.exact or repr(self.value)).replace('-', MINUS)})"

    @property
    def text(self) -> str:
        return f"{self.target} = {self.formula} = {self.expansion} {self.total}"


_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow}


def evaluate(term: str) -> float:
    """A printed term worked out as a learner would, from the digits on the page: ``(0.3)(−0.12)``,
    ``2·(0.436 − 1) / 4``, ``(1 − (−0.5)²)(0.2)``.  ValueError for anything else."""
    python = (term.replace(MINUS, "-").replace("·", "*").replace(")(", ")*(").replace("²", "**2"))
    try:
        tree = ast.parse(python, mode="eval").body
    except SyntaxError:
        raise ValueError(f"{term!r} is not a sum of printed numbers") from None

    def value(node: ast.expr) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return -value(node.operand) if isinstance(node.op, ast.USub) else value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return float(_OPERATORS[type(node.op)](value(node.left), value(node.right)))
        raise ValueError(f"{term!r} is not a sum of printed numbers")

    try:
        return value(tree)
    except (ZeroDivisionError, OverflowError):
        raise ValueError(f"{term!r} cannot be worked out") from None


def explain(net: Network, p: Pass, name: str, index: tuple[int, ...]) -> Explanation:
    """How ``name.g[index]`` was computed, for any gradient the backward pass fills.

    Printed with four significant digits, or with as many more (up to
    ``MAX_DIGITS``) as the terms need to add up to the total as printed.
    """
    first = _explain(net, p, name, index)
    found = first
    while not found.adds_up and found.digits < MAX_DIGITS:
        if isinstance(first.terms, Terms):  # the same terms, written with one digit more
            found = replace(first, digits=found.digits + 1)
            continue
        with digits(found.digits + 1):
            found = replace(_explain(net, p, name, index), digits=found.digits + 1)
    return found if found.adds_up else first


def _explain(net: Network, p: Pass, name: str, index: tuple[int, ...]) -> Explanation:
    if name not in p.grads:
        raise KeyError(f"the backward pass computes no gradient named {name}.g")
    index = tuple(int(i) for i in index)
    p.grads[name][index]  # an IndexError for a cell outside the tensor
    steps = backward_steps(net)
    target = cell_name(f"{name}.g", index)
    value = float(p.grads[name][index])
    exact = str(shortest(p.grads[name][index]))
    if name == "out":
        kind = net.loss_kind
        divisor = kind.divisor(p.values["out"].shape, net.reduction)
        row, col = index
        formula, terms = kind.working(row, col, p.values["out"], net.y, divisor.n)
        return Explanation(target, formula, terms, value, 0, steps[0].code[0], divisor.why, exact)
    for k, (layer, names) in enumerate(reversed(net.named_layers()), start=1):
        if isinstance(layer, Linear) and name in (names.inp, names.w, names.b):
            work = layer.working(names, name, index, p.values[names.inp], p.grads[names.out])
        elif not isinstance(layer, Linear) and name == names.inp:
            v, g = p.values, p.grads
            work = layer.working(names, index, v[names.inp][index], v[names.out][index], g[names.out][index])
        else:
            continue
        return Explanation(target, work.formula, work.terms, value, k, steps[k].code[work.line], work.note, exact)
    raise KeyError(f"no step of the backward pass writes {name}.g")
