"""Watching a cell from the grids, and the numbers the inspector shows for it.

The learner's spreadsheet (``docs/lesson.md``, question 7) nudged ``x`` and
watched ``g`` move, not a loss.  The session holds the watched value
(``Session.watched``: the loss by default, or a computed cell such as
``l1[0,2]``, ``out[1,0]`` or a row's share of the loss, ``loss[1]``); this
module holds the small pieces the grids and the inspector use to show it:

- ``watch_action`` / ``watch_click`` / ``toggle_watch``: the context-menu entry
  ("Watch l1[0,2]", "Stop watching l1[0,2]") and the Alt+click that pick a
  watched cell.  Only computed grids (``l1``, ``l2``, …, ``out``) and the loss
  rows (a grid named ``loss``, one cell per batch row) offer one: ``x``, the
  ``w``s, the ``b``s and ``y`` are inputs, and the ``.g`` grids are gradients.
- ``watched_state``: a mask of the watched cell in one grid, for a grid model to
  draw the watched mark: the ``WATCHED_COLOUR`` background (reddish purple, which
  no other meaning uses) AND bold, overlined digits in an outlined cell
  (``cell_look.MARK_CUES["watched"]``), so colour is never the only cue.
- ``watched_rows``: the inspector's rows for the watched value, as display
  strings: Δwatched, Δwatched/Δε, the central quotient and the analytic
  ∂watched/∂cell, with the round-off sentence when the change was lost.  The
  numbers come from ``gradlab.watch.nudge_watched``; nothing here does maths.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction

from gradlab.errors import EditError
from gradlab.session import Session
from gradlab.text import cell_name
from gradlab.watch import Watched, WatchedNudge, WatchError, nudge_watched, watched
from ui import palette

WATCH_MODIFIER = Qt.KeyboardModifier.AltModifier  # Alt+click a computed cell: watch it (again: stop)
WATCHED_COLOUR = palette.REDDISH_PURPLE
LOSS_GRID = "loss"  # the loss rows' grid: cell (b,) is row b's share of the loss, cell () the loss itself



def watch_target(session: Session, grid: str, cell: tuple[int, ...]) -> Watched | None:
    """What watching ``grid[cell]`` would watch, or None for a grid that holds no watchable value."""
    net = session.sheet.net
    if grid == LOSS_GRID:
        target = cell_name("loss", cell) if cell else "loss"
    elif grid in net.activations():
        target = cell_name(grid, cell)
    else:  # x, w, b, y: inputs; l1.g …: gradients
        return None
    try:
        return watched(net, target)
    except WatchError:
        return None


def _stops(session: Session, target: Watched) -> bool:
    """Whether choosing ``target`` now stops watching it (the loss, watched by default, never stops)."""
    return target == session.watched and not target.is_loss


def toggle_watch(session: Session, grid: str, cell: tuple[int, ...]) -> str | None:
    """Watch ``grid[cell]``, or stop watching it if it is watched; the sentence for the status bar, or None
    when the grid holds nothing to watch."""
    target = watch_target(session, grid, cell)
    if target is None:
        return None
    stop = _stops(session, target)
    try:
        session.watch(None if stop or target.is_loss else target)
    except EditError as e:
        return f"{e}."
    if stop:
        return f"Stopped watching {target}: the inspector measures the nudge by the loss again."
    if target.is_loss:
        return "Watching the loss: the inspector measures the nudge by it, as it does by default."
    return f"Watching {target}: the inspector measures the nudge by how {target} moves."


def watch_click(session: Session, grid: str, cell: tuple[int, ...], modifiers: Qt.KeyboardModifier) -> str | None:
    """A click with ``WATCH_MODIFIER`` held toggles the watched cell; returns the sentence, or None when the
    click was not one (the grid then handles it as an ordinary click)."""
    if not modifiers & WATCH_MODIFIER:
        return None
    return toggle_watch(session, grid, cell)


def watch_action(
    session: Session, grid: str, cell: tuple[int, ...], parent: QObject | None = None,
    said: Callable[[str], None] | None = None,
) -> QAction | None:
    """The context-menu entry for ``grid[cell]``: "Watch l1[0,2]" or "Stop watching l1[0,2]", or None
    where there is nothing to offer (an input grid, a gradient grid, the loss while it is watched)."""
    target = watch_target(session, grid, cell)
    if target is None or (target.is_loss and session.watched.is_loss):
        return None
    stop = _stops(session, target)
    text = f"Stop watching {target}" if stop else ("Watch the loss" if target.is_loss else f"Watch {target}")
    action = QAction(text, parent)
    action.setObjectName("watch-action")
    action.setStatusTip("Measure the nudge by the loss again" if stop
                        else "Measure the nudge by this value instead of the loss (Alt+click does it too)")

    def triggered(_checked: bool = False) -> None:
        sentence = toggle_watch(session, grid, cell)
        if sentence and said is not None:
            said(sentence)

    action.triggered.connect(triggered)
    return action


def watched_state(session: Session, grid: str) -> np.ndarray | None:
    """A bool mask shaped like the tensor behind ``grid``, True at the watched cell; None when the watched
    value is not a cell of this grid (the loss itself is never marked in a grid: the loss display is it)."""
    target, net = session.watched, session.sheet.net
    if target.is_loss:
        return None
    if grid == LOSS_GRID and target.tensor == "loss":
        mask = np.zeros(net.batch, bool)
    elif grid == target.tensor and grid in net.activations():
        mask = np.zeros(session.sheet.array(grid).shape, bool)
    else:
        return None
    mask[target.index] = True
    return mask


# -- the inspector's rows for the watched value ------------------------------------------------------


def number(v: float) -> str:
    """As the inspector writes a number: ten significant digits and a real minus sign."""
    return "—" if not math.isfinite(v) else f"{v:.10g}".replace("-", "−")


@dataclass(frozen=True)
class WatchedRow:
    key: str  # an object name for the label: "watched-delta", …
    caption: str  # "Δout[1,0]"
    value: str  # the number as shown, or "—"
    tip: str


@dataclass(frozen=True)
class WatchedRows:
    """What the inspector shows for the watched value, laid out: a title, the rows, and at most two sentences."""

    title: str  # "Watching out[1,0] while x[1,2] is nudged by ε = 0.001"
    rows: tuple[WatchedRow, ...]
    roundoff: str | None  # the step or the watched change was below the dtype's resolution
    problem: str | None  # the inspected cell cannot move the watched value: why, in one sentence
    nudge: WatchedNudge | None  # the numbers themselves, for a verdict


KEYS = ("watched-value", "watched-delta", "watched-quotient", "watched-central", "watched-analytic")


def watched_rows(session: Session) -> WatchedRows | None:
    """The rows for the session's watched value, nudging its inspected cell by its ε; None when nothing is
    inspected."""
    if session.inspected is None:
        return None
    name, index = session.inspected
    of, cell, eps = session.watched, cell_name(name, index), session.eps
    shown = "L" if of.is_loss else str(of)
    captions = (shown, f"Δ{shown}", f"Δ{shown} / Δε", "central", f"∂{shown}/∂{cell}")
    tips = (
        f"{shown} now, before the nudge",
        f"{shown} after the +ε nudge minus {shown} before, as {session.sheet.net.dtype.name} recorded it",
        f"forward difference: Δ{shown} / step, where step = (θ+ε) − θ as stored",
        f"({shown}(θ+ε) − {shown}(θ−ε)) / (2·step): more accurate",
        f"the backward pass started from a one-hot gradient at {shown}, through the lesson's own backward functions"
        if not of.is_loss else f"the .g of {cell}, from the backward pass",
    )
    sheet = session.sheet
    try:
        n = nudge_watched(sheet.net, name, index, of, eps, p=sheet.p, columns=sheet.columns)
    except WatchError as e:
        rows = tuple(WatchedRow(k, c, "—", t) for k, c, t in zip(KEYS, captions, tips))
        return WatchedRows(f"Watching {of}", rows, None, f"{e}.", None)
    values = (n.watched, n.delta, n.forward, n.central, n.analytic)
    rows = tuple(WatchedRow(k, c, number(v), t) for k, c, v, t in zip(KEYS, captions, values, tips))
    title = f"Watching {'the loss' if of.is_loss else of} while {cell} is nudged by ε = {eps:.3g}"
    return WatchedRows(title, rows, n.roundoff, None, n)
