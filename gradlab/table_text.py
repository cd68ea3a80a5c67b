"""Numbers as text: a number typed into a cell, a table pasted from a spreadsheet, a block copied out.

Numbers are written in their shortest form that reads back to the same bits
(a float32 0.15 is written ``0.15``), so whatever goes out to LibreOffice Calc,
Excel or Google Sheets comes back exactly.

Reading is strict.  A number is written the way every spreadsheet writes one,
``-1.5e-3``, in ASCII digits: Python's ``float`` also takes ``1_000``,
full-width digits and surrounding control characters, none of which a
spreadsheet would paste, so none of them is a number here.  A decimal comma is
never guessed at: ``0,5`` copied from a German or French spreadsheet is refused
with a sentence, not read as 0 and 5.  And a table costs what its text costs:
it is read row by row into one array, never into a grid of strings as wide as
its widest cell.  Text that is wrong raises ``EditError`` with one sentence
saying where and what.
"""

from __future__ import annotations

import csv
import re
import warnings
from array import array
from collections.abc import Iterator

import numpy as np

from gradlab.errors import EditError
from gradlab.reading import printable
from gradlab.text import shortest

MAX_TABLE_CHARS = 64 * 2**20  # about 3·10⁶ numbers written in full: more than any grid a person pastes into

# A number as spreadsheets write it (ASCII only); inf and nan read, to be refused as not finite.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
                     re.ASCII | re.IGNORECASE)
# A comma that could be a decimal comma: between digits, in text whose points (if any) all group thousands.
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9][0-9.]*,[0-9]+")
_POINT_DECIMAL = re.compile(r"\.(?![0-9]{3}(?![0-9]))")  # a point not followed by exactly three digits
_QUOTED = re.compile(r'"[^"]*"')
_INNER_SPACE = re.compile(rb"[0-9.eE+-] +[0-9.eE+-]")
_FAST_BYTES = b"0123456789.eE+- "  # what the fast reader takes, besides the separator and newlines


def table_rows(a: np.ndarray) -> list[list[str]]:
    """A 1-D or 2-D tensor as rows of exact number texts (a 1-D tensor is one row)."""
    texts = shortest(a)
    if texts.ndim > 2:
        raise ValueError(f"only a 1-D or 2-D tensor can be written as a table, not a {texts.ndim}-D one")
    return np.atleast_2d(texts).tolist()


def to_tsv(block: np.ndarray) -> str:
    """Tab-separated text, one line per row and a newline after each, as spreadsheets put on the clipboard."""
    return "".join("\t".join(row) + "\n" for row in table_rows(block))


# -- one number ------------------------------------------------------------------------------------


def strict_float(field: str) -> float | None:
    """The number ``field`` (already stripped, with a plain minus) writes, or None if it is not one."""
    return float(field) if _NUMBER.fullmatch(field) else None


def parse_number(text: str) -> float:
    """A number typed into a cell.  ``1,5`` is refused rather than guessed at."""
    cleaned = text.strip().replace("−", "-")
    if "," in cleaned:
        raise EditError(f"“{printable(text)}” has a comma: use a point for decimals, as in 1.5")
    value = strict_float(cleaned)
    if value is None:
        raise EditError(f"“{printable(text)}” is not a number")
    return value


def _values(count: int) -> str:
    return f"{count} value" if count == 1 else f"{count} values"


def _cell_error(field: str, where: str) -> str:
    """Why one field is not a number GradLab takes (``field`` is stripped, with a plain minus)."""
    if not field:
        return f"{where} is empty"
    if "," in field and strict_float(field.replace(",", ".")) is not None:
        with_point = field.replace(",", ".")
        return f"{where} is “{printable(field, 30)}”, which uses a decimal comma; GradLab reads {with_point} with a point"
    if strict_float(field) is None:
        return f"{where} is “{printable(field, 30)}”, not a number"
    return f"{where} is “{printable(field, 30)}”, not a finite number"


# -- a table ---------------------------------------------------------------------------------------


def parse_table(text: str, commas_separate: bool = False) -> np.ndarray:
    """Pasted or file text as a 2-D float array, or ``EditError`` saying which cell is wrong and why.

    Tab-separated text (what every spreadsheet copies) is read, and so is text separated by
    semicolons or commas, with quoted fields, any line ends, a BOM, surrounding spaces and the
    minus sign −.  A decimal comma is refused rather than guessed at: in text from the clipboard,
    comma-separated fields that could be one number with a decimal comma (``0,5``, ``1,000``) are
    refused unless ``commas_separate`` says commas are separators, as they are in a CSV file."""
    if len(text) > MAX_TABLE_CHARS:
        raise EditError(f"the text is {len(text):,} characters long; GradLab reads tables of up to {MAX_TABLE_CHARS:,}")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise EditError("the text is empty: there are no numbers in it")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("−", "-").removesuffix("\n")
    separator = "\t" if "\t" in text else ";" if ";" in text else ","
    if separator == "," and not commas_separate:
        _refuse_decimal_commas(text)
    table = _fast(text, separator)
    return table if table is not None else _careful(text, separator)


def _refuse_decimal_commas(text: str) -> None:
    """Clipboard text without tabs or semicolons whose commas could be decimal commas: say so."""
    unquoted = _QUOTED.sub('""', text) if '"' in text else text  # a quoted field's commas are its own
    if _POINT_DECIMAL.search(unquoted):  # a decimal point somewhere: the commas separate values
        return
    found = _DECIMAL_COMMA.search(unquoted)
    if found:
        number = found.group()
        raise EditError(f"“{printable(number, 30)}” reads as a decimal comma, {number.replace('.', '').replace(',', '.')}, "
                        "or as values separated by commas; GradLab reads decimals with a point, and cells copied "
                        "from a spreadsheet come separated by tabs")


def _fast(text: str, separator: str) -> np.ndarray | None:
    """The table, read at C speed, when the text is plain ASCII numbers, separators and newlines in a
    rectangle; None for anything else (quotes, blanks, text, ragged rows), which ``_careful`` reads."""
    if not text.isascii():
        return None
    data = text.encode("ascii")
    sep = separator.encode("ascii")
    if data.translate(None, _FAST_BYTES + sep + b"\n") or _INNER_SPACE.search(data):
        return None  # some other character (a quote, a letter, an inner tab), or a space inside a field
    data = data.replace(b" ", b"")  # spaces around a number are not part of it
    rows = data.count(b"\n") + 1
    columns = data[: data.find(b"\n")].count(sep) + 1 if rows > 1 else data.count(sep) + 1
    if data.count(sep) != rows * (columns - 1):
        return None
    if rows > 1 and columns > 1:  # the same count in every row, not just on average
        bytes_ = np.frombuffer(data, np.uint8)
        newlines = np.flatnonzero(bytes_ == ord("\n"))
        row_of_sep = np.searchsorted(newlines, np.flatnonzero(bytes_ == sep[0]))
        del bytes_
        if (np.bincount(row_of_sep, minlength=rows) != columns - 1).any():
            return None
    flat = data.replace(b"\n", sep) if sep == b"," else data.replace(sep, b",").replace(b"\n", b",")
    del data
    if flat.startswith(b",") or flat.endswith(b",") or b",," in flat:
        return None  # an empty field, which numpy would read as -1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # older numpy warns where newer raises: either way, read it carefully
            values = np.fromstring(flat, sep=",")
    except (ValueError, DeprecationWarning):
        return None
    if values.size != rows * columns or not np.isfinite(values).all():
        return None
    return values.reshape(rows, columns)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its newline, one at a time (csv.reader joins quoted ones)."""
    for line in re.finditer(r"[^\n]*\n", text + "\n"):
        yield line.group()


def _rows(text: str, separator: str) -> Iterator[list[str]]:
    try:
        yield from csv.reader(_lines(text), delimiter=separator, skipinitialspace=True)
    except csv.Error as e:
        if "field limit" in str(e):
            raise EditError(f"a cell is longer than {csv.field_size_limit():,} characters, far too long to be a number") from None
        raise EditError(f"the text cannot be read as a table: {e}") from None


def _careful(text: str, separator: str) -> np.ndarray:
    """The table read field by field, in memory that grows with the numbers, not the widest cell:
    first every row's length, then every cell, each culprit named."""
    lengths = array("q", (len(row) for row in _rows(text, separator)))
    counts = np.frombuffer(lengths, np.int64) if lengths else np.zeros(0, np.int64)
    if (counts == 0).any():
        raise EditError(f"row {int(np.argmax(counts == 0)) + 1} is empty")
    if (counts != counts[0]).any():
        r = int(np.argmax(counts != counts[0]))
        raise EditError(f"row {r + 1} has {_values(int(counts[r]))} but row 1 has {int(counts[0])}")
    numbers = array("d")
    for r, row in enumerate(_rows(text, separator)):
        for c, field in enumerate(row):
            value = strict_float(field.strip())
            if value is None or value - value != 0:  # not a number, or not finite (inf - inf and nan are nan)
                raise EditError(_cell_error(field.strip(), f"row {r + 1}, column {c + 1}"))
            numbers.append(value)
    return np.frombuffer(numbers, np.float64).reshape(len(counts), int(counts[0])).copy()
