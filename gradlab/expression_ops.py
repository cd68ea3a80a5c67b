"""The tensor operations a learner's backward-pass line may use, with PyTorch's semantics, over numpy.

``gradlab.expression`` parses and checks the line; this module holds what each
name does.  Every method and function is one of our own functions, looked up in
``METHODS``, ``ATTRIBUTES`` and ``FUNCTIONS``; nothing is ever looked up on numpy
or Python by a name the learner typed.  Where torch and numpy differ, torch wins:
``.t()`` of a vector is the vector, ``squeeze(d)`` leaves a dim that isn't 1 alone,
``.float()`` and arithmetic turn bools and integers into the network's dtype, and a
0-d tensor takes the dtype of the tensor it meets (so float32 stays float32).

Every result is sized by ``Budget.make`` before numpy builds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np

MAX_ELEMENTS = 20_000_000  # per result, unless the network's own tensors are bigger
MAX_TOTAL = 25  # all results of one line together: this many times the per-result limit
MAX_MATMUL = 5_000_000_000  # multiply-adds of every @ in one line together (the MNIST net's x.t() @ l1.g is 2e9)
MAX_NDIM = 16
MAX_POWER = 64

Operand: TypeAlias = np.ndarray | int | float  # what arithmetic takes: a tensor or a Python number


class OpError(Exception):
    """A refusal; ``gradlab.expression`` turns it into an ``ExpressionError``.  Without an offset
    the caret goes on the call or operator that raised it."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def describe(shape: tuple[int, ...]) -> str:
    """``(4, 3)`` → "a 4×3 matrix", in the learner's words."""
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    sizes = "×".join(map(str, shape))
    article = "an" if sizes[0] == "8" or sizes.split("×")[0] in ("11", "18") else "a"
    return f"{article} {sizes} {'matrix' if len(shape) == 2 else 'tensor'}"


@dataclass
class Budget:
    """The network's dtype and the limits every result is checked against before it is computed."""

    dtype: np.dtype
    cap: int
    classes: int | None = None  # out's number of columns: what one_hot(y) uses
    made: int = 0
    multiplied: int = 0

    def make(self, shape: tuple[int, ...], what: str) -> tuple[int, ...]:
        n = math.prod(shape)
        if n > self.cap:
            raise OpError(f"{what} would give {describe(shape)} ({n:,} numbers), more than the {self.cap:,} allowed")
        if len(shape) > MAX_NDIM:
            raise OpError(f"{what} would give a tensor with {len(shape)} dimensions, more than the {MAX_NDIM} allowed")
        self.spend(n, what)
        return shape

    def spend(self, n: int, what: str) -> None:
        """Count ``n`` numbers read or written, so a long line of big steps stops before it takes long."""
        self.made += n
        if self.made > MAX_TOTAL * self.cap:
            raise OpError(f"this line works through more than {MAX_TOTAL * self.cap:,} numbers in all; {what} is one step too many")

    def matmul(self, work: int, what: str) -> None:
        self.multiplied += work
        if self.multiplied > MAX_MATMUL:
            raise OpError(f"{what} needs more than {MAX_MATMUL:,} multiplications in all, too many to work out here")

    def tensor(self, v: object, what: str) -> np.ndarray:
        """A tensor argument: numbers become 0-d tensors of the network's dtype."""
        if isinstance(v, np.ndarray):
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return np.asarray(v, self.dtype)
        raise OpError(f"{what} needs a tensor here, not {kind(v)}")

    def floating(self, t: np.ndarray) -> np.ndarray:
        return t if t.dtype.kind == "f" else t.astype(self.dtype)


def kind(v: object) -> str:
    if isinstance(v, tuple):
        return "a list of sizes"
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True or False"
    return "a number" if isinstance(v, (int, float)) else "a tensor"


def promote(a: Operand, b: Operand, dtype: np.dtype) -> tuple[Operand, Operand]:
    """Torch's type promotion for arithmetic: bools and integers become floats, a 0-d tensor
    takes the dtype of a tensor with dimensions, and Python numbers stay weak."""
    arrays = [v for v in (a, b) if isinstance(v, np.ndarray)]
    floats = [v.dtype for v in arrays if v.dtype.kind == "f"]
    target = np.result_type(*floats) if floats else dtype
    sized = [v.dtype for v in arrays if v.ndim and v.dtype.kind == "f"]
    if sized:
        target = np.result_type(*sized)

    def fix(v: Operand) -> Operand:
        if not isinstance(v, np.ndarray) or (v.dtype.kind == "f" and (v.ndim or not sized)):
            return v
        return v.astype(target)

    return fix(a), fix(b)


def broadcast(budget: Budget, shapes: list[tuple[int, ...]], what: str) -> tuple[int, ...]:
    """The shape of combining ``shapes`` element by element, refused before it is built if it doesn't fit."""
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise OpError(misfit(shapes, what)) from None
    return budget.make(tuple(shape), what)


def misfit(shapes: list[tuple[int, ...]], what: str) -> str:
    """The sentence for shapes that don't broadcast: the first two that clash, and where."""
    for i, si in enumerate(shapes):
        for sj in shapes[i + 1:]:
            for m, n in zip(reversed(si), reversed(sj)):
                if m != n and 1 not in (m, n):
                    return (f"{what} combines {describe(si)} and {describe(sj)}, which don't fit: "
                            f"counting dimensions from the right, sizes {m} and {n} meet and neither is 1")
    return f"{what} combines tensors whose shapes don't fit together"


def matmul_shape(budget: Budget, a: tuple[int, ...], b: tuple[int, ...], what: str) -> tuple[int, ...]:
    """The shape of ``a @ b`` by torch.matmul's rule, refused before any multiplying."""
    if not a or not b:
        raise OpError(f"{what} needs tensors with at least one dimension on both sides; use * to multiply by a number")
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if inner_a != inner_b:
        raise OpError(f"{what} multiplies {describe(a)} by {describe(b)}: the inner sizes {inner_a} and {inner_b} must match")
    rows, cols = a[:-1][-1:], b[1:] if len(b) == 1 else b[-1:]
    try:
        batch = np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise OpError(f"{what} multiplies {describe(a)} by {describe(b)}, whose leading sizes don't fit together") from None
    shape = budget.make(tuple(batch) + rows + cols, what)
    budget.matmul(math.prod(shape) * inner_a, what)
    return shape


def whole(v: object, what: str) -> int:
    """A whole number typed by the learner (dims, sizes, indices): ints, or floats like 2.0."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise OpError(f"{what} needs a whole number, not {kind(v)}")
    if isinstance(v, float) and not v.is_integer():
        raise OpError(f"{what} needs a whole number, not {v:g}")
    if abs(v) > 2**40:
        raise OpError(f"{what} needs a whole number of a sensible size, not {v:.3g}")
    return int(v)


def one_dim(v: object, ndim: int, name: str, method: str) -> int:
    d = whole(v, f"{method}'s dim")
    n = max(ndim, 1)  # torch lets a 0-d tensor use dim 0 or -1
    if not -n <= d < n:
        raise OpError(f"{name} has {ndim} dimension{'s' * (ndim != 1)}, so {method} can use dims {-n} to {n - 1}, not {d}")
    return d % n


def some_dims(v: object, ndim: int, name: str, method: str) -> int | tuple[int, ...] | None:
    if v is None:
        return None
    if isinstance(v, tuple):
        ds = tuple(one_dim(d, ndim, name, method) for d in v)
        if len(set(ds)) < len(ds):
            raise OpError(f"{method} was given the same dim twice")
        return ds if ndim else None
    return one_dim(v, ndim, name, method) if ndim else None


def flag(v: object, what: str) -> bool:
    if not isinstance(v, bool):
        raise OpError(f"{what} must be True or False")
    return v


# --- methods: fn(budget, name, t, **arguments); name is how the learner wrote the tensor --------------

def t_(budget: Budget, name: str, t: np.ndarray) -> np.ndarray:
    if t.ndim > 2:
        raise OpError(f"{name}.t() transposes at most 2 dimensions, and {name} has {t.ndim}")
    return t.T  # a vector's .t() is itself, as in torch


def unsqueeze(budget: Budget, name: str, t: np.ndarray, dim: object) -> np.ndarray:
    d = one_dim(dim, t.ndim + 1, name, "unsqueeze")
    budget.make(t.shape[:d] + (1,) + t.shape[d:], f"{name}.unsqueeze({d})")
    return np.expand_dims(t, d)


def squeeze(budget: Budget, name: str, t: np.ndarray, dim: object = None) -> np.ndarray:
    if dim is None:
        return np.squeeze(t)
    d = one_dim(dim, t.ndim, name, "squeeze")
    return np.squeeze(t, d) if t.ndim and t.shape[d] == 1 else t  # torch leaves a dim that isn't 1 alone


def reduction(numpy_fn: Callable, method: str, floats: bool) -> Callable:
    def reduce(budget: Budget, name: str, t: np.ndarray, dim: object = None, keepdim: object = False) -> np.ndarray:
        axes = some_dims(dim, t.ndim, name, method)
        keep = flag(keepdim, f"{method}'s keepdim")
        budget.spend(t.size, f"{name}.{method}(…)")
        return np.asarray(numpy_fn(budget.floating(t) if floats else t, axis=axes, keepdims=keep))

    return reduce


def elementwise(fn: Callable) -> Callable:
    def apply(budget: Budget, name: str, t: np.ndarray) -> np.ndarray:
        budget.make(t.shape, name)
        return fn(budget.floating(t))

    return apply


def sigmoid(t: np.ndarray) -> np.ndarray:
    z = np.exp(-np.abs(t))  # never overflows; 1/(1+e^-t) and e^t/(1+e^t) share it
    return np.where(t >= 0, 1 / (1 + z), z / (1 + z))


def float_(budget: Budget, name: str, t: np.ndarray) -> np.ndarray:
    budget.make(t.shape, f"{name}.float()")
    return t.astype(budget.dtype)


def abs_(budget: Budget, name: str, t: np.ndarray) -> np.ndarray:
    budget.make(t.shape, f"{name}.abs()")
    return np.abs(budget.floating(t) if t.dtype == bool else t)


def power(budget: Budget, name: str, t: np.ndarray, exponent: object) -> np.ndarray:
    budget.make(t.shape, f"{name}.pow(…)")
    return np.power(budget.floating(t), float(number(exponent, "pow's exponent")))


def clamp(budget: Budget, name: str, t: np.ndarray, min: object = None, max: object = None) -> np.ndarray:
    if min is None and max is None:
        raise OpError(f"{name}.clamp needs min=, max= or both")
    low, high = (None if v is None else float(number(v, f"clamp's {k}")) for k, v in (("min", min), ("max", max)))
    budget.make(t.shape, f"{name}.clamp(…)")
    t = budget.floating(t)
    if low is not None:
        t = np.maximum(t, low)
    return t if high is None else np.minimum(t, high)  # torch: max wins when min > max


def clamp_min(budget: Budget, name: str, t: np.ndarray, min: object) -> np.ndarray:
    return clamp(budget, name, t, min=min)


def number(v: object, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise OpError(f"{what} must be a number")
    return v


def numel(budget: Budget, name: str, t: np.ndarray) -> int:
    return int(t.size)


def size(budget: Budget, name: str, t: np.ndarray, dim: object = None) -> int | tuple[int, ...]:
    if dim is None:
        return tuple(int(n) for n in t.shape)
    if not t.ndim:
        raise OpError(f"{name} is a single number and has no sizes")
    return int(t.shape[one_dim(dim, t.ndim, name, "size")])


def view(budget: Budget, name: str, t: np.ndarray, shape: tuple[object, ...]) -> np.ndarray:
    if len(shape) == 1 and isinstance(shape[0], tuple):
        shape = shape[0]
    sizes = [whole(s, "view's sizes") for s in shape]
    if len(sizes) > MAX_NDIM:
        raise OpError(f"a view has at most {MAX_NDIM} dimensions")
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise OpError("view's sizes must be whole numbers of at least 0, with at most one -1 to fill in")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or t.size % known:
            raise OpError(f"{name} has {t.size} numbers, which can't be split into rows of {known}")
        sizes[sizes.index(-1)] = t.size // known
    elif known != t.size:
        raise OpError(f"{name} has {t.size} numbers, but {'×'.join(map(str, sizes)) or 'a single number'} holds {known}")
    budget.spend(t.size, f"{name}.view(…)")
    return t.reshape(sizes)


def softmax(budget: Budget, name: str, t: np.ndarray, dim: object = -1) -> np.ndarray:
    budget.make(t.shape, f"softmax of {name}")
    t = budget.floating(t)
    d = one_dim(dim, t.ndim, name, "softmax")
    if not t.ndim or not t.size:
        return np.ones_like(t)  # a single number's softmax is 1; an empty tensor's is empty
    e = np.exp(t - t.max(d, keepdims=True))  # subtracting the max keeps exp from overflowing
    return e / e.sum(d, keepdims=True)


def relu(budget: Budget, name: str, t: np.ndarray) -> np.ndarray:
    budget.make(t.shape, f"relu of {name}")
    return np.maximum(budget.floating(t), 0)


@dataclass(frozen=True)
class Op:
    """One method or function: our implementation, its parameters in torch's order, how many are required."""

    fn: Callable
    params: tuple[str, ...] = ()
    required: int = 0
    variadic: bool = False  # view(2, 3) as well as view((2, 3))

    def usage(self, name: str) -> str:
        return f"{name}({', '.join(self.params)})"


EXP = elementwise(np.exp)
LOG = elementwise(np.log)
SIGMOID = elementwise(sigmoid)
TANH = elementwise(np.tanh)

METHODS: dict[str, Op] = {
    "t": Op(t_),
    "unsqueeze": Op(unsqueeze, ("dim",), 1),
    "squeeze": Op(squeeze, ("dim",)),
    "sum": Op(reduction(np.sum, "sum", floats=False), ("dim", "keepdim")),
    "mean": Op(reduction(np.mean, "mean", floats=True), ("dim", "keepdim")),
    "float": Op(float_),
    "exp": Op(EXP),
    "log": Op(LOG),
    "sigmoid": Op(SIGMOID),
    "tanh": Op(TANH),
    "abs": Op(abs_),
    "pow": Op(power, ("exponent",), 1),
    "clamp": Op(clamp, ("min", "max")),
    "clamp_min": Op(clamp_min, ("min",), 1),
    "numel": Op(numel),
    "size": Op(size, ("dim",)),
    "view": Op(view, ("shape",), 1, variadic=True),
    "reshape": Op(view, ("shape",), 1, variadic=True),
    "softmax": Op(softmax, ("dim",), 1),
}

ATTRIBUTES: dict[str, Callable[[np.ndarray], object]] = {
    "T": lambda t: np.transpose(t),  # torch's .T reverses every dim
    "shape": lambda t: tuple(int(n) for n in t.shape),
}


# --- functions: fn(budget, names, **arguments); names[i] is how the learner wrote argument i -------------

def as_method(method: Callable) -> Callable:
    """``torch.exp(t)`` is ``t.exp()``: the first argument becomes the tensor."""

    def call(budget: Budget, names: list[str], input: object, **rest: object) -> object:
        return method(budget, names[0], budget.tensor(input, names[0]), **rest)

    return call


def where(budget: Budget, names: list[str], condition: object, input: object, other: object) -> np.ndarray:
    if not (isinstance(condition, np.ndarray) and condition.dtype == bool):
        raise OpError(f"torch.where needs a comparison first, like l1 > 0, and {names[0]} is not one")
    a, b = promote(choice(input, names[1]), choice(other, names[2]), budget.dtype)
    if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        a, b = np.asarray(a, budget.dtype), np.asarray(b, budget.dtype)  # torch.where(c, 1, 0.01) is in the default dtype
    shapes = [np.shape(v) for v in (condition, a, b)]
    broadcast(budget, shapes, f"torch.where({', '.join(names)})")
    return np.where(condition, a, b)


def choice(v: object, name: str) -> Operand:
    """One of torch.where's two choices, which must be a tensor or a number."""
    if not isinstance(v, (np.ndarray, int, float)) or isinstance(v, bool):
        raise OpError(f"torch.where needs a tensor or a number for {name}, not {kind(v)}")
    return v


def one_hot(budget: Budget, names: list[str], tensor: object, num_classes: object = -1) -> np.ndarray:
    y = budget.tensor(tensor, names[0])
    if y.dtype.kind not in "iu":
        raise OpError(f"one_hot needs class numbers (whole-number tensors), but {names[0]} holds {y.dtype.name} values")
    n = whole(num_classes, "one_hot's number of classes")
    if n == -1:
        if not y.size:
            raise OpError(f"one_hot can't tell the number of classes from the empty {names[0]}")
        n = int(y.max()) + 1
    if n < 1:
        raise OpError("one_hot needs at least one class")
    if y.size and (y.min() < 0 or y.max() >= n):
        raise OpError(f"{names[0]} has class {int(y.max()) if y.max() >= n else int(y.min())}, but the classes run from 0 to {n - 1}")
    budget.make(y.shape + (n,), f"one_hot({names[0]})")
    return (y[..., None] == np.arange(n)).astype(np.int64)


def bare_one_hot(budget: Budget, names: list[str], tensor: object, num_classes: object = None) -> np.ndarray:
    """The app's listing writes ``one_hot(y)``: as many classes as ``out`` has columns."""
    if num_classes is None:
        num_classes = -1 if budget.classes is None else budget.classes
    return one_hot(budget, names, tensor, num_classes)


TORCH_FUNCTIONS: dict[str, Op] = {
    "where": Op(where, ("condition", "input", "other"), 3),
    "exp": Op(as_method(EXP), ("input",), 1),
    "log": Op(as_method(LOG), ("input",), 1),
    "sigmoid": Op(as_method(SIGMOID), ("input",), 1),
    "tanh": Op(as_method(TANH), ("input",), 1),
    "softmax": Op(as_method(softmax), ("input", "dim"), 2),
    "relu": Op(as_method(relu), ("input",), 1),
}

FUNCTIONS: dict[str, dict[str, Op]] = {
    "torch": TORCH_FUNCTIONS,
    "F": {"one_hot": Op(one_hot, ("tensor", "num_classes"), 1)},
    "": {
        "softmax": Op(as_method(softmax), ("input", "dim"), 1),
        "one_hot": Op(bare_one_hot, ("tensor", "num_classes"), 1),
        **{k: TORCH_FUNCTIONS[k] for k in ("exp", "log", "sigmoid", "tanh", "relu")},
    },
}

# what a keyword's value may be, beyond a tensor or number: the static check uses these
ROLES = {"keepdim": "flag", "min": "option", "max": "option", "exponent": "power"}
