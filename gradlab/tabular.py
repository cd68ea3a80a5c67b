"""Spreadsheet habits: copy and paste as text, one tensor as CSV, a whole scenario as .npz.

Numbers are written in their shortest form that reads back to the same bits
(a float32 0.15 is written ``0.15``), so whatever goes out to LibreOffice Calc,
Excel or Google Sheets comes back exactly.  Text that is wrong raises
``EditError`` and a file that is wrong raises ``ScenarioError``, each with one
sentence saying where and what; nothing is returned half-read.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from gradlab.atomic import write_atomically
from gradlab.errors import EditError, ScenarioError
from gradlab.network import Network
from gradlab.scenario import MAX_BYTES, VERSION, from_dict
from gradlab.text import shortest

FLAVOURS = ("numpy", "torch")


def _rows(a: np.ndarray) -> list[list[str]]:
    texts = shortest(a)
    if texts.ndim > 2:
        raise ValueError(f"only a 1-D or 2-D tensor can be written as a table, not a {texts.ndim}-D one")
    return np.atleast_2d(texts).tolist()


def to_tsv(block: np.ndarray) -> str:
    """Tab-separated text, one line per row and a newline after each, as spreadsheets put on the clipboard."""
    return "".join("\t".join(row) + "\n" for row in _rows(block))


# -- reading pasted text -------------------------------------------------------------------------


def _shown(field: str) -> str:
    flat = field.replace("\n", " ")
    return flat if len(flat) <= 30 else flat[:29] + "…"


def _values(count: int) -> str:
    return f"{count} value" if count == 1 else f"{count} values"


def _split(text: str) -> list[list[str]]:
    """The text's rows of fields: tabs separate if there are any, else semicolons, else commas."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EditError("the text is empty: there are no numbers in it")
    text = text.removesuffix("\n") + "\n"  # one newline may end the last row (LibreOffice, Excel), or none
    separator = "\t" if "\t" in text else ";" if ";" in text else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=True))
    except csv.Error as e:
        raise EditError(f"the text cannot be read as a table: {e}") from None


def _cell_error(field: str, where: str) -> str:
    """Why one field is not a number GradLab takes (``field`` is stripped, with a plain minus)."""
    if not field:
        return f"{where} is empty"
    if "," in field:
        with_point = field.replace(",", ".")
        try:
            float(with_point)
        except ValueError:
            pass
        else:
            return f"{where} is “{_shown(field)}”, which uses a decimal comma; GradLab reads {with_point} with a point"
    try:
        float(field)
    except ValueError:
        return f"{where} is “{_shown(field)}”, not a number"
    return f"{where} is “{_shown(field)}”, not a finite number"


def parse_table(text: str) -> np.ndarray:
    """Pasted or file text as a 2-D float array, or ``EditError`` saying which cell is wrong and why.

    Tab-separated (what every spreadsheet copies) and comma-separated text are read,
    with quoted fields, any line ends, a BOM, surrounding spaces and the minus sign −.
    A decimal comma is refused rather than guessed at."""
    rows = _split(text)
    lengths = np.array([len(row) for row in rows])
    if (lengths == 0).any():
        raise EditError(f"row {int(np.argmax(lengths == 0)) + 1} is empty")
    if (lengths != lengths[0]).any():
        r = int(np.argmax(lengths != lengths[0]))
        raise EditError(f"row {r + 1} has {_values(int(lengths[r]))} but row 1 has {int(lengths[0])}")
    fields = np.char.strip(np.char.replace(np.array(rows, dtype=str), "−", "-"))
    try:
        values = fields.astype(np.float64)
    except ValueError:
        for (r, c), field in np.ndenumerate(fields):  # only to name the first culprit
            try:
                float(field)
            except ValueError:
                raise EditError(_cell_error(str(field), f"row {r + 1}, column {c + 1}")) from None
        raise EditError("the text is not a table of numbers") from None
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise EditError(_cell_error(str(fields[r, c]), f"row {r + 1}, column {c + 1}"))
    return values


# -- source code -----------------------------------------------------------------------------------


def array_literal(name: str, a: np.ndarray, flavour: str) -> str:
    """``a`` as a line of numpy or torch code, ``w1 = np.array([[…], […]])``, that rebuilds it exactly."""
    if flavour not in FLAVOURS:
        raise ValueError(f"the flavour is {flavour!r}; it must be one of {', '.join(FLAVOURS)}")
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} cannot be assigned to in Python")
    a = np.asarray(a)
    texts = shortest(a)
    texts = np.where(texts == "nan", 'float("nan")', np.where(texts == "inf", 'float("inf")', texts))
    texts = np.where(texts == "-inf", '-float("inf")', texts)
    ctor = "np.array" if flavour == "numpy" else "torch.tensor"
    head = f"{name} = {ctor}("
    if a.ndim == 0:
        body = str(texts)
    elif a.ndim == 1:
        body = "[" + ", ".join(texts.tolist()) + "]"
    elif a.ndim == 2:
        rows = ["[" + ", ".join(row) + "]" for row in texts.tolist()]
        body = "[" + (",\n" + " " * (len(head) + 1)).join(rows) + "]"
    else:
        raise ValueError(f"only tensors of up to 2 dimensions can be written as code, not {a.ndim}")
    dtype = ""
    if a.dtype.kind == "f" and (flavour == "torch" or a.dtype != np.float64):
        dtype = f", dtype={'np' if flavour == 'numpy' else 'torch'}.{a.dtype.name}"
    return f"{head}{body}{dtype})"


# -- files -------------------------------------------------------------------------------------------


def _write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """``gradlab.atomic.write_atomically``, with a failure told as one ``ScenarioError`` sentence."""
    try:
        write_atomically(path, write)
    except OSError as e:
        raise ScenarioError(f"{path} cannot be written: {e.strerror or e}") from None


def _check_readable(path: Path) -> None:
    try:
        if path.is_dir():
            raise ScenarioError(f"{path} is a folder, not a file")
        size = path.stat().st_size
    except FileNotFoundError:
        raise ScenarioError(f"{path} does not exist") from None
    except OSError as e:
        raise ScenarioError(f"{path} cannot be read: {e.strerror or e}") from None
    if size > MAX_BYTES:
        raise ScenarioError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB, too large for GradLab")


def write_csv(path: str | os.PathLike, a: np.ndarray) -> None:
    """One tensor as comma-separated lines, one per row (a 1-D tensor is one row); written atomically."""
    path = Path(path)
    text = "".join(",".join(row) + "\n" for row in _rows(a))
    _write_atomically(path, lambda f: f.write(text.encode("utf-8")))


def read_csv(path: str | os.PathLike) -> np.ndarray:
    """A CSV (or tab-separated) file as a 2-D float array, by the rules of ``parse_table``."""
    path = Path(path)
    _check_readable(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path.name} is not a UTF-8 text file") from None
    except OSError as e:
        raise ScenarioError(f"{path} cannot be read: {e.strerror or e}") from None
    if not text.removeprefix("\ufeff").strip():
        raise ScenarioError(f"{path.name} is empty: there are no numbers in it")
    try:
        return parse_table(text)
    except EditError as e:
        raise ScenarioError(f"{path.name}: {e}") from None


def save_npz(net: Network, path: str | os.PathLike) -> None:
    """The whole scenario as .npz: arrays ``x``, ``y``, ``w1``, ``b1``, … and ``meta``, a JSON string."""
    path = Path(path)
    layers = [layer.spec() for layer in net.layers]
    meta = {"gradlab": VERSION, "title": net.title, "notes": net.notes, "layers": layers,
            "loss": net.loss, "reduction": net.reduction, "dtype": net.dtype.name}
    arrays = {"x": net.x, "y": net.y, **net.parameters(), "meta": np.array(json.dumps(meta))}
    _write_atomically(path, lambda f: np.savez_compressed(f, **arrays))


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array in the archive, read without unpickling anything."""
    if not zipfile.is_zipfile(path):
        raise ScenarioError("it is not a .npz file, which is a zip archive of arrays")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if sum(info.file_size for info in archive.zip.infolist()) > MAX_BYTES:
                raise ScenarioError(f"it unpacks to more than {MAX_BYTES // 2**20} MB, too large for GradLab")
            arrays = {}
            for name in archive.files:
                try:
                    arrays[name] = archive[name]
                except ValueError as e:
                    if "pickle" not in str(e):
                        raise
                    raise ScenarioError(f"the array {name} holds Python objects, and GradLab loads only "
                                        "plain numbers, never pickled data that could run code") from None
                if not isinstance(arrays[name], np.ndarray):
                    raise ScenarioError(f"it holds a file {name} that is not an array")
            return arrays
    except ScenarioError:
        raise
    except Exception:  # a damaged archive fails in many ways: zip, zlib, npy header, sizes
        raise ScenarioError("it is damaged: its arrays cannot be read") from None


def _meta(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    if "meta" not in arrays:
        raise ScenarioError("it has no meta array, so it is not a GradLab scenario")
    meta = arrays.pop("meta")
    try:
        if meta.dtype.kind != "U" or meta.size != 1:
            raise ValueError
        data = json.loads(str(meta.item()))
    except (ValueError, RecursionError):
        raise ScenarioError("its meta array must be one JSON text") from None
    if not isinstance(data, dict):
        raise ScenarioError("its meta array must hold a JSON object, {…}")
    return data


def _numbers(arrays: dict[str, np.ndarray], name: str, dims: tuple[int, ...], needed_by: str) -> list:
    """One array as nested lists for ``from_dict``, or ``ScenarioError`` if it is missing or not numbers."""
    if name not in arrays:
        raise ScenarioError(f"the array {name} is missing, but {needed_by} needs it")
    a = arrays.pop(name)
    if a.dtype.kind not in "iuf":
        raise ScenarioError(f"the array {name} holds {a.dtype} values, not real numbers")
    if a.ndim not in dims:
        wanted = " or ".join(f"{d}-D" for d in dims)
        raise ScenarioError(f"the array {name} is {a.ndim}-D, but it must be {wanted}")
    return a.tolist()  # float32 and float64 values become Python floats exactly


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def load_npz(path: str | os.PathLike) -> Network:
    """Read a scenario saved by ``save_npz``; every failure is one ``ScenarioError`` sentence."""
    path = Path(path)
    _check_readable(path)
    try:
        arrays = _read_arrays(path)
        data = _meta(arrays)
        data["x"] = _numbers(arrays, "x", (2,), "every scenario")
        data["y"] = _numbers(arrays, "y", (1, 2), "every scenario")
        if isinstance(data.get("layers"), list):
            specs, k_linear = [], 0
            for spec in data["layers"]:
                if isinstance(spec, dict) and spec.get("type") == "linear":
                    k_linear += 1
                    layer = f"the {_ordinal(k_linear)} linear layer"
                    spec = {**spec, "w": _numbers(arrays, f"w{k_linear}", (2,), layer),
                            "b": _numbers(arrays, f"b{k_linear}", (1,), layer)}
                specs.append(spec)
            data["layers"] = specs
        if arrays:
            raise ScenarioError(f"it holds an array {sorted(arrays)[0]} that no layer uses")
        return from_dict(data)
    except ScenarioError as e:
        raise ScenarioError(f"{path.name}: {e}") from None
