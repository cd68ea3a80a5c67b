"""Numbers as text: copy and paste with exact round trips, and one clear sentence for every bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradlab.errors import EditError
from gradlab.table_text import parse_table, to_tsv

SHAPES = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6)


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()


# -- copying out ----------------------------------------------------------------------------------


def test_tsv_of_a_block_is_exact():
    block = np.array([[0.15, -1.0, 1e-7], [2.5, 0.1 + 0.2, -0.0]])
    assert to_tsv(block) == "0.15\t-1.0\t1e-07\n2.5\t0.30000000000000004\t-0.0\n"


def test_tsv_writes_float32_short_integers_plain_and_a_vector_as_one_row():
    assert to_tsv(np.array([[0.15, 0.1]], dtype=np.float32)) == "0.15\t0.1\n"
    assert to_tsv(np.array([0, 1, 2, 2])) == "0\t1\t2\t2\n"


@given(hnp.arrays(np.float64, SHAPES, elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_float64_blocks_paste_back_bit_for_bit(a):
    assert_same_bits(parse_table(to_tsv(a)), np.atleast_2d(a))


@given(hnp.arrays(np.float32, SHAPES, elements=st.floats(allow_nan=False, allow_infinity=False, width=32)))
def test_float32_blocks_paste_back_bit_for_bit(a):
    assert_same_bits(parse_table(to_tsv(a)).astype(np.float32), np.atleast_2d(a))


# -- pasting in -----------------------------------------------------------------------------------

BLOCK = np.array([[0.5, -1.2, 3.0], [1.0, 0.4, -0.7]])

CLIPBOARDS = {
    "LibreOffice Calc (TSV, trailing \\n)": "0.5\t-1.2\t3\n1\t0.4\t-0.7\n",
    "Google Sheets (TSV, \\r\\n)": "0.5\t-1.2\t3\r\n1\t0.4\t-0.7",
    "Excel (TSV, \\r\\n, trailing)": "0.5\t-1.2\t3\r\n1\t0.4\t-0.7\r\n",
    "old Mac line ends": "0.5\t-1.2\t3\r1\t0.4\t-0.7\r",
    "comma-separated": "0.5,-1.2,3\n1,0.4,-0.7\n",
    "quoted CSV fields": '"0.5","-1.2",3\r\n"1", 0.4 ,"-0.7"\r\n',
    "a BOM, spaces and unicode minus": "\ufeff 0.5 \t−1.2\t 3\n1\t0.4 \t −0.7 \n",
    "semicolons, as European Excel saves CSV": "0.5;-1.2;3\n1;0.4;-0.7\n",
    "a quoted TSV field": '"0.5"\t-1.2\t3\n1\t0.4\t-0.7\n',
}


@pytest.mark.parametrize("source", list(CLIPBOARDS))
def test_clipboard_text_as_spreadsheets_write_it(source):
    assert_same_bits(parse_table(CLIPBOARDS[source]), BLOCK)


def test_one_value_per_line_is_one_column():
    assert_same_bits(parse_table("1\n2.5\n-3e2\n"), np.array([[1.0], [2.5], [-300.0]]))
    assert_same_bits(parse_table("7"), np.array([[7.0]]))


REFUSALS = {
    "empty": ("", "the text is empty: there are no numbers in it"),
    "only a newline": ("\r\n", "the text is empty: there are no numbers in it"),
    "only spaces": ("  \t ", "the text is empty: there are no numbers in it"),
    "ragged rows": ("1\t2\n3\t4\t5\n", "row 2 has 3 values but row 1 has 2"),
    "a short row": ("1.5,2\n3\n", "row 2 has 1 value but row 1 has 2"),
    "a non-number": ("1\t2\t3\n4\t5\tabc\n", "row 2, column 3 is “abc”, not a number"),
    "decimal commas in TSV": ("1.5\t2,25\n", "row 1, column 2 is “2,25”, which uses a decimal comma; "
                                             "GradLab reads 2.25 with a point"),
    "a decimal comma in quoted CSV": ('"1,5","2"\n', "row 1, column 1 is “1,5”, which uses a decimal comma; "
                                                     "GradLab reads 1.5 with a point"),
    "a negative decimal comma": ("−0,5\t1\n", "row 1, column 1 is “-0,5”, which uses a decimal comma; "
                                              "GradLab reads -0.5 with a point"),
    "thousands separators": ("1,234.5\t1\n", "row 1, column 1 is “1,234.5”, not a number"),
    "NaN": ("1\tnan\n", "row 1, column 2 is “nan”, not a finite number"),
    "infinity": ("1\n-inf\n", "row 2, column 1 is “-inf”, not a finite number"),
    "overflow": ("1e999\n", "row 1, column 1 is “1e999”, not a finite number"),
    "an empty cell": ("1\t\t3\n", "row 1, column 2 is empty"),
    "a blank row": ("1\n\n3\n", "row 2 is empty"),
    "a second trailing newline": ("1\n2\n\n", "row 3 is empty"),
    "an unclosed quote": ('1,"2\n3\n', "row 1, column 2 is “2\\n3”, not a number"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_text_is_refused_with_one_sentence(case):
    text, message = REFUSALS[case]
    with pytest.raises(EditError) as raised:
        parse_table(text)
    assert str(raised.value) == message


