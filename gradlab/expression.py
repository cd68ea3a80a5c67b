"""A learner's backward-pass line, ``w1.g = x.t() @ l1.g``, read and worked out safely.

The line is in the lesson's PyTorch notation and is worked out with numpy.  It is
never run as Python: ``ast.parse`` reads it, ``expression_check.Checker`` walks
the tree and refuses every kind of node, name, method, keyword and power that
isn't on the lists, and ``expression_eval.Evaluator`` walks it again, calling
only our own functions from ``expression_ops``.  Sizes are checked before the work: the text's
length and bracket depth before parsing, the tree's depth and size before
walking, and the shape of every result before numpy builds it.

Every refusal is an ``ExpressionError``: one sentence for the learner and the
column it is about.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from gradlab import expression_ops as ops
from gradlab.expression_check import Checker
from gradlab.expression_eval import Evaluator
from gradlab.expression_ops import OpError

MAX_LENGTH = 2_000  # characters of one expression
MAX_BRACKETS = 40  # brackets open at once
MAX_DEPTH = 80  # levels of the parsed tree
MAX_NODES = 600  # parts of the parsed tree


class ExpressionError(ValueError):
    """One sentence for the learner; ``offset`` is the 0-based column the problem is at (or None).

    Columns count characters of the text that was checked: the expression for ``check`` and
    ``evaluate``, the whole line for ``parse_line`` (add ``Line.offset`` to place an expression's
    error in its line)."""

    message: str
    offset: int | None

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def caret(self, text: str) -> str:
        """The expression, then a ``^`` under ``offset`` (just the expression when there is no offset)."""
        if self.offset is None:
            return text
        at = min(max(self.offset, 0), len(text))
        pad = "".join("\t" if c == "\t" else " " for c in text[:at])
        return f"{text}\n{pad}^"


@dataclass(frozen=True)
class Line:
    target: str  # "w1.g": the left side of "w1.g = …"
    expression: str  # the right side, as typed (stripped)
    offset: int  # column where the expression starts in the original line


_TARGET = re.compile(r"[ \t]*([^\W\d]\w*)[ \t]*\.[ \t]*g[ \t]*=(?!=)")


def parse_line(text: str) -> Line:
    """``"w1.g = x.t() @ l1.g"`` → ``Line("w1.g", "x.t() @ l1.g", 7)``; refuses a line without ``NAME.g =``."""
    _one_line(text, MAX_LENGTH + 100)
    match = _TARGET.match(text)
    if not match:
        start = len(text) - len(text.lstrip())
        raise ExpressionError("a backward line starts with the gradient it sets, like w1.g = …", start)
    name = match.group(1)
    if name.startswith("_"):
        raise ExpressionError(f"{name} is not part of the notation: names starting with _ are not allowed", match.start(1))
    rest = text[match.end():]
    offset = match.end() + len(rest) - len(rest.lstrip())
    expression = rest.strip()
    if not expression:
        raise ExpressionError(f"write what {name}.g equals after the =", len(text))
    return Line(f"{name}.g", expression, offset)


def check(expression: str, names: Iterable[str]) -> None:
    """Syntax, the whitelist and the names, without any arrays: quick enough for every keystroke."""
    _checked(expression, names)


def evaluate(
    expression: str, values: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], dtype: np.dtype | type = np.float64
) -> np.ndarray:
    """Work out ``expression`` on the network's tensors (``values``) and the gradients written so far (``grads``)."""
    source = _checked(expression, values)
    values = {k: np.asarray(v) for k, v in values.items()}
    grads = {k: np.asarray(v) for k, v in grads.items()}
    tensors = [*values.values(), *grads.values()]
    cap = max([ops.MAX_ELEMENTS, *(t.size for t in tensors)])
    out = values.get("out")
    budget = ops.Budget(np.dtype(dtype), cap, out.shape[-1] if out is not None and out.ndim else None)
    try:
        # errstate is per thread (a context variable), so grading on a worker thread leaves the window's alone;
        # warnings.catch_warnings would change the whole process's filters
        with np.errstate(all="raise", under="ignore"):
            result = Evaluator(source, values, grads, budget).eval(source.tree.body)
    except OpError as e:
        raise ExpressionError(e.message, e.offset) from None
    except Exception as e:  # the checks above should leave nothing for this; it keeps tracebacks from the learner
        raise ExpressionError(f"GradLab could not work this line out, which is a bug in GradLab ({type(e).__name__})") from e
    return _result(result, source, budget, tensors)


def _checked(expression: str, names: Iterable[str]) -> Source:
    source = Source(expression)
    try:
        Checker(source, list(names)).visit(source.tree.body, "value")
    except OpError as e:
        raise ExpressionError(e.message, e.offset) from None
    return source


def _result(result: object, source: Source, budget: ops.Budget, tensors: list[np.ndarray]) -> np.ndarray:
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        result = np.asarray(result, budget.dtype)
    if not isinstance(result, np.ndarray):
        raise ExpressionError(f"this line gives {ops.kind(result)}, not a tensor", source.lead)
    if result.dtype.kind == "f" and not np.isfinite(result).all():
        raise ExpressionError("the result has numbers that are not finite (infinity or not-a-number)", source.lead)
    if any(np.may_share_memory(result, t) for t in tensors):
        return result.copy()  # the caller may keep or change it without touching the network
    return result


def _one_line(text: object, limit: int) -> None:
    if not isinstance(text, str):
        raise ExpressionError("the line must be text")
    if len(text) > limit:
        raise ExpressionError(f"the line is {len(text):,} characters long; the most is {limit:,}", limit)
    breaks = [text.find(c) for c in "\r\n" if c in text]
    if breaks:
        raise ExpressionError("write the line on one line", min(breaks))


class Source:
    """The text, its parsed tree, and the columns of the tree's parts, counted in characters."""

    def __init__(self, text: str) -> None:
        _one_line(text, MAX_LENGTH)
        self.text = text
        self.lead = len(text) - len(text.lstrip(" \t\f"))
        code = text[self.lead:]
        if not code.strip():
            raise ExpressionError("write an expression", len(text))
        depth = 0
        for i, c in enumerate(text):
            depth += (c in "([{") - (c in ")]}")
            if depth > MAX_BRACKETS:
                raise ExpressionError(f"brackets are nested more than {MAX_BRACKETS} deep here", i)
        try:
            self.tree = ast.parse(code, mode="eval")
        except SyntaxError as e:
            raise _syntax_error(e, text, self.lead) from None
        except (ValueError, RecursionError, MemoryError):
            raise ExpressionError("this line can't be read: it has a character or a nesting that isn't allowed") from None
        self.raw = code.encode()
        count = 0
        stack: list[tuple[ast.AST, int]] = [(self.tree.body, 1)]
        while stack:
            node, level = stack.pop()
            count += 1
            if level > MAX_DEPTH or count > MAX_NODES:
                raise ExpressionError("this line has too many steps; split it up or write it more simply", self.start(node))
            stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))

    def column(self, byte: int) -> int:
        return self.lead + len(self.raw[:byte].decode("utf-8", "ignore"))

    def start(self, node: ast.AST) -> int:
        return self.column(getattr(node, "col_offset", 0))

    def end(self, node: ast.AST) -> int:
        return self.column(getattr(node, "end_col_offset", len(self.raw)))

    def segment(self, node: ast.AST) -> str:
        text = self.text[self.start(node):self.end(node)]
        return text if len(text) <= 40 else text[:39] + "…"

    def attribute_at(self, node: ast.Attribute) -> int:
        """The column of the name after the dot."""
        dot = self.text.rfind(".", self.end(node.value), self.end(node))
        return len(self.text) - len(self.text[dot + 1:].lstrip()) if dot >= 0 else self.start(node)

    def after(self, node: ast.AST) -> int:
        """The column of what follows ``node``, past spaces and closing brackets: usually an operator."""
        at = self.end(node)
        while at < len(self.text) and self.text[at] in " \t)":
            at += 1
        return at

    def operator_at(self, left: ast.AST, right: ast.AST, symbol: str) -> int:
        at = self.text.find(symbol, self.end(left), self.start(right))
        return at if at >= 0 else self.start(left)


def _syntax_error(e: SyntaxError, text: str, lead: int) -> ExpressionError:
    at = lead + e.offset - 1 if e.offset and e.lineno == 1 and e.offset <= len(text) - lead else len(text)
    ch = text[at] if at < len(text) else ""
    message = e.msg or ""
    if "never closed" in message:
        return ExpressionError(f"this {ch} is never closed", at)
    if "unmatched" in message:
        return ExpressionError(f"this {ch} doesn't close anything that is open", at)
    if "does not match" in message:
        return ExpressionError(f"this {ch} doesn't match the bracket it closes", at)
    if "invalid character" in message:
        return ExpressionError(f"the character {ch} is not part of the notation; multiply with * and use @ for matrix products", at)
    if "string" in message or "quote" in message:
        return ExpressionError("text in quotes is not part of the notation", at)
    if "decimal literal" in message:
        return ExpressionError("a number runs straight into a name here; write 2 * x, not 2x", at)
    return ExpressionError("this line can't be read here: something is missing or out of place", at)


