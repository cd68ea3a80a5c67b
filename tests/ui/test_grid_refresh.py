"""A grid model after an edit looks again only at the block the edit moved (``Sheet.moved``), so it must end up
showing exactly what a model built afresh would show, and tell its views about every cell whose look changed."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab.presets import random_network
from gradlab.session import Session
from gradlab.sheet import Sheet
from ui.grid_model import TensorModel


def grid_names(sheet: Sheet) -> list[str]:
    return [*sheet.p.values, *(f"{name}.g" for name in sheet.p.grads), "y"]


def look(model: TensorModel) -> tuple:
    marks = None if model._marks is None else model._marks.copy()
    return model._shown.copy(), model._levels.copy(), marks, model._hidden


def same_look(a: tuple, b: tuple) -> bool:
    (shown_a, levels_a, marks_a, hidden_a), (shown_b, levels_b, marks_b, hidden_b) = a, b
    same_marks = (marks_a is None and marks_b is None) or (
        marks_a is not None and marks_b is not None and np.array_equal(marks_a, marks_b))
    return np.array_equal(shown_a, shown_b) and np.array_equal(levels_a, levels_b) and same_marks and hidden_a == hidden_b


def differing_cells(before: tuple, after: tuple) -> set[tuple[int, int]]:
    shown_b, levels_b, marks_b, _ = before
    shown_a, levels_a, marks_a, _ = after
    differ = (shown_b != shown_a) | (levels_b != levels_a)
    if marks_a is not None or marks_b is not None:
        differ |= (np.zeros_like(differ, np.int8) if marks_b is None else marks_b) != (
            np.zeros_like(differ, np.int8) if marks_a is None else marks_a)
    return {(int(r), int(c)) for r, c in np.argwhere(differ)}


edit = st.tuples(st.sampled_from(["x", "w1", "b1", "w2", "b2", "y"]), st.integers(0, 10 ** 6),
                 st.floats(-3, 3, allow_nan=False, width=32))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10 ** 6), inspect=st.booleans(), edits=st.lists(edit, min_size=1, max_size=6))
def test_after_any_edits_every_grid_shows_what_a_fresh_model_shows_and_said_so(qtbot, seed, inspect, edits):
    sheet = Sheet(random_network([3, 4, 2], batch=3, seed=seed))
    session = Session(sheet)
    if inspect:
        session.inspect("w1", (seed % 3, seed % 4))
    models = {name: TensorModel(session, name, lambda *_: None) for name in grid_names(sheet)}
    told: dict[str, set[tuple[int, int]]] = {name: set() for name in models}
    for name, model in models.items():
        model.dataChanged.connect(lambda a, b, _roles, name=name: told[name].update(
            (r, c) for r in range(a.row(), b.row() + 1) for c in range(a.column(), b.column() + 1)))
    for tensor, at, value in edits:
        shape = sheet.array(tensor).shape
        index = tuple(int(i) for i in np.unravel_index(at % int(np.prod(shape)), shape))
        before = {name: look(model) for name, model in models.items()}
        for model in models.values():  # every cell's text made, as a view showing the grid would have
            for r in range(model.rowCount()):
                for c in range(model.columnCount()):
                    model._text(r, c)
        for seen in told.values():
            seen.clear()
        sheet.set_cell(tensor, index, value)
        for name, model in models.items():
            fresh = TensorModel(session, name, lambda *_: None)
            assert same_look(look(model), look(fresh)), f"{name} after {tensor}{list(index)} = {value}"
            assert differing_cells(before[name], look(model)) <= told[name], name
            for (r, c), text in model._texts.items():  # texts kept are the current values'
                assert text == fresh._text(r, c), (name, r, c)
            fresh.cleanup()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.booleans(), min_size=16 * 20, max_size=16 * 20), top=st.integers(0, 8), left=st.integers(0, 10),
       step=st.sampled_from([1, 2]))
def test_a_change_is_told_as_runs_of_cells_or_one_rectangle_when_scattered(qtbot, cells, top, left, step):
    sheet = Sheet(random_network([40, 30], batch=2, seed=0))
    model = TensorModel(Session(sheet), "w1", lambda *_: None)  # 40 × 30
    changed = np.array(cells).reshape(16, 20)  # up to 160 runs: both ways are taken
    rows = top + step * np.arange(16)  # the grid's rows the block's rows are: every row, or every other
    told: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles: told.append((a.row(), a.column(), b.row(), b.column())))
    model._emit_cells(changed, rows, left)
    wanted = {(int(rows[r]), int(c) + left) for r, c in np.argwhere(changed)}
    covered = {(r, c) for r0, c0, r1, c1 in told for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    runs = int((np.diff(np.pad(changed, ((0, 0), (1, 1))).astype(int), axis=1) == 1).sum())
    if runs <= 64:
        assert covered == wanted and len(told) == runs  # each run once, nothing that did not change
    else:
        assert len(told) == 1 and wanted <= covered
