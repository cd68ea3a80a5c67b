"""Scenario files: a network and its data as JSON, version 1.

    {"gradlab": 1, "title": "…", "notes": "…",
     "x": [[0.05, 0.10]], "y": [[0.01, 0.99]],
     "layers": [{"type": "linear", "w": [[0.15, 0.25], [0.20, 0.30]], "b": [0.35, 0.35]},
                {"type": "sigmoid"}, …],
     "loss": "half_sse", "reduction": "mean", "dtype": "float64",
     "frozen": ["b1", "b2"],
     "answers": {"out.g": "(out - y) / out.shape[0]", "w2.g": "l2.t() @ out.g"}}

``frozen`` (optional) names the parameters gradient descent leaves alone.
``answers`` (optional) holds the learner's own backward lines, ``"name.g": "expression"``
(see ``gradlab.grading``); ``answers_from_dict`` reads and checks them.

Loading checks everything before it builds anything, and a file that is wrong
in any way raises ``ScenarioError`` with one sentence naming the field and
what is wrong with it.  The file is read as a regular file of at most
``MAX_JSON_BYTES`` (``gradlab.reading``), parsed strictly (``gradlab.strict_json``:
no duplicate keys, no endless integers, depth and size measured first), and the
network it describes is priced from the sizes its lists declare
(``gradlab.cost``) before any array is built.  Messages show a few characters
of a wrong value, never the value written out again.  Saving writes a
temporary file beside the target and renames it over the target, so a crash
mid-save never leaves half a file, and refuses a scenario too large to read
back as JSON.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from gradlab import strict_json
from gradlab.atomic import write_text_atomically
from gradlab.cost import MAX_LAYERS, estimate, network_cost
from gradlab.errors import ScenarioError
from gradlab.layers import LAYER_KINDS, Layer, Linear, activation
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.network import Network, frozen_names
from gradlab.reading import printable, read_bytes, shown, size_text
from gradlab.strict_json import excerpt
from gradlab.text import exact_values

VERSION = 1
DTYPES = ("float64", "float32")
FIELDS = ("gradlab", "title", "notes", "x", "y", "layers", "loss", "reduction", "dtype", "frozen", "answers")
MAX_ANSWERS = 100  # backward lines: a network with 30 layers has fewer
MAX_ANSWER_LENGTH = 2_000  # characters of one line's right side, as the expression evaluator allows
_GRADIENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\.g")
MAX_JSON_BYTES = 64 * 2**20  # 5·10⁶ numbers (gradlab.cost.MAX_INPUTS) written in full take about this much


_INT_LIMIT = 10**strict_json.MAX_INT_DIGITS


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where} is {excerpt(value)}, not a number")
    if isinstance(value, int) and not -_INT_LIMIT < value < _INT_LIMIT:
        raise ScenarioError(f"{where} is {strict_json.long_integer(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ScenarioError(f"{where} is {excerpt(value)}, but every value must be a finite number")
    return number


def _plain(row: list) -> bool:
    """Whether every entry is a plain number (bool is an int to Python, but not a number here), and
    every whole number short enough to be one (as ``strict_json`` reads them)."""
    return all(type(v) is float or (type(v) is int and -_INT_LIMIT < v < _INT_LIMIT) for v in row)


def _count(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


def _vector(value: Any, where: str, length: int | None = None) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return _array(value, where, 1, length)
    if not isinstance(value, list) or not value:
        raise ScenarioError(f"{where} must be a non-empty list of numbers")
    if length is not None and len(value) != length:
        raise ScenarioError(f"{where} has {_count(len(value))} where {length} {'are' if length != 1 else 'is'} expected")
    if _plain(value):  # the usual case, checked fast
        with np.errstate(over="ignore"):
            try:
                numbers = np.array(value, dtype=float)
            except OverflowError:
                numbers = None
        if numbers is not None and np.isfinite(numbers).all():
            return numbers
    return np.array([_number(v, f"{where}[{i}]") for i, v in enumerate(value)])  # finds the culprit


def _matrix(value: Any, where: str, columns: int | None = None) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return _array(value, where, 2, columns)
    if not isinstance(value, list) or not value or not isinstance(value[0], list):
        raise ScenarioError(f"{where} must be a non-empty list of rows, each a list of numbers")
    columns = len(value[0]) if columns is None else columns
    for r, row in enumerate(value):
        if not isinstance(row, list) or not row or len(row) != columns or not _plain(row):
            _vector(row, f"{where}[{r}]", columns)  # says what is wrong with the row
    with np.errstate(over="ignore"):
        try:
            numbers = np.array(value, dtype=float)
        except OverflowError:  # an integer beyond any float: the row by row reading names it
            numbers = np.stack([_vector(row, f"{where}[{r}]", columns) for r, row in enumerate(value)])
    _finite(numbers, where, value)
    return numbers


def _finite(numbers: np.ndarray, where: str, source: Any) -> None:
    bad = ~np.isfinite(numbers)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        value = source[at[0]][at[1]] if isinstance(source, list) else numbers[at].item()
        raise ScenarioError(f"{where}{''.join(f'[{i}]' for i in at)} is {excerpt(value)}, "
                            "but every value must be a finite number")


def _array(value: np.ndarray, where: str, ndim: int, length: int | None) -> np.ndarray:
    """An array handed in whole (from an .npz archive): real numbers of the right shape, all finite."""
    if value.dtype.kind not in "iuf" or value.dtype.itemsize > 8:
        raise ScenarioError(f"{where} holds {value.dtype} values; GradLab reads float64, float32 and whole numbers")
    if value.ndim != ndim or value.size == 0:
        raise ScenarioError(f"{where} must be a non-empty {ndim}-D array, not a {value.ndim}-D one of shape {value.shape}")
    if length is not None and value.shape[-1] != length:
        raise ScenarioError(f"{where} has {value.shape[-1]} {'columns' if ndim == 2 else 'values'} where {length} "
                            f"{'are' if length != 1 else 'is'} expected")
    numbers = value.astype(float)
    _finite(numbers, where, numbers)
    return numbers


def _choice(data: dict, field: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(field, default)
    if value not in choices:
        raise ScenarioError(f"{field} is {excerpt(value)}; it must be one of {', '.join(choices)}")
    return value


def _text(data: dict, field: str) -> str:
    """Title or notes: text that any file can hold (a lone surrogate, half a character, cannot be saved)."""
    value = data.get(field, "")
    if not isinstance(value, str):
        raise ScenarioError(f"{field} must be text, not {excerpt(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ScenarioError(f"{field} has a lone surrogate, {printable(value[e.start])}, at character {e.start + 1}: "
                            "half of a character, which no file can hold") from None
    return value


def _declared(value: Any) -> tuple[int, ...] | None:
    """The shape a matrix or vector says it has, read without building it (None if it is not one)."""
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, list) and value and isinstance(value[0], list):
        return len(value), len(value[0])
    return None


def _check_cost(data: dict) -> None:
    """Refuse a network too large to run, from the sizes its lists declare, before any array is built."""
    layers = data["layers"]
    if isinstance(layers, list) and len(layers) > MAX_LAYERS:
        raise ScenarioError(f"the network has {len(layers):,} layers; GradLab works up to {MAX_LAYERS}")
    x = _declared(data["x"])
    if x is None or len(x) != 2 or not isinstance(layers, list):
        return  # malformed: building it says how
    plan: list[int | str] = []
    for spec in layers:
        kind = spec.get("type") if isinstance(spec, dict) else None
        w = _declared(spec.get("w")) if kind == "linear" else None
        if kind == "linear" and w is not None and len(w) == 2:
            plan.append(w[1])
        elif isinstance(kind, str) and kind != "linear":
            plan.append(kind)
        else:
            return
    loss = data.get("loss", "mse")
    problem = estimate(x[0], x[1], plan, loss if isinstance(loss, str) else "mse").problem()
    if problem:
        raise ScenarioError(problem)


def from_dict(data: Any) -> Network:
    """Build a network from a parsed scenario, or raise ``ScenarioError`` before building anything.

    The arrays ``x``, ``y`` and each layer's ``w`` and ``b`` are lists of numbers (from JSON) or
    numpy arrays (from an .npz archive)."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a JSON object, {…}, at the top level")
    if "gradlab" not in data:
        raise ScenarioError('this is not a GradLab scenario: the "gradlab" version field is missing')
    version = data["gradlab"]
    if type(version) is not int:  # true and 1.0 are equal to 1 in Python, but they are not a version
        raise ScenarioError(f'the "gradlab" version is {excerpt(version)}, but it must be the whole number {VERSION}')
    if version != VERSION:
        raise ScenarioError(f"scenario version {excerpt(version)} is not supported; this GradLab reads version {VERSION}")
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise ScenarioError(f"unknown field {excerpt(unknown[0])}; the fields are {', '.join(FIELDS)}")
    title, notes = _text(data, "title"), _text(data, "notes")
    answers_from_dict(data)
    dtype = _choice(data, "dtype", DTYPES, "float64")
    loss = _choice(data, "loss", LOSSES, "mse")
    reduction = _choice(data, "reduction", REDUCTIONS, "mean")
    for field in ("x", "y", "layers"):
        if field not in data:
            raise ScenarioError(f"the field {field} is missing")
    _check_cost(data)

    x = _matrix(data["x"], "x")
    layers = _layers(data["layers"], x.shape[1])
    n_out = next(layer.w.shape[1] for layer in reversed(layers) if isinstance(layer, Linear))
    y = _targets(data["y"], loss, x.shape[0], n_out)
    net = Network(x, y, layers, loss, reduction, title, notes)
    net.frozen = _frozen(data.get("frozen", []), net)
    if problem := network_cost(net).problem():  # the sizes as built, should any list have hidden them
        raise ScenarioError(problem)
    limit = np.finfo(dtype).max
    for name, a in {"x": x, "y": y, **net.parameters()}.items():
        if a.dtype.kind == "f" and (np.abs(a) > limit).any():
            at = ",".join(map(str, np.argwhere(np.abs(a) > limit)[0]))
            raise ScenarioError(f"{name}[{at}] is {a[np.abs(a) > limit][0]:g}, too large for {dtype}")
    return net.astype(dtype)


def _layers(value: Any, n_in: int) -> list[Layer]:
    if not isinstance(value, list) or not value:
        raise ScenarioError("layers must be a non-empty list")
    layers: list[Layer] = []
    width, k_linear = n_in, 0
    for k, spec in enumerate(value, start=1):
        if not isinstance(spec, dict):
            raise ScenarioError(f"layer {k} must be an object such as {{\"type\": \"relu\"}}")
        kind = spec.get("type")
        if kind not in LAYER_KINDS:
            raise ScenarioError(f"layer {k} has unknown type {excerpt(kind)}; the supported types are {', '.join(LAYER_KINDS)}")
        allowed = {"linear": {"type", "w", "b"}, "leaky_relu": {"type", "slope"}}.get(kind, {"type"})
        extra = sorted(set(spec) - allowed)
        if extra:
            raise ScenarioError(f"layer {k} ({kind}) has a field {excerpt(extra[0])} it does not use")
        if kind != "linear":
            slope = _number(spec.get("slope", 0.01), f"layer {k}'s slope")
            layers.append(activation(kind, slope))
            continue
        k_linear += 1
        w_name, b_name = f"w{k_linear}", f"b{k_linear}"
        if "w" not in spec or "b" not in spec:
            raise ScenarioError(f"layer {k} is linear and needs both w and b")
        w = _matrix(spec["w"], w_name)
        if w.shape[0] != width:
            raise ScenarioError(f"{w_name} is {w.shape[0]}×{w.shape[1]} but its input has {width} columns, so it needs {width} rows")
        b = _vector(spec["b"], b_name)
        if len(b) != w.shape[1]:
            raise ScenarioError(f"{b_name} has {_count(len(b))} but {w_name} has {w.shape[1]} columns; a bias needs one per column")
        layers.append(Linear(w, b))
        width = w.shape[1]
    if k_linear == 0:
        raise ScenarioError("layers needs at least one linear layer: without one there is nothing to learn")
    return layers


def _classes(value: Any, batch: int, n_out: int) -> np.ndarray:
    """Cross-entropy targets: one whole-number class index per row, each from 0 to n_out - 1."""
    if n_out < 2:
        raise ScenarioError(f"cross_entropy needs at least 2 outputs to choose between, and the network has {n_out}")
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ScenarioError(f"y must hold one class index per row, not a {value.ndim}-D array")
        if value.dtype.kind not in "iu":
            raise ScenarioError(f"y holds {value.dtype} values, but cross_entropy needs whole-number class indices")
        if len(value) == batch and ((value >= 0) & (value < n_out)).all():
            return value.astype(np.intp)
        entries = value.tolist()  # to name the culprit
    elif isinstance(value, list):
        entries = value
    else:
        raise ScenarioError("y must be a list")
    if len(entries) != batch:
        raise ScenarioError(f"y has {len(entries)} rows where x has {batch}")
    if not all(type(v) is int and 0 <= v < n_out for v in entries):
        for b, v in enumerate(entries):  # only to name the first culprit
            if type(v) is not int:
                raise ScenarioError(f"y[{b}] is {excerpt(v)}, but cross_entropy needs a whole-number class index")
            if not 0 <= v < n_out:
                raise ScenarioError(f"y[{b}] is class {excerpt(v)}, but the network has {n_out} outputs "
                                    f"(classes 0 to {n_out - 1})")
    return np.array(entries, dtype=np.intp)


def _targets(value: Any, loss: str, batch: int, n_out: int) -> np.ndarray:
    if loss == "cross_entropy":
        return _classes(value, batch, n_out)
    if not isinstance(value, (list, np.ndarray)):
        raise ScenarioError("y must be a list")
    if len(value) != batch:
        raise ScenarioError(f"y has {len(value)} rows where x has {batch}")
    flat = value.ndim == 1 if isinstance(value, np.ndarray) else bool(value) and not isinstance(value[0], list)
    if n_out == 1 and flat:
        return _vector(value, "y", batch)[:, None]
    return _matrix(value, "y", n_out)


class Scenario(NamedTuple):
    """What a scenario file holds: the network, and the learner's own backward lines (``{}`` when none)."""

    net: Network
    answers: dict[str, str]


def scenario_from_dict(data: Any) -> Scenario:
    """The network and the answers of a parsed scenario, both checked before either is used."""
    return Scenario(from_dict(data), answers_from_dict(data))


def loads(text: str | bytes) -> Network:
    """A network from the text of a scenario file; ``ScenarioError`` with one sentence if it is wrong."""
    return from_dict(strict_json.loads(text, "the file"))


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario file, answers and all; every failure is a ``ScenarioError`` with one sentence that
    names the file."""
    path = Path(path)
    data = read_bytes(path, MAX_JSON_BYTES, "scenarios")
    try:
        return scenario_from_dict(strict_json.loads(data, "the file"))
    except ScenarioError as e:
        raise ScenarioError(f"{shown(path.name)}: {e}") from None


def load(path: str | os.PathLike) -> Network:
    """Read a scenario file's network; every failure is a ``ScenarioError`` with one sentence that names the file."""
    return load_scenario(path).net


def _numbers(a: np.ndarray) -> list:
    """Plain Python numbers, float32 written in its shortest form (0.15, not 0.15000000596046448)."""
    return exact_values(a)


def json_items(net: Network) -> int:
    """How many numbers and lists the network's JSON holds (``strict_json`` counts the same when reading)."""
    arrays = [net.x, net.y, *net.parameters().values()]
    return sum(a.size + (a.shape[0] if a.ndim == 2 else 0) + 1 for a in arrays) + 2 * len(net.layers) + 2


def _frozen(value: Any, net: Network) -> frozenset[str]:
    """The optional list of frozen parameters: names of the network's own, each once."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ScenarioError('frozen must be a list of parameter names, such as ["b1", "b2"]')
    seen: set[str] = set()
    for name in value:
        if name in seen:
            raise ScenarioError(f"frozen names {excerpt(name)} twice")
        seen.add(name)
    try:
        return frozen_names(net, value)
    except ValueError as e:
        raise ScenarioError(f"frozen: {e}") from None


def answers_from_dict(data: Any) -> dict[str, str]:
    """The learner's backward lines, ``{"w1.g": "x.t() @ l1.g", …}``, from a parsed scenario ({} when it has none).

    Only their form is checked here (gradient names as keys, text as values, bounded in number and
    length); whether each line is right is for ``gradlab.grading`` to say."""
    answers = data.get("answers", {}) if isinstance(data, dict) else {}
    if not isinstance(answers, dict):
        raise ScenarioError('answers must be an object of backward lines, such as {"w1.g": "x.t() @ l1.g"}')
    if len(answers) > MAX_ANSWERS:
        raise ScenarioError(f"answers has {len(answers)} lines, more than the {MAX_ANSWERS} GradLab grades")
    for key, text in answers.items():
        if not _GRADIENT.fullmatch(key):
            raise ScenarioError(f"answers has the key {excerpt(key)}, but each key names a gradient, such as \"w1.g\"")
        if not isinstance(text, str):
            raise ScenarioError(f"answers[{excerpt(key)}] is {excerpt(text)}, but it must be text: the right side of {key} = …")
        if len(text) > MAX_ANSWER_LENGTH:
            raise ScenarioError(f"answers[{excerpt(key)}] is {len(text):,} characters long; the most is {MAX_ANSWER_LENGTH:,}")
    return dict(answers)


def to_dict(net: Network, answers: dict[str, str] | None = None) -> dict:
    """The scenario as plain data for JSON; ``answers`` (checked by ``answers_from_dict``) are written when there
    are any.  ``ScenarioError`` if it is more than GradLab reads back as JSON."""
    if (items := json_items(net)) > strict_json.MAX_ITEMS:
        raise ScenarioError(f"as JSON this scenario would hold {items:,} numbers and lists, more than the "
                            f"{strict_json.MAX_ITEMS:,} GradLab reads back; save it as .npz instead")
    layers = []
    for layer in net.layers:
        spec: dict[str, Any] = layer.spec()
        if isinstance(layer, Linear):
            spec["w"], spec["b"] = _numbers(layer.w), _numbers(layer.b)
        layers.append(spec)
    y = net.y if net.loss == "cross_entropy" or net.y.shape[1] > 1 else net.y[:, 0]
    data = {
        "gradlab": VERSION, "title": net.title, "notes": net.notes,
        "x": _numbers(net.x), "y": _numbers(y), "layers": layers,
        "loss": net.loss, "reduction": net.reduction, "dtype": net.dtype.name,
        **frozen_field(net),
    }
    if answers:
        data["answers"] = answers_from_dict({"answers": answers})
    return data


def frozen_field(net: Network) -> dict[str, list[str]]:
    """``{"frozen": [...]}`` in layer order, or nothing when no parameter is frozen (as older files have it)."""
    frozen = [name for name in net.parameters() if name in net.frozen]
    return {"frozen": frozen} if frozen else {}


def dumps(net: Network, answers: dict[str, str] | None = None) -> str:
    """JSON laid out for reading: one field a line, one matrix row a line."""

    def value(v: Any, pad: str) -> str:
        if isinstance(v, list) and v and isinstance(v[0], list):
            rows = f",\n{pad} ".join(json.dumps(row) for row in v)
            return f"[{rows}]"
        if isinstance(v, list) and v and isinstance(v[0], dict):
            items = f",\n{pad} ".join(
                "{" + ", ".join(f"{json.dumps(k)}: {value(x, pad + '  ')}" for k, x in item.items()) + "}" for item in v
            )
            return f"[{items}]"
        if isinstance(v, dict) and v:  # the answers: one line each
            lines = f",\n{pad} ".join(f"{json.dumps(k)}: {json.dumps(x, ensure_ascii=False)}" for k, x in v.items())
            return "{" + lines + "}"
        return json.dumps(v, ensure_ascii=False)

    fields = ",\n".join(f" {json.dumps(k)}: {value(v, '  ')}" for k, v in to_dict(net, answers).items())
    return "{\n" + fields + "\n}\n"


def save(net: Network, path: str | os.PathLike, answers: dict[str, str] | None = None) -> None:
    """Write atomically: a temporary file in the same folder, then a rename over the target.

    A scenario too large to read back as JSON is refused with ``ScenarioError`` before anything is written."""
    text = dumps(net, answers)
    if (size := len(text.encode("utf-8"))) > MAX_JSON_BYTES:
        raise ScenarioError(f"as JSON this scenario would be {size_text(size)}, more than the {size_text(MAX_JSON_BYTES)} "
                            "GradLab reads back; save it as .npz instead")
    write_text_atomically(path, text)
