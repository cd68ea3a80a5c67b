"""Your turn: the learner writes the backward pass, and each line is graded cell by cell.

The lines to write are the lines of ``backward_steps(net)``, one gradient each:
``out.g = …``, then for every layer from the last, ``l2.g = …``, ``w2.g = …``,
``b2.g = …`` and so on down to ``x.g``.  A learner's line ``w1.g = x.t() @ l1.g``
is worked out by the safe evaluator on the current network and compared with
the true ``w1.g``, cell by cell, within a tolerance that suits the dtype.

Each line may read the gradients computed before it in the backward pass, and
only those.  They come either from the learner's own earlier lines (a wrong
``out.g`` then spoils every line after it, as it would in their notebook) or,
with ``true_inputs``, from the true pass, so one mistake doesn't hide the rest.

A line is ``right``, ``wrong`` (with the cells that match, the difference per
cell, the worst cell and, from ``diagnosis``, the likely slip in one sentence),
``refused`` (the evaluator's sentence and its column), ``waiting`` (it reads a
``.g`` whose own line isn't worked out) or ``missing``.  A line right here is also
worked out on the hidden networks of ``hidden_networks``, and is only ``right``
if it is right on all of them.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gradlab.diagnosis import Target, agree, diagnose, gradient_scale, targets
from gradlab.expression import ExpressionError, check, evaluate, parse_line
from gradlab.expression_ops import describe
from gradlab.hidden_networks import hidden_networks
from gradlab.network import Network, Pass, run
from gradlab.scenario import MAX_ANSWERS
from gradlab.text import cell_name, fmt

Verdict = Literal["right", "wrong", "refused", "waiting", "missing"]
MAX_ANSWERS_BYTES = 2**20  # a text file of answers: far above any backward pass written by hand

__all__ = ["AnswersError", "Cells", "Grade", "Grading", "HiddenResult", "Target", "Verdict", "grade", "read_answers",
           "reference_answers", "targets"]


@dataclass(frozen=True)
class Cells:
    """Where a result of the right shape matches: shaped like the true gradient."""

    match: np.ndarray  # bool per cell: within tolerance
    difference: np.ndarray  # the learner's value minus the true one
    worst: tuple[int, ...]  # the cell furthest off
    yours: float  # the learner's value there
    right: float  # the true value there

    @property
    def wrong(self) -> int:
        return int((~self.match).sum())


@dataclass(frozen=True)
class HiddenResult:
    label: str  # "a batch of 1 row"
    verdict: Literal["right", "wrong", "refused"]
    message: str  # "right", the diagnosis, or the evaluator's sentence


@dataclass(frozen=True)
class Grade:
    """One line's grade on the current network."""

    target: str  # "w1.g"
    expression: str  # the right side as written; "" when missing
    verdict: Verdict
    message: str  # one sentence: what is right or wrong
    truth: np.ndarray | None = None  # the true gradient (None for a target the network doesn't have)
    result: np.ndarray | None = None  # the learner's array on the current network, as their notebook would hold it
    cells: Cells | None = None  # when the result has the true gradient's shape
    error: ExpressionError | None = None  # refused: the sentence and the column, in ``expression``
    waiting_for: tuple[str, ...] = ()  # the ``.g``s it reads that aren't worked out
    inherits: tuple[str, ...] = ()  # the learner's wrong ``.g``s it reads (own inputs only)
    alone: bool = False  # the line itself is right: on the true inputs it gives the true gradient here
    hidden: tuple[HiddenResult, ...] = ()  # the hidden networks it was also worked out on

    @property
    def right_here(self) -> bool:
        """Every cell matches on the current network (hidden networks aside)."""
        return self.cells is not None and bool(self.cells.match.all())

    @property
    def solved(self) -> bool:
        """The line itself is right: on the true inputs it gives the true gradient, here and on every hidden
        network (so it counts as solved even while it reads one of the learner's earlier lines that is wrong)."""
        return self.alone and all(h.verdict == "right" for h in self.hidden)

    @property
    def caret(self) -> str | None:
        """For a refused line: the expression, and a ``^`` under the problem."""
        return None if self.error is None else self.error.caret(self.expression)


@dataclass(frozen=True)
class Grading:
    grades: tuple[Grade, ...]  # one per target in backward order, then lines for gradients the network doesn't have
    true_inputs: bool

    def __getitem__(self, target: str) -> Grade:
        for g in self.grades:
            if g.target == target:
                return g
        raise KeyError(f"there is no {target} to grade")

    @property
    def ok(self) -> bool:
        """Every line is written and right (a missing line is not ok)."""
        return all(g.verdict == "right" for g in self.grades)

    @property
    def missing(self) -> list[str]:
        return [g.target for g in self.grades if g.verdict == "missing"]

    def array(self, target: str) -> np.ndarray | None:
        """The learner's ``target`` on the current network when it has the true gradient's shape, else None:
        what the inspector compares ΔL/Δε with, cell by cell."""
        g = self[target]
        return g.result if g.cells is not None else None


class AnswersError(ValueError):
    """A text file of answers that can't be read; the message is one sentence and names the line."""


# -- grading ---------------------------------------------------------------------------------------

def reference_answers(net: Network) -> dict[str, str]:
    """The app's own backward lines, ``{"out.g": "2. * (out - y) / out.numel()", …}``: a full marks answer."""
    return {t.name: t.reference for t in targets(net)}


def grade(net: Network, answers: Mapping[str, str], *, true_inputs: bool = False, hidden: bool = True,
          p: Pass | None = None) -> Grading:
    """Grade ``answers`` (``{"w1.g": "x.t() @ l1.g", …}``) on ``net``, whose pass ``p`` may be given."""
    p = run(net) if p is None else p
    grader = _Grader(net, p, true_inputs, hidden)
    grades = []
    for t in grader.targets:
        text = answers.get(t.name, "")
        g = grader.line(t, text.strip()) if isinstance(text, str) and text.strip() else \
            Grade(t.name, "", "missing", f"there is no line for {t.name} yet", p.grads[t.tensor])
        grader.done[t.name] = g
        grades.append(g)
    known = ", ".join(t.name for t in grader.targets)
    for name, text in answers.items():
        if name not in grader.done:
            grades.append(Grade(name, str(text).strip(), "refused",
                                f"this network has no {name} to write; its backward lines set {known}"))
    return Grading(tuple(grades), true_inputs)


class _Grader:
    def __init__(self, net: Network, p: Pass, true_inputs: bool, hidden: bool) -> None:
        self.net, self.p, self.true_inputs, self.hidden = net, p, true_inputs, hidden
        self.scale = gradient_scale(p)
        self.values = {"y": net.y, **p.values}
        self.targets = targets(net)
        self.step = {t.name: t.step for t in self.targets}
        self.done: dict[str, Grade] = {}

    def line(self, t: Target, expression: str) -> Grade:
        truth = self.p.grads[t.tensor]
        try:
            check(expression, self.values)
            reads = self.reads(t, expression)
        except ExpressionError as e:
            return Grade(t.name, expression, "refused", e.message, truth, error=e)
        waiting = tuple(r for r in reads if not self.true_inputs and self.done[r].result is None)
        if waiting:
            return Grade(t.name, expression, "waiting", self.waiting(waiting[0]), truth, waiting_for=waiting)
        true_grads = {r[:-2]: self.p.grads[r[:-2]] for r in reads}
        grads = true_grads if self.true_inputs else {r[:-2]: _array(self.done[r].result) for r in reads}
        inherits = () if self.true_inputs else tuple(r for r in reads if not self.done[r].right_here)
        try:
            result = evaluate(expression, self.values, grads, self.net.dtype)
        except ExpressionError as e:
            message = e.message
            if inherits and self.works(expression, true_grads) is not None:
                message += f"; with the true {inherits[0]} this line works, so the shape of your {inherits[0]} is the problem"
            return Grade(t.name, expression, "refused", message, truth, error=e, inherits=inherits)
        cells = compare(result, truth, self.net.dtype, self.scale)
        alone_result: np.ndarray | None = result
        if inherits and not (cells is not None and cells.match.all()):
            alone_result = self.works(expression, true_grads)
        alone = alone_result is not None and _matches(alone_result, truth, self.net.dtype, self.scale)
        hidden = self.hidden_results(t, expression, reads) if self.hidden and alone else ()
        failed = next((h for h in hidden if h.verdict != "right"), None)
        right_here = cells is not None and bool(cells.match.all())
        if right_here and failed is None:
            verdict: Verdict = "right"
            message = "right" + (f", here and with {_listed([h.label for h in hidden])}" if hidden else "")
        elif right_here and failed is not None:
            verdict, message = "wrong", f"right here, but {self.when(failed)}: {failed.message}"
        elif alone and failed is not None:
            verdict, message = "wrong", f"with the true {inherits[0]} this line is right here, but {self.when(failed)}: {failed.message}"
        elif alone:
            verdict = "wrong"
            message = (f"this line is right, but it reads your {inherits[0]}, which is wrong, and passes the mistake on; "
                       f"with the true {inherits[0]} it gives the right {t.name}")
        else:
            verdict = "wrong"
            message = diagnose(t, alone_result if alone_result is not None else result, self.net, self.p)
            if inherits:
                message += f" (it also reads your {inherits[0]}, which is wrong)"
        return Grade(t.name, expression, verdict, message, truth, result, cells, inherits=inherits,
                     alone=alone, hidden=hidden)

    def reads(self, t: Target, expression: str) -> tuple[str, ...]:
        """The ``.g``s the line reads, each refused unless the backward pass has computed it before ``t``."""
        tree = ast.parse(expression, mode="eval")
        raw = expression.encode()
        found: list[str] = []
        earlier = [name for name, s in self.step.items() if s < t.step]
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and node.attr == "g" and isinstance(node.value, ast.Name)):
                continue
            name, at = f"{node.value.id}.g", len(raw[:node.col_offset].decode("utf-8", "ignore"))
            if name not in self.step:
                raise ExpressionError(f"{name} is never computed: the backward pass sets {', '.join(self.step)}", at)
            if name == t.name:
                raise ExpressionError(f"{t.name} can't be worked out from itself: a line computes its gradient from "
                                      f"the ones before it, {_listed(earlier) if earlier else 'the loss and the values'}", at)
            if self.step[name] >= t.step:
                when = "in the same step as" if self.step[name] == t.step else "after"
                may = f"it may use {_listed(earlier)}" if earlier else f"{t.name} comes first and uses no other .g"
                raise ExpressionError(f"{t.name} can't use {name}: the backward pass computes {name} {when} {t.name}; {may}", at)
            if name not in found:
                found.append(name)
        return tuple(sorted(found, key=self.step.__getitem__))

    def waiting(self, name: str) -> str:
        state = self.done[name].verdict
        why = {"missing": "write its line first", "refused": "its line can't be worked out yet",
               "waiting": f"its line is waiting too, for {', '.join(self.done[name].waiting_for)}"}[state]
        return f"waiting for {name}: {why}"

    def works(self, expression: str, grads: dict[str, np.ndarray]) -> np.ndarray | None:
        """The line worked out on the true gradients, or None if it can't be."""
        try:
            return evaluate(expression, self.values, grads, self.net.dtype)
        except ExpressionError:
            return None

    def hidden_results(self, t: Target, expression: str, reads: tuple[str, ...]) -> tuple[HiddenResult, ...]:
        """The line on each hidden network, fed that network's true gradients."""
        results = []
        for h in hidden_networks(self.net):
            target = next(x for x in targets(h.net) if x.name == t.name)
            values = {"y": h.net.y, **h.p.values}
            try:
                result = evaluate(expression, values, {r[:-2]: h.p.grads[r[:-2]] for r in reads}, h.net.dtype)
            except ExpressionError as e:
                results.append(HiddenResult(h.label, "refused", e.message))
                continue
            if _matches(result, h.p.grads[t.tensor], h.net.dtype, gradient_scale(h.p)):
                results.append(HiddenResult(h.label, "right", "right"))
            else:
                results.append(HiddenResult(h.label, "wrong", diagnose(target, result, h.net, h.p)))
        return tuple(results)

    def when(self, failed: HiddenResult) -> str:
        h = next(x for x in hidden_networks(self.net) if x.label == failed.label)
        return f"it can't be worked out {h.when}" if failed.verdict == "refused" else f"wrong {h.when}"


def compare(result: np.ndarray, truth: np.ndarray, dtype: np.dtype, scale: float = 0.0) -> Cells | None:
    """Cell by cell, when the shapes agree; None when they don't."""
    if result.shape != truth.shape:
        return None
    yours = result.astype(np.float64)
    right = truth.astype(np.float64)
    difference = yours - right
    match = agree(yours, right, dtype, scale)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(difference)), difference.shape)) if difference.size else ()
    if not difference.size:
        return Cells(match, difference, (), 0.0, 0.0)
    return Cells(match, difference, worst, float(yours[worst]) + 0.0, float(right[worst]) + 0.0)  # + 0.0: no −0


def _array(result: np.ndarray | None) -> np.ndarray:
    if result is None:  # a line that waits is never worked out, so this is not reached
        raise ValueError("a gradient read before it was worked out")
    return result


def _matches(result: np.ndarray, truth: np.ndarray, dtype: np.dtype, scale: float = 0.0) -> bool:
    return result.shape == truth.shape and bool(agree(result.astype(np.float64), truth.astype(np.float64), dtype, scale).all())


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- reading a text file of answers -------------------------------------------------------------------

def read_answers(text: str) -> dict[str, str]:
    """``name.g = expression`` lines, one a line, blank lines and ``#`` comments allowed.

    Raises ``AnswersError`` naming the line for a line that isn't ``name.g = …``, a gradient set twice,
    or too many lines."""
    if len(text.encode("utf-8", "replace")) > MAX_ANSWERS_BYTES:
        raise AnswersError(f"the answers are larger than {MAX_ANSWERS_BYTES // 2**20} MB, too large to be a backward pass")
    answers: dict[str, str] = {}
    first: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            parsed = parse_line(line)
        except ExpressionError as e:
            raise AnswersError(f"line {number}: {e.message}") from None
        if parsed.target in answers:
            raise AnswersError(f"line {number} sets {parsed.target} again; line {first[parsed.target]} already set it")
        if len(answers) == MAX_ANSWERS:
            raise AnswersError(f"line {number}: there are more than {MAX_ANSWERS} lines to grade")
        answers[parsed.target], first[parsed.target] = parsed.expression, number
    return answers


# -- a grade in words -------------------------------------------------------------------------------

def worst_cell(g: Grade) -> str | None:
    """"worst cell w1.g[2,0]: yours 0.31, right −0.12", when a wrong line has the right shape."""
    if g.cells is None or g.cells.match.all() or not g.cells.difference.size:
        return None
    return (f"worst cell {cell_name(g.target, g.cells.worst)}: yours {fmt(g.cells.yours)}, "
            f"right {fmt(g.cells.right)} ({g.cells.wrong} of {g.cells.match.size} cells wrong)")


def shape_note(g: Grade) -> str | None:
    """"yours is a 4×3 matrix, w1.g is a 3×4 matrix", when a line's result has the wrong shape."""
    if g.result is None or g.truth is None or g.cells is not None:
        return None
    return f"yours is {describe(g.result.shape)}, {g.target} is {describe(g.truth.shape)}"
