"""Working out a checked backward-pass line: a walk over its tree that calls only our own operations.

``Evaluator`` runs after ``expression_check.Checker`` has accepted the tree, so it
only meets nodes, names and calls on the lists.  What the checker can't know
without arrays (shapes, sizes, which gradients exist, values that aren't
numbers) it refuses here, before numpy does the work.
"""

from __future__ import annotations

import ast
from types import EllipsisType
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from gradlab import expression_ops as ops
from gradlab.expression_check import COMPARISONS, OPERATORS, UNARY
from gradlab.expression_ops import FUNCTIONS, METHODS, OpError

if TYPE_CHECKING:
    from gradlab.expression import Source

Index: TypeAlias = int | slice | None | EllipsisType  # one item between a tensor's square brackets


class Evaluator:
    def __init__(self, source: Source, values: dict[str, np.ndarray], grads: dict[str, np.ndarray], budget: ops.Budget) -> None:
        self.source, self.values, self.grads, self.budget = source, values, grads, budget

    def eval(self, node: ast.AST) -> object:
        """The value of ``node``: a tensor, a Python number, a tuple of sizes, or None, ..., a slice or a flag."""
        try:
            value = self.dispatch(node)
        except OpError as e:
            if e.offset is None:
                e.offset = self.at(node)
            raise
        except FloatingPointError as e:
            raise OpError(arithmetic(str(e), self.source.segment(node)), self.at(node)) from None
        except RuntimeWarning:
            raise OpError(f"{self.source.segment(node)} can't be worked out for these numbers", self.at(node)) from None
        except MemoryError:
            raise OpError(f"{self.source.segment(node)} needs more memory than is free", self.at(node)) from None
        return np.asarray(value) if isinstance(value, np.generic) else value

    def at(self, node: ast.AST) -> int:
        """Where the caret goes for a problem with ``node``: its operator, its method's name, or its start."""
        source = self.source
        if isinstance(node, ast.BinOp):
            return source.operator_at(node.left, node.right, OPERATORS[type(node.op)][0])
        if isinstance(node, ast.Compare):
            return source.operator_at(node.left, node.comparators[0], COMPARISONS[type(node.ops[0])][0])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return source.attribute_at(node.func)
        if isinstance(node, ast.Attribute):
            return source.attribute_at(node)
        if isinstance(node, ast.Subscript):
            return source.start(node.slice)
        return source.start(node)

    def namespace(self, func: ast.Attribute) -> str | None:
        """"torch" or "F" when ``func`` is ``torch.where`` or ``F.one_hot`` (and not a method of a tensor so named)."""
        value = func.value
        if isinstance(value, ast.Name) and value.id in FUNCTIONS and value.id not in self.values:
            return value.id
        return None

    def dispatch(self, node: ast.AST) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.values[node.id]
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp):
            v = self.operand(node.operand)
            if not isinstance(v, np.ndarray):
                return -v if isinstance(node.op, ast.USub) else v
            v = self.budget.floating(v) if v.dtype == bool else v
            self.budget.make(v.shape, self.source.segment(node))
            return UNARY[type(node.op)](v)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Tuple):
            return tuple(self.eval(item) for item in node.elts)
        raise OpError("this is not part of the notation")  # the checker lets nothing else through

    def attribute(self, node: ast.Attribute) -> object:
        if node.attr == "g" and isinstance(node.value, ast.Name):  # the checker allows .g after a name only
            name = node.value.id
            if name not in self.grads:
                raise OpError(f"{name}.g has not been computed yet: write its line first", self.source.start(node))
            return self.grads[name]
        t = self.eval(node.value)
        if not isinstance(t, np.ndarray):
            raise OpError(f"{self.source.segment(node.value)} is {ops.kind(t)}; only tensors have .{node.attr}")
        return ops.ATTRIBUTES[node.attr](t)

    def operand(self, node: ast.AST) -> ops.Operand:
        """A tensor or a number for arithmetic, refusing sizes, None and flags."""
        v = self.eval(node)
        if isinstance(v, tuple):
            raise OpError(f"{self.source.segment(node)} is a list of sizes; pick one, as in x.shape[0]", self.source.start(node))
        if not isinstance(v, (np.ndarray, int, float)) or isinstance(v, bool):
            raise OpError(f"{self.source.segment(node)} is {ops.kind(v)}, not a tensor or a number", self.source.start(node))
        return v

    def binary(self, node: ast.BinOp) -> object:
        symbol, ufunc = OPERATORS[type(node.op)]
        a, b = self.operand(node.left), self.operand(node.right)
        what = self.source.segment(node)
        if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
            if symbol == "@":
                raise OpError(f"{what} needs tensors on both sides of @; use * to multiply numbers")
            return float(ufunc(np.float64(a), np.float64(b)))
        a, b = ops.promote(a if isinstance(a, np.ndarray) else float(a), b if isinstance(b, np.ndarray) else float(b),
                           self.budget.dtype)
        if symbol == "@":
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
                raise OpError(f"{what} needs tensors on both sides of @; use * to multiply by a number")
            ops.matmul_shape(self.budget, a.shape, b.shape, what)
        else:
            ops.broadcast(self.budget, [np.shape(a), np.shape(b)], what)
        return ufunc(a, b)

    def compare(self, node: ast.Compare) -> np.ndarray:
        ufunc = COMPARISONS[type(node.ops[0])][1]
        a, b = self.operand(node.left), self.operand(node.comparators[0])
        a, b = (v if isinstance(v, np.ndarray) else float(v) for v in (a, b))
        ops.broadcast(self.budget, [np.shape(a), np.shape(b)], self.source.segment(node))
        return np.asarray(ufunc(a, b))

    def call(self, node: ast.Call) -> object:
        func = node.func
        receiver: ast.expr | None = None  # the tensor whose method is called; None for a function
        if isinstance(func, ast.Name):
            op = FUNCTIONS[""][func.id]
        elif isinstance(func, ast.Attribute):
            space = self.namespace(func)
            if space is None:
                op, receiver = METHODS[func.attr], func.value
            else:
                op = FUNCTIONS[space][func.attr]
        else:
            raise OpError("this is not part of the notation")  # the checker calls names and attributes only
        keywords = [(kw.arg, kw.value) for kw in node.keywords if kw.arg is not None]  # the checker refuses **
        positional = [self.eval(arg) for arg in node.args]
        given = {name: self.eval(value) for name, value in keywords}
        if op.variadic and positional:
            given["shape"] = tuple(positional)
        else:
            given.update(zip(op.params, positional))
        if receiver is None:
            written = dict(zip(op.params, map(self.source.segment, node.args)))
            written.update((name, self.source.segment(value)) for name, value in keywords)
            return op.fn(self.budget, [written.get(p, p) for p in op.params], **given)
        t = self.eval(receiver)
        if not isinstance(t, np.ndarray):
            raise OpError(f"{self.source.segment(receiver)} is {ops.kind(t)}, and only tensors have methods")
        return op.fn(self.budget, self.source.segment(receiver), t, **given)

    def subscript(self, node: ast.Subscript) -> object:
        base = self.eval(node.value)
        items = [self.index_item(item) for item in (node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice])]
        name = self.source.segment(node.value)
        if isinstance(base, tuple):  # x.shape[0], x.shape[1:]
            item = items[0] if len(items) == 1 else None
            if item is None or isinstance(item, EllipsisType):
                raise OpError(f"{name} is a list of sizes: pick one size, as in {name}[0]")
            if isinstance(item, int) and not -len(base) <= item < len(base):
                raise OpError(f"{name} has {len(base)} sizes, so {item} is out of range")
            return base[item]
        if not isinstance(base, np.ndarray):
            raise OpError(f"{name} is {ops.kind(base)}, which can't be indexed")
        check_index(base.shape, items, name)
        return base[tuple(items)]

    def index_item(self, node: ast.AST) -> Index:
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self.eval(p) for p in (node.lower, node.upper, node.step)]
            lower, upper, step = (None if v is None else ops.whole(v, "a slice") for v in parts)
            if step is not None and step < 1:
                raise OpError("a slice's step must be 1 or more: torch has no backward steps", self.source.start(node))
            return slice(lower, upper, step)
        v = self.eval(node)
        if v is None or isinstance(v, EllipsisType):
            return v
        if isinstance(v, np.ndarray):
            raise OpError("indexing with a tensor is not available; use numbers, slices (:) and None", self.source.start(node))
        return ops.whole(v, "an index")


def check_index(shape: tuple[int, ...], items: list[Index], name: str) -> None:
    """Refuse an index that picks from too many dims or past the end of one, naming the sizes."""
    ndim = len(shape)
    ellipses = sum(i is Ellipsis for i in items)
    if ellipses > 1:
        raise OpError("an index can have only one ...")
    picks = [i for i in items if i is not None and i is not Ellipsis]
    if len(picks) > ndim:
        raise OpError(f"{name} has {ndim} dimension{'s' * (ndim != 1)}, but the index picks from {len(picks)}")
    split = next((k for k, i in enumerate(items) if i is Ellipsis), len(items))
    front, back = items[:split], items[split + 1:]
    for axis, i in [*zip(range(ndim), [i for i in front if i is not None]),
                    *zip(range(ndim - 1, -1, -1), [i for i in reversed(back) if i is not None])]:
        if isinstance(i, int) and not -shape[axis] <= i < shape[axis]:
            raise OpError(f"{name} has {shape[axis]} entries along dimension {axis}, so index {i} is out of range")
    if ndim - sum(isinstance(i, int) for i in items) + sum(i is None for i in items) > ops.MAX_NDIM:
        raise OpError(f"a tensor can have at most {ops.MAX_NDIM} dimensions")


def arithmetic(message: str, what: str) -> str:
    """numpy's floating-point complaint, as a sentence about the learner's expression."""
    if "overflow" in message:
        return f"{what} overflows: its numbers grow too large to hold"
    if "divide by zero" in message:
        return f"{what} takes the log of 0, which is minus infinity" if "log" in message else f"{what} divides by zero"
    return f"{what} has no defined value here (like 0/0, or the log or a fractional power of a negative number)"
