"""The whitelist: every node, name, method, keyword and power a backward-pass line may use.

``Checker`` walks the parsed line before any array is touched and refuses the
rest with one sentence and the column of the offending part.  It needs no
arrays, so ``gradlab.expression.check`` can run it on every keystroke.
"""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING

import numpy as np

from gradlab import expression_ops as ops
from gradlab.expression_ops import FUNCTIONS, METHODS, OpError

if TYPE_CHECKING:
    from gradlab.expression import Source

OPERATORS = {ast.Add: ("+", np.add), ast.Sub: ("-", np.subtract), ast.Mult: ("*", np.multiply),
              ast.Div: ("/", np.true_divide), ast.Pow: ("**", np.power), ast.MatMult: ("@", np.matmul)}
COMPARISONS = {ast.Lt: ("<", np.less), ast.LtE: ("<=", np.less_equal), ast.Gt: (">", np.greater),
                ast.GtE: (">=", np.greater_equal), ast.Eq: ("==", np.equal), ast.NotEq: ("!=", np.not_equal)}
UNARY = {ast.USub: np.negative, ast.UAdd: np.positive}
REFUSED = {
    ast.Lambda: "lambda is not part of the notation: write the tensor expression itself",
    ast.ListComp: "loops like [… for …] are not part of the notation: write one expression over whole tensors",
    ast.SetComp: "loops like {… for …} are not part of the notation: write one expression over whole tensors",
    ast.DictComp: "loops like {… for …} are not part of the notation: write one expression over whole tensors",
    ast.GeneratorExp: "loops like (… for …) are not part of the notation: write one expression over whole tensors",
    ast.JoinedStr: "text in quotes is not part of the notation",
    ast.NamedExpr: ":= is not part of the notation: a line computes one tensor",
    ast.Starred: "* in front of a value is not part of the notation",
    ast.List: "square brackets only go right after a tensor, to index it, as in diff[:, None]",
    ast.Set: "curly brackets are not part of the notation",
    ast.Dict: "curly brackets are not part of the notation",
    ast.IfExp: "… if … else … is not part of the notation; use torch.where(condition, a, b)",
    ast.BoolOp: "and and or don't work on tensors; use torch.where(condition, a, b)",
    ast.Await: "await is not part of the notation",
    ast.Yield: "yield is not part of the notation",
    ast.YieldFrom: "yield is not part of the notation",
    ast.Slice: "a : only goes inside square brackets, as in x[:, 0]",
}
METHOD_LIST = ", ".join([*METHODS, *ops.ATTRIBUTES])
FUNCTION_LIST = ", ".join([*FUNCTIONS[""], *(f"torch.{f}" for f in FUNCTIONS["torch"]), "F.one_hot"])


class Checker:
    """Refuses anything that isn't on the lists, before any array is touched."""

    def __init__(self, source: Source, names: list[str]) -> None:
        self.source, self.names = source, names

    def refuse(self, message: str, node: ast.AST, at: int | None = None) -> OpError:
        return OpError(message, self.source.start(node) if at is None else at)

    def unknown(self, name: str, node: ast.AST) -> OpError:
        if name.startswith("_"):
            return self.refuse(f"{name} is not part of the notation: names starting with _ are not allowed", node)
        if name in FUNCTIONS:
            return self.refuse(f"{name} needs a function after it, as in {name}.{next(iter(FUNCTIONS[name]))}(…)", node)
        if name in FUNCTIONS[""]:
            return self.refuse(f"{name} is a function: call it, as in {name}(out)", node)
        tensors = f"the tensors are {', '.join(self.names)}" if self.names else "there are no tensors yet"
        return self.refuse(f"there is no tensor named {name}; {tensors}", node)

    def visit(self, node: ast.AST, role: str) -> None:
        """``role`` says where the node sits: a "value", a call's "arg" (tuples allowed), an "index" (None, ..., :),
        a keepdim "flag", a clamp "option" (None allowed) or a "power" (a plain number)."""
        if role == "flag":
            if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
                raise self.refuse("keepdim must be True or False", node)
            return
        if role == "power":
            self.power(node)
            return
        if isinstance(node, ast.Constant):
            self.constant(node, role)
        elif isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.unknown(node.id, node)
            if role == "index":
                raise self.refuse("indexing with a tensor is not available; use numbers, slices (:) and None", node)
        elif isinstance(node, ast.Attribute):
            self.attribute(node)
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.BinOp):
            self.visit(node.left, "value")
            symbol = OPERATORS.get(type(node.op), ("",))[0]
            if not symbol:
                raise self.refuse("that operator is not part of the notation; the operators are + - * / ** @", node,
                                  self.source.after(node.left))
            self.visit(node.right, "power" if symbol == "**" else "value")
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in UNARY:
                raise self.refuse("not and ~ are not part of the notation; compare with > or use torch.where", node)
            self.visit(node.operand, "value")
        elif isinstance(node, ast.Compare):
            if role == "index":
                raise self.refuse("picking entries with a comparison is not available; use torch.where(condition, a, b)", node)
            self.visit(node.left, "value")
            if len(node.ops) > 1:
                raise self.refuse("compare two things at a time, like l1 > 0", node, self.source.after(node.comparators[0]))
            if type(node.ops[0]) not in COMPARISONS:
                raise self.refuse("is and in are not part of the notation; compare with <, <=, >, >=, == or !=", node,
                                  self.source.after(node.left))
            self.visit(node.comparators[0], "value")
        elif isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Constant):
                raise self.refuse("a number can't be indexed", node)
            self.visit(node.value, "value")
            for item in node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]:
                self.visit(item, "index")
        elif isinstance(node, ast.Slice) and role == "index":
            for part in (node.lower, node.upper, node.step):
                if part is not None:
                    self.visit(part, "value")
        elif isinstance(node, ast.Tuple) and role == "arg":
            for item in node.elts:
                self.visit(item, "value")
        elif isinstance(node, ast.Tuple):
            raise self.refuse("(a, b) makes a pair, but a line computes one tensor" if node.elts else "() is empty", node)
        else:
            raise self.refuse(REFUSED.get(type(node), "this is not part of the notation"), node)

    def constant(self, node: ast.Constant, role: str) -> None:
        v = node.value
        if isinstance(v, bool):
            raise self.refuse("True and False only go after keepdim=", node)
        if v is None and role not in ("index", "option"):
            raise self.refuse("None only goes inside square brackets, to add a dimension, as in diff[:, None]", node)
        if v is Ellipsis and role != "index":
            raise self.refuse("... only goes inside square brackets, as in x[..., 0]", node)
        if isinstance(v, (str, bytes)):
            raise self.refuse("text in quotes is not part of the notation", node)
        if isinstance(v, complex):
            raise self.refuse("imaginary numbers are not part of the notation", node)
        if isinstance(v, int) and len(str(abs(v))) > 300 or isinstance(v, float) and not math.isfinite(v):
            raise self.refuse("this number is too large", node)

    def power(self, node: ast.AST) -> None:
        literal = node.operand if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY else node
        value = literal.value if isinstance(literal, ast.Constant) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.refuse(f"the power {self.source.segment(node)} must be a plain number such as 2", node)
        if not abs(value) <= ops.MAX_POWER:
            raise self.refuse(f"the power {self.source.segment(node)} is too large; powers go up to {ops.MAX_POWER}", node)

    def namespace(self, node: ast.AST) -> str | None:
        """"torch" or "F" when ``node`` is that name (and no tensor is so named)."""
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and node.id not in self.names:
            return node.id
        return None

    def attribute(self, node: ast.Attribute) -> None:
        at = self.source.attribute_at(node)
        space = self.namespace(node.value)
        if space:
            known = node.attr in FUNCTIONS[space]
            raise self.refuse(f"{space}.{node.attr} is a function: call it" if known
                              else f"{space}.{node.attr} is not available; the functions are {FUNCTION_LIST}", node, at)
        if isinstance(node.value, ast.Constant):
            raise self.refuse("numbers have no methods or attributes", node, at)
        if node.attr == "g":
            if not isinstance(node.value, ast.Name):
                raise self.refuse("only a tensor's own name has a .g, as in l1.g", node, at)
            if node.value.id not in self.names:
                raise self.unknown(node.value.id, node.value)
            return
        self.visit(node.value, "value")
        self.method_name(node.attr, node, at)
        if node.attr in METHODS:
            raise self.refuse(f"{node.attr} is a method: call it, as in {METHODS[node.attr].usage(node.attr)}", node, at)

    def method_name(self, name: str, node: ast.AST, at: int) -> None:
        if name.startswith("_"):
            raise self.refuse(f"{name} is not part of the notation: names starting with _ are not allowed", node, at)
        if name not in METHODS and name not in ops.ATTRIBUTES:
            raise self.refuse(f"{name} is not a tensor method here; the methods are {METHOD_LIST}", node, at)

    def call(self, node: ast.Call) -> None:
        op, name, at = self.callee(node)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.refuse("* in front of an argument is not part of the notation", arg)
        keywords: list[tuple[str, ast.expr]] = []  # each keyword argument's name and value
        for kw in node.keywords:
            if kw.arg is None:
                raise self.refuse("** in front of an argument is not part of the notation", kw)
            if kw.arg not in op.params:
                takes = ", ".join(f"{p}=" for p in op.params) or "nothing by name"
                raise self.refuse(f"{name} has no {kw.arg}=; it takes {takes}", kw)
            keywords.append((kw.arg, kw.value))
        positional = len(node.args)
        if op.variadic and positional and not node.keywords:
            positional = 1
        given = positional + len(node.keywords)
        if positional > len(op.params) or given < op.required:
            raise self.refuse(f"{name} is written {op.usage(name)}", node, at)
        for p in op.params[:positional]:
            if any(kw.arg == p for kw in node.keywords):
                raise self.refuse(f"{name} was given {p} twice", node, at)
        for arg, p in [*zip(node.args[:positional], op.params), *((value, keyword) for keyword, value in keywords)]:
            self.visit(arg, ops.ROLES.get(p, "arg"))
        for arg in node.args[positional:]:
            self.visit(arg, "arg")

    def callee(self, node: ast.Call) -> tuple[ops.Op, str, int]:
        """The called method or function, its name as written, and where that name is; the receiver is checked too."""
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in FUNCTIONS[""]:
                if func.id in self.names:
                    raise self.refuse(f"{func.id} is a tensor, not a function", func)
                if func.id.startswith("_"):
                    raise self.unknown(func.id, func)
                raise self.refuse(f"there is no function named {func.id}; the functions are {FUNCTION_LIST}", func)
            return FUNCTIONS[""][func.id], func.id, self.source.start(func)
        if not isinstance(func, ast.Attribute):
            raise self.refuse("only methods and functions can be called, like x.sum(0) or softmax(out)", node)
        at = self.source.attribute_at(func)
        space = self.namespace(func.value)
        if space:
            if func.attr not in FUNCTIONS[space]:
                raise self.refuse(f"{space}.{func.attr} is not available; the functions are {FUNCTION_LIST}", func, at)
            return FUNCTIONS[space][func.attr], f"{space}.{func.attr}", at
        if isinstance(func.value, ast.Constant):
            raise self.refuse("numbers have no methods or attributes", func, at)
        self.visit(func.value, "value")
        self.method_name(func.attr, func, at)
        if func.attr not in METHODS:
            raise self.refuse(f"{func.attr} is an attribute, not a method: write {func.attr} without ()", func, at)
        return METHODS[func.attr], f"{self.source.segment(func.value)}.{func.attr}", at
