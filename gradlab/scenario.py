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
what is wrong with it.  Saving writes a temporary file beside the target and
renames it over the target, so a crash mid-save never leaves half a file.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.atomic import write_text_atomically
from gradlab.errors import ScenarioError
from gradlab.layers import LAYER_KINDS, Layer, Linear, activation
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.network import Network, frozen_names
from gradlab.text import exact_values

VERSION = 1
DTYPES = ("float64", "float32")
FIELDS = ("gradlab", "title", "notes", "x", "y", "layers", "loss", "reduction", "dtype", "frozen", "answers")
MAX_BYTES = 256 * 2**20  # far above any network a person edits by hand
MAX_CELLS = 20_000_000
MAX_ANSWERS = 100  # backward lines: a network with 30 layers has fewer
MAX_ANSWER_LENGTH = 2_000  # characters of one line's right side, as the expression evaluator allows
_GRADIENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\.g")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where} is {json.dumps(value)[:40]}, not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ScenarioError(f"{where} is {str(value)[:40]}, but every value must be a finite number")
    return number


def _vector(value: Any, where: str, length: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise ScenarioError(f"{where} must be a non-empty list of numbers")
    if length is not None and len(value) != length:
        raise ScenarioError(f"{where} has {_count(len(value))} where {length} {'are' if length != 1 else 'is'} expected")
    if all(type(v) is float or type(v) is int for v in value):  # the usual case, checked fast
        with np.errstate(over="ignore"):
            try:
                numbers = np.array(value, dtype=float)
            except OverflowError:
                numbers = None
        if numbers is not None and np.isfinite(numbers).all():
            return numbers
    return np.array([_number(v, f"{where}[{i}]") for i, v in enumerate(value)])  # finds the culprit


def _count(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


def _matrix(value: Any, where: str, columns: int | None = None) -> np.ndarray:
    if not isinstance(value, list) or not value or not isinstance(value[0], list):
        raise ScenarioError(f"{where} must be a non-empty list of rows, each a list of numbers")
    columns = len(value[0]) if columns is None else columns
    if len(value) * columns > MAX_CELLS:
        raise ScenarioError(f"{where} has {len(value) * columns:,} numbers, more than the {MAX_CELLS:,} GradLab can hold")
    return np.stack([_vector(row, f"{where}[{r}]", columns) for r, row in enumerate(value)])


def _choice(data: dict, field: str, choices: tuple[str, ...], default: str) -> str:
    value = data.get(field, default)
    if value not in choices:
        raise ScenarioError(f"{field} is {json.dumps(value)[:40]}; it must be one of {', '.join(choices)}")
    return value


def from_dict(data: Any) -> Network:
    """Build a network from a parsed scenario, or raise ``ScenarioError`` before building anything."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a JSON object, {…}, at the top level")
    if "gradlab" not in data:
        raise ScenarioError('this is not a GradLab scenario: the "gradlab" version field is missing')
    if data["gradlab"] != VERSION:
        raise ScenarioError(f"scenario version {json.dumps(data['gradlab'])[:20]} is not supported; this GradLab reads version {VERSION}")
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise ScenarioError(f"unknown field {json.dumps(unknown[0])[:40]}; the fields are {', '.join(FIELDS)}")
    for field in ("title", "notes"):
        if not isinstance(data.get(field, ""), str):
            raise ScenarioError(f"{field} must be text")
    answers_from_dict(data)
    dtype = _choice(data, "dtype", DTYPES, "float64")
    loss = _choice(data, "loss", LOSSES, "mse")
    reduction = _choice(data, "reduction", REDUCTIONS, "mean")
    for field in ("x", "y", "layers"):
        if field not in data:
            raise ScenarioError(f"the field {field} is missing")

    x = _matrix(data["x"], "x")
    layers = _layers(data["layers"], x.shape[1])
    n_out = next(layer.w.shape[1] for layer in reversed(layers) if isinstance(layer, Linear))
    y = _targets(data["y"], loss, x.shape[0], n_out)
    cells = x.size + y.size + sum(layer.w.size + layer.b.size for layer in layers if isinstance(layer, Linear))
    if cells > MAX_CELLS:
        raise ScenarioError(f"the scenario has {cells:,} numbers, more than the {MAX_CELLS:,} GradLab can hold")
    net = Network(x, y, layers, loss, reduction, data.get("title", ""), data.get("notes", ""))
    net.frozen = _frozen(data.get("frozen", []), net)
    limit = np.finfo(dtype).max
    for name, a in {"x": x, "y": y, **net.parameters()}.items():
        if a.dtype.kind == "f" and (np.abs(a) > limit).any():
            at = ",".join(map(str, np.argwhere(np.abs(a) > limit)[0]))
            raise ScenarioError(f"{name}[{at}] is {a[np.abs(a) > limit][0]:g}, too large for {dtype}")
    return net.astype(dtype)


def _layers(value: Any, n_in: int) -> list[Layer]:
    if not isinstance(value, list) or not value:
        raise ScenarioError("layers must be a non-empty list")
    layers, width, k_linear = [], n_in, 0
    for k, spec in enumerate(value, start=1):
        if not isinstance(spec, dict):
            raise ScenarioError(f"layer {k} must be an object such as {{\"type\": \"relu\"}}")
        kind = spec.get("type")
        if kind not in LAYER_KINDS:
            raise ScenarioError(f"layer {k} has unknown type {json.dumps(kind)[:40]}; the supported types are {', '.join(LAYER_KINDS)}")
        allowed = {"linear": {"type", "w", "b"}, "leaky_relu": {"type", "slope"}}.get(kind, {"type"})
        extra = sorted(set(spec) - allowed)
        if extra:
            raise ScenarioError(f"layer {k} ({kind}) has a field {json.dumps(extra[0])} it does not use")
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


def _frozen(value: Any, net: Network) -> frozenset[str]:
    """The optional list of frozen parameters: names of the network's own, each once."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ScenarioError('frozen must be a list of parameter names, such as ["b1", "b2"]')
    seen: set[str] = set()
    for name in value:
        if name in seen:
            raise ScenarioError(f"frozen names {json.dumps(name)[:40]} twice")
        seen.add(name)
    try:
        return frozen_names(net, value)
    except ValueError as e:
        raise ScenarioError(f"frozen: {e}") from None


def _targets(value: Any, loss: str, batch: int, n_out: int) -> np.ndarray:
    if not isinstance(value, list):
        raise ScenarioError("y must be a list")
    if len(value) != batch:
        raise ScenarioError(f"y has {len(value)} rows where x has {batch}")
    if loss == "cross_entropy":
        if n_out < 2:
            raise ScenarioError(f"cross_entropy needs at least 2 outputs to choose between, and the network has {n_out}")
        for b, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, int):
                raise ScenarioError(f"y[{b}] is {json.dumps(v)[:40]}, but cross_entropy needs a whole-number class index")
            if not 0 <= v < n_out:
                raise ScenarioError(f"y[{b}] is class {v}, but the network has {n_out} outputs (classes 0 to {n_out - 1})")
        return np.array(value, dtype=np.intp)
    if n_out == 1 and value and not isinstance(value[0], list):
        return _vector(value, "y", batch)[:, None]
    return _matrix(value, "y", n_out)


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
            raise ScenarioError(f"answers has the key {json.dumps(key)[:40]}, but each key names a gradient, such as \"w1.g\"")
        if not isinstance(text, str):
            raise ScenarioError(f"answers[{json.dumps(key)}] is {json.dumps(text)[:40]}, but it must be text: the right side of {key} = …")
        if len(text) > MAX_ANSWER_LENGTH:
            raise ScenarioError(f"answers[{json.dumps(key)}] is {len(text):,} characters long; the most is {MAX_ANSWER_LENGTH:,}")
    return dict(answers)


def loads(text: str) -> Network:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioError(f"the file is not valid JSON: {e.msg.lower()} at line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise ScenarioError("the file is nested too deeply to be a scenario") from None
    return from_dict(data)


def load(path: str | os.PathLike) -> Network:
    """Read a scenario file; every failure is a ``ScenarioError`` with one sentence that names the file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB, too large to be a scenario")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path} is a folder, not a scenario file") from None
    except PermissionError:
        raise ScenarioError(f"{path} cannot be read: permission denied") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path.name} is not a text file") from None
    except OSError as e:
        raise ScenarioError(f"{path} cannot be read: {e.strerror or e}") from None
    try:
        return loads(text)
    except ScenarioError as e:
        raise ScenarioError(f"{path.name}: {e}") from None


def _numbers(a: np.ndarray) -> list:
    """Plain Python numbers, float32 written in its shortest form (0.15, not 0.15000000596046448)."""
    return exact_values(a)


def to_dict(net: Network, answers: dict[str, str] | None = None) -> dict:
    """The scenario as plain data; ``answers`` (checked by ``answers_from_dict``) are written when there are any."""
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
        **_frozen_field(net),
    }
    if answers:
        data["answers"] = answers_from_dict({"answers": answers})
    return data


def _frozen_field(net: Network) -> dict[str, list[str]]:
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
    """Write atomically: a temporary file in the same folder, then a rename over the target."""
    write_text_atomically(path, dumps(net, answers))
