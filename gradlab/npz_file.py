"""A whole scenario as a NumPy ``.npz`` archive: arrays ``x``, ``y``, ``w1``, ``b1``, … and ``meta``, a JSON text.

An ``.npz`` is a zip archive of ``.npy`` files, and a zip archive is easy to
make hostile: a 235 KB archive can unpack to gigabytes, list a million files,
or hold an array whose header claims 10¹² numbers.  So before any array is
read, the archive's own directory is asked how many files it lists and how
large they are once unpacked, and each array's header is asked its type and
shape, which must match its size in the directory.  Only then are the numbers
read, straight into arrays, and nothing is ever unpickled.  Every failure is
one ``ScenarioError`` sentence naming the file.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from gradlab import strict_json
from gradlab.atomic import write_atomically
from gradlab.cost import MAX_INPUTS, MAX_LAYERS
from gradlab.errors import ScenarioError
from gradlab.network import Network
from gradlab.reading import open_regular, printable, shown, size_text
from gradlab.scenario import VERSION, Scenario, answers_from_dict, frozen_field, scenario_from_dict

MAX_NPZ_BYTES = 64 * 2**20  # the archive itself; its arrays unpacked are held to MAX_UNPACKED
MAX_META_BYTES = 2**20 * 4  # the meta array: a JSON text of up to a million characters (4 bytes each)
MAX_UNPACKED = MAX_INPUTS * 8 + MAX_META_BYTES  # every number of a scenario in float64, and its meta
MAX_MEMBERS = 2 * MAX_LAYERS + 3  # x, y, meta, and a w and a b per layer at most
_DIRECTORY_BYTES = 2**20  # far more than MAX_MEMBERS entries take
_END = b"PK\x05\x06"  # the zip's end-of-directory record (APPNOTE 4.3.16), and its zip64 locator and record
_END64_LOCATOR, _END64 = b"PK\x06\x07", b"PK\x06\x06"


def save_npz(net: Network, path: str | os.PathLike, answers: dict[str, str] | None = None) -> None:
    """The whole scenario as .npz: arrays ``x``, ``y``, ``w1``, ``b1``, … and ``meta``, a JSON string with
    everything else (the layers, the loss, which parameters are frozen, the learner's answers)."""
    path = Path(path)
    layers = [layer.spec() for layer in net.layers]
    meta = {"gradlab": VERSION, "title": net.title, "notes": net.notes, "layers": layers,
            "loss": net.loss, "reduction": net.reduction, "dtype": net.dtype.name, **frozen_field(net)}
    if answers:
        meta["answers"] = answers_from_dict({"answers": answers})
    arrays: dict[str, Any] = {"x": net.x, "y": net.y, **net.parameters(), "meta": np.array(json.dumps(meta))}
    if (unpacked := sum(a.nbytes for a in arrays.values())) > MAX_UNPACKED:
        raise ScenarioError(f"this scenario would unpack to {size_text(unpacked)}, more than the "
                            f"{size_text(MAX_UNPACKED)} GradLab reads back from an .npz")
    try:
        write_atomically(path, lambda f: np.savez_compressed(f, **arrays))
    except OSError as e:
        raise ScenarioError(f"{shown(path)} cannot be written: {e.strerror or e}") from None


def _directory_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """How many files the archive lists and how many bytes its directory takes, read from its last
    record without reading the directory itself (which ``zipfile`` would turn into an object a file)."""
    tail_length = min(size, 22 + 0xFFFF)  # the record, and a comment of up to 64 KB after it
    f.seek(size - tail_length)
    tail = f.read(tail_length)
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        raise ScenarioError("it is not a .npz file, which is a zip archive of arrays")
    entries, directory = struct.unpack("<HI", tail[at + 10: at + 16])
    if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the true counts are in a record of their own
        locator = tail[at - 20: at] if at >= 20 else b""
        if locator[:4] != _END64_LOCATOR:
            raise ScenarioError("it is damaged: its list of arrays cannot be read")
        f.seek(struct.unpack("<Q", locator[8:16])[0])
        record = f.read(56)
        if len(record) < 56 or record[:4] != _END64:
            raise ScenarioError("it is damaged: its list of arrays cannot be read")
        entries, directory = struct.unpack("<QQ", record[32:48])
    return entries, directory


def _header(stream: IO[bytes], name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """An ``.npy`` member's shape, order and type, from its header alone."""
    version = np.lib.format.read_magic(stream)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(stream)
    if dtype.hasobject:
        raise ScenarioError(f"the array {name} holds Python objects, and GradLab loads only plain numbers, "
                            "never pickled data that could run code")
    wanted = "U" if name == "meta" else "iuf"
    if dtype.kind not in wanted or dtype.itemsize > 8 and name != "meta" or dtype.fields is not None:
        if name == "meta":
            raise ScenarioError("its meta array must be one JSON text")
        raise ScenarioError(f"the array {name} holds {printable(str(dtype))} values; GradLab reads float64, "
                            "float32 and whole numbers")
    return shape, fortran, dtype


def _read_arrays(archive: zipfile.ZipFile) -> dict[str, np.ndarray]:
    """Every array in the archive, each checked by its header and its listed size before it is read."""
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED:
        raise ScenarioError(f"it unpacks to {size_text(unpacked)}; GradLab reads .npz scenarios of up to "
                            f"{size_text(MAX_UNPACKED)} unpacked")
    arrays: dict[str, np.ndarray] = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ScenarioError(f"it holds a file {printable(info.filename)} that is not an array")
        name = info.filename.removesuffix(".npy")
        if name in arrays:
            raise ScenarioError(f"it holds two arrays named {printable(name)}")
        with archive.open(info) as stream:
            shape, fortran, dtype = _header(stream, name)
            size = math.prod(shape) * dtype.itemsize
            if stream.tell() + size != info.file_size:  # the header and the directory must agree
                raise ScenarioError(f"it is damaged: the array {printable(name)} is not the size its header says")
            if name == "meta" and size > MAX_META_BYTES:
                raise ScenarioError(f"its meta array is {size_text(size)}; GradLab reads up to {size_text(MAX_META_BYTES)}")
            data = stream.read(size)
        if len(data) != size:
            raise ScenarioError(f"it is damaged: the array {printable(name)} is cut short")
        arrays[name] = np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")
    return arrays


def _open_archive(f: BinaryIO, size: int) -> zipfile.ZipFile:
    entries, directory = _directory_size(f, size)
    if entries > MAX_MEMBERS or directory > _DIRECTORY_BYTES:
        raise ScenarioError(f"it lists {entries:,} files; a scenario has at most {MAX_MEMBERS} arrays")
    f.seek(0)
    try:
        return zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ScenarioError("it is not a .npz file, which is a zip archive of arrays") from None


def _meta(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    if "meta" not in arrays:
        raise ScenarioError("it has no meta array, so it is not a GradLab scenario")
    meta = arrays.pop("meta")
    if meta.size != 1:
        raise ScenarioError("its meta array must be one JSON text")
    data = strict_json.loads(str(meta.item()), "its meta array")
    if not isinstance(data, dict):
        raise ScenarioError("its meta array must hold a JSON object, {…}")
    return data


def _take(arrays: dict[str, np.ndarray], name: str, dims: tuple[int, ...], needed_by: str) -> np.ndarray:
    """One array for ``from_dict``, or ``ScenarioError`` if it is missing or has the wrong number of dimensions."""
    if name not in arrays:
        raise ScenarioError(f"the array {name} is missing, but {needed_by} needs it")
    a = arrays.pop(name)
    if a.ndim not in dims:
        wanted = " or ".join(f"{d}-D" for d in dims)
        raise ScenarioError(f"the array {name} is {a.ndim}-D, but it must be {wanted}")
    return a


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def _scenario(arrays: dict[str, np.ndarray]) -> Scenario:
    data = _meta(arrays)
    data["x"] = _take(arrays, "x", (2,), "every scenario")
    data["y"] = _take(arrays, "y", (1, 2), "every scenario")
    if isinstance(data.get("layers"), list) and len(data["layers"]) <= MAX_LAYERS:
        specs, k_linear = [], 0
        for spec in data["layers"]:
            if isinstance(spec, dict) and spec.get("type") == "linear":
                k_linear += 1
                layer = f"the {_ordinal(k_linear)} linear layer"
                spec = {**spec, "w": _take(arrays, f"w{k_linear}", (2,), layer),
                        "b": _take(arrays, f"b{k_linear}", (1,), layer)}
            specs.append(spec)
        data["layers"] = specs
    if arrays and isinstance(data.get("layers"), list) and len(data["layers"]) <= MAX_LAYERS:
        raise ScenarioError(f"it holds an array {printable(sorted(arrays)[0])} that no layer uses")
    return scenario_from_dict(data)


def load_npz(path: str | os.PathLike) -> Network:
    """Read the network of a scenario saved by ``save_npz``; every failure is one ``ScenarioError`` sentence."""
    return load_npz_scenario(path).net


def load_npz_scenario(path: str | os.PathLike) -> Scenario:
    """Read a scenario saved by ``save_npz``, answers and all; every failure is one ``ScenarioError`` sentence."""
    path = Path(path)
    f, size = open_regular(path, MAX_NPZ_BYTES, ".npz scenarios")
    try:
        with f:
            archive = _open_archive(f, size)
            with archive:
                arrays = _read_arrays(archive)
        return _scenario(arrays)
    except ScenarioError as e:
        raise ScenarioError(f"{shown(path.name)}: {e}") from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, struct.error, RuntimeError, NotImplementedError):
        # a damaged archive fails in many ways: zip, zlib, CRC, npy header, an encrypted or unknown compression
        raise ScenarioError(f"{shown(path.name)}: it is damaged: its arrays cannot be read") from None
