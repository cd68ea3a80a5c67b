"""Generated text against the table and number readers: exact when it is numbers, one sentence when it is not.

The fast reader (whole text at C speed) and the careful one (field by field)
must agree wherever the fast one answers, bit for bit; whatever the text, the
answer is an array or an ``EditError`` of one line, never another exception.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab.errors import EditError
from gradlab.table_text import _careful, _fast, parse_number, parse_table, strict_float

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JUNK = ["", " ", "1e", ".", "-", "+", "+1", "1.", ".5", "1e5", "1 2", "0x1", "１", "1_0", "1\x00", "nan", "-inf",
        "1e999", "--1", "1.2.3", "e5", '"', '"1"', "1,5", "−2", "\t", "1e-400", "0,25"]
numbers = st.floats(allow_nan=False, allow_infinity=False).map(repr)
fields = st.one_of(numbers, numbers, st.sampled_from(JUNK), st.text(max_size=4))
tables = st.tuples(st.sampled_from(["\t", ",", ";"]), st.lists(st.lists(fields, min_size=1, max_size=4), min_size=1,
                                                                  max_size=5), st.sampled_from(["\n", "\r\n", "\r"]))


def outcome(read, *args):
    try:
        return read(*args)
    except EditError as e:
        message = str(e)
        assert message and "\n" not in message and len(message) < 400
        return message


@FUZZ
@given(tables)
def test_the_fast_reader_agrees_with_the_careful_one(table):
    separator, rows, newline = table
    text = newline.join(separator.join(row) for row in rows)
    normal = text.replace("\r\n", "\n").replace("\r", "\n").replace("−", "-").removesuffix("\n")
    fast = _fast(normal, separator) if normal.strip() else None
    if fast is not None:
        careful = outcome(_careful, normal, separator)
        assert isinstance(careful, np.ndarray) and careful.tobytes() == fast.tobytes() and careful.shape == fast.shape
    for commas_separate in (False, True):
        result = outcome(parse_table, text, commas_separate)
        assert isinstance(result, (str, np.ndarray))
        if isinstance(result, np.ndarray):
            assert result.ndim == 2 and np.isfinite(result).all()


@FUZZ
@given(st.lists(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=3, max_size=3), min_size=1, max_size=6))
def test_any_table_of_numbers_reads_back_bit_for_bit(rows):
    expected = np.array(rows)
    for separator in ("\t", ";"):
        text = "\n".join(separator.join(repr(v) for v in row) for row in rows) + "\n"
        assert parse_table(text).tobytes() == expected.tobytes()


@FUZZ
@given(st.text(max_size=12))
def test_a_typed_cell_is_a_number_only_as_a_spreadsheet_writes_one(text):
    cleaned = text.strip().replace("−", "-")
    value = outcome(parse_number, text)
    if isinstance(value, str):  # refused, in one line
        return
    assert cleaned.isascii() and "_" not in cleaned and "\x00" not in cleaned
    assert value == float(cleaned) or (math.isnan(value) and math.isnan(float(cleaned)))


@FUZZ
@given(st.floats(allow_nan=False))
def test_every_float_typed_as_python_writes_it_reads_back_exactly(x):
    value = parse_number(repr(x))
    assert np.float64(value).tobytes() == np.float64(x).tobytes()


@pytest.mark.parametrize("text", ["1_000", "１", "1\x00", "\u0661", "1e5\x00", "٣.٤"])
def test_python_floats_more_than_the_strict_grammar(text):
    """The oracle's gap: what ``float`` (or numpy's string arrays, which drop trailing NULs) would read."""
    assert strict_float(text) is None
    assert np.array([text]).astype(np.float64) is not None if "\x00" in text else float(text) is not None
