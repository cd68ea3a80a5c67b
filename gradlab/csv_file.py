"""One tensor as a CSV file: written with the shortest exact numbers, read by the clipboard's strict rules.

A file's commas are separators (a CSV file says so by being one); a decimal
comma inside a quoted field is still refused.  The file is read only if it is a
regular file of at most ``MAX_CSV_BYTES``, and written atomically, keeping the
mode of a file it replaces.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gradlab.atomic import write_atomically
from gradlab.errors import EditError, ScenarioError
from gradlab.reading import read_bytes, shown
from gradlab.table_text import MAX_TABLE_CHARS, parse_table, table_rows

MAX_CSV_BYTES = MAX_TABLE_CHARS


def write_csv(path: str | os.PathLike, a: np.ndarray) -> None:
    """One tensor as comma-separated lines, one per row (a 1-D tensor is one row); written atomically."""
    path = Path(path)
    text = "".join(",".join(row) + "\n" for row in table_rows(a))
    try:
        write_atomically(path, lambda f: f.write(text.encode("utf-8")))
    except OSError as e:
        raise ScenarioError(f"{shown(path)} cannot be written: {e.strerror or e}") from None


def read_csv(path: str | os.PathLike) -> np.ndarray:
    """A CSV (or tab-separated) file as a 2-D float array, by the rules of ``parse_table``."""
    path = Path(path)
    data = read_bytes(path, MAX_CSV_BYTES, "tables")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(f"{shown(path.name)} is not a UTF-8 text file") from None
    del data
    if not text.strip():
        raise ScenarioError(f"{shown(path.name)} is empty: there are no numbers in it")
    try:
        return parse_table(text, commas_separate=True)
    except EditError as e:
        raise ScenarioError(f"{shown(path.name)}: {e}") from None
