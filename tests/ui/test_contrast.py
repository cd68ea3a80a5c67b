"""Every text the window draws can be read, in the light and the dark theme, and no cell role hangs on colour alone.

The colours are read off the live widgets: each chart's background brush, the pens its axes draw their tick
labels with, the colour of every text fragment in its scene (titles, axis labels, legend entries, the ε marks,
"round-off" and "truncation"), and each grid cell's ForegroundRole and BackgroundRole.  A widget that stopped
following the theme (an axis label left black on a black chart) fails here, whatever the constants say.

Contrast is WCAG 2's ratio of relative luminances: text on its plain background needs 7:1 (AAA), text on a
tinted or marked cell 4.5:1 (AA).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QAbstractItemView, QGraphicsTextItem, QLabel, QLineEdit, QStyleOptionViewItem, QWidget

from gradlab.grading import reference_answers
from ui.cell_look import contrast, over, relative_luminance
from ui.grid_model import MARK_ROLE, TensorModel

PLAIN, TINTED = 7.0, 4.5
APART = 2.0  # a clear difference in grey between two roles that share every other cue
THEMES = ("light", "dark")
ROLE_WORDS = {"source": "inspected", "influenced": "moves", "blocked": "blocked", "kink": "kink", "watched": "watched",
              "negative": "negative", "positive": "positive"}  # each role as the legend names it
Role = Qt.ItemDataRole


@pytest.fixture(params=THEMES)
def themed(request, window, qtbot):
    """The window in one theme, with every kind of cell on show: the inspected cell w1[0,3], the cells it moves,
    the ones it is blocked from, a kink (ε = 0.2 carries l1[3,3] = −0.12 across 0) and a watched cell."""
    window.appearance.set_theme(request.param)
    window.inspect("w1", (0, 3))
    window.session.set_eps(0.2)
    window.session.watch("out[1,0]")
    window.charts.refresh()
    return window, request.param


# -- charts --------------------------------------------------------------------------------------

def fragment_colours(item: QGraphicsTextItem) -> list[QColor]:
    """The colour of every visible run of text in a graphics text item, as its document will paint it."""
    colours = []
    block = item.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.text().strip():
                brush = fragment.charFormat().foreground()
                colours.append(brush.color() if brush.style() != Qt.BrushStyle.NoBrush else item.defaultTextColor())
            it += 1
        block = block.next()
    return colours


def backdrop(item, chart: QColor) -> QColor:
    """What is behind ``item``: the chart, under the fill of any legend or text box it sits in."""
    fills = []
    parent = item.parentItem()
    while parent is not None:
        if isinstance(parent, pg.LegendItem):
            fills.append(parent.opts["brush"])
        elif isinstance(parent, pg.TextItem) and parent.fill.style() != Qt.BrushStyle.NoBrush:
            fills.append(parent.fill)
        parent = parent.parentItem()
    colour = chart
    for fill in reversed(fills):  # the outermost box first
        colour = over(QBrush(fill).color(), colour)
    return colour


def chart_texts(plot: pg.PlotWidget) -> list[tuple[str, QColor, QColor]]:
    """(what, ink, background) of every text the chart shows: tick labels of each axis, then every text item."""
    chart = plot.backgroundBrush().color()
    found = []
    for item in plot.scene().items():
        if not item.isVisible():
            continue
        if isinstance(item, pg.AxisItem) and item.style["showValues"]:
            found.append((f"ticks of the {item.orientation} axis", item.textPen().color(), chart))
        elif isinstance(item, QGraphicsTextItem) and item.toPlainText().strip():
            behind = backdrop(item, chart)
            for ink in fragment_colours(item):
                found.append((f"“{item.toPlainText().strip()}”", over(ink, behind), behind))
    return found


def plots(window) -> dict[str, pg.PlotWidget]:
    found = {plot.objectName(): plot for plot in window.findChildren(pg.PlotWidget)}
    assert {"fd-plot", "error-plot", "loss-plot", "secant-plot", "loss-history-plot", "cell-history-plot",
            "output-plane-plot"} <= set(found)
    return found


def test_every_chart_text_reads_at_7_to_1_on_a_chart_that_follows_the_theme(themed):
    window, theme = themed
    base = window.palette().color(QPalette.ColorRole.Base)
    failures, words = [], set()
    for name, plot in plots(window).items():
        chart = plot.backgroundBrush().color()
        if chart != base:
            failures.append(f"{name}: background {chart.name()}, the {theme} theme's is {base.name()}")
        texts = chart_texts(plot)
        assert any(what.startswith("ticks") for what, *_ in texts), f"{name} shows no tick labels"
        for what, ink, behind in texts:
            words.add(what)
            ratio = contrast(ink, behind)
            if ratio < PLAIN:
                failures.append(f"{name}: {what} {ink.name()} on {behind.name()} is {ratio:.2f}:1")
    assert not failures, "\n".join(failures)
    # the texts the issue named are among those checked
    for text in ("“round-off”", "“truncation”", "“ε”", "“forward”", "“Difference quotients”", "“step”",
                 "“x[:,0]”", "“L (loss units)”"):
        assert any(w.startswith(text[:-1]) for w in words), f"{text} was not found on any chart"


# -- cells ----------------------------------------------------------------------------------------

def colour_of(value, fallback: QColor) -> QColor | None:
    """A role's colour (QColor or a solid QBrush); None for a patterned brush (hatching)."""
    if value is None:
        return fallback
    if isinstance(value, QBrush):
        return value.color() if value.style() == Qt.BrushStyle.SolidPattern else None
    return QColor(value)


def cell_looks(view: QAbstractItemView) -> list[dict]:
    """Each cell of a grid as the view paints it: its text, ink, background, whether the background is tinted."""
    model = view.model()
    base, text = view.palette().color(QPalette.ColorRole.Base), view.palette().color(QPalette.ColorRole.Text)
    selected = view.selectionModel().selectedIndexes() if view.selectionModel() else []
    looks = []
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            index = model.index(r, c)
            shown = model.data(index, Role.DisplayRole)
            if not shown:
                continue
            background = model.data(index, Role.BackgroundRole)
            if index in selected:
                ink = view.palette().color(QPalette.ColorRole.HighlightedText)
                paper = view.palette().color(QPalette.ColorRole.Highlight)
            else:
                ink = colour_of(model.data(index, Role.ForegroundRole), text)
                paper = colour_of(background, base)
                # hatching: the delegate keeps a clear patch of the base under the digits (test_hatching_…)
                paper = base if paper is None else over(paper, base)
            looks.append({"grid": view.objectName(), "cell": (r, c), "text": shown, "ink": ink, "paper": paper,
                          "tinted": background is not None or index in selected,
                          "mark": model.data(index, MARK_ROLE) if isinstance(model, TensorModel) else None,
                          "background": background, "font": model.data(index, Role.FontRole)})
    return looks


def spread_tints(window) -> None:
    """Values in x and w1 that show every strength of both sign tints (k/8 of the largest, k = 1…8)."""
    x = np.array([-8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4], float).reshape(4, 3) / 8
    w1 = np.array([1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4], float).reshape(3, 4) / 8
    assert window.editor.set_block("x", (0, 0), x, "spread x")
    assert window.editor.set_block("w1", (0, 0), w1, "spread w1")


def grade_a_wrong_line(window, qtbot) -> None:
    """A w1.g line with the wrong sign: the exercise panel's grid shows ✓ cells (the zeros) and ✗ cells."""
    session, panel = window.session, window.exercise
    window.panels.show_panel(window.findChild(QWidget, "exercise-scroll"))
    ref = reference_answers(session.sheet.net)
    session.set_answers({t: ref[t] for t in ("out.g", "l2.g", "w2.g", "b2.g", "l1.g")})
    edit = panel.findChild(QLineEdit, "answer:w1.g")
    edit.selectAll()
    qtbot.keyClicks(edit, "-(x.t() @ l1.g)")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    grid = panel.findChild(QAbstractItemView, "answer-grid")
    qtbot.waitUntil(lambda: grid.model().rowCount() == 3 and grid.model().target == "w1.g")


def every_grid(window) -> list[QAbstractItemView]:
    return [v for v in window.findChildren(QAbstractItemView) if v.model() is not None and v.model().rowCount()]


def test_every_cell_reads_at_7_to_1_plain_and_4_5_to_1_tinted(themed, qtbot):
    window, theme = themed
    window.session.select("l2", (3, 3))  # the Jacobian panel shows its local grids, one row marked
    window.inspect("w1", (0, 3))
    looks = [look for view in every_grid(window) for look in cell_looks(view)]
    grade_a_wrong_line(window, qtbot)
    looks += [look for view in every_grid(window) if view.objectName() in ("answer-grid", "true-grid")
              for look in cell_looks(view)]
    spread_tints(window)
    looks += [look for name in ("x", "w1") for look in cell_looks(window.sheet_view.views[name])]

    failures = []
    for look in looks:
        need = TINTED if look["tinted"] else PLAIN
        ratio = contrast(look["ink"], look["paper"])
        if ratio < need:
            failures.append(f"{theme}: {look['grid']} {look['cell']} “{look['text']}” ({look['mark'] or 'plain'}) "
                            f"{look['ink'].name()} on {look['paper'].name()} is {ratio:.2f}:1, below {need}:1")
    assert not failures, "\n".join(failures[:20])

    marks = {look["mark"] for look in looks}
    assert {"source", "influenced", "blocked", "kink", "watched"} <= marks, f"only {marks} were on show"
    grids = {look["grid"].split(":")[0] for look in looks}
    assert {"grid", "answer-grid", "true-grid", "jacobian"} <= grids, f"only {grids} were checked"
    assert any(look["text"].startswith("✓") for look in looks) and any(look["text"].startswith("✗") for look in looks)
    x = window.sheet_view.models["x"]
    tints = {str(x.data(x.index(r, c), Role.BackgroundRole).name(QColor.NameFormat.HexArgb))
             for r in range(4) for c in range(3)}
    assert len(tints) == 12  # every strength of the negative tint, and four of the positive, each its own colour


# -- the hatching ------------------------------------------------------------------------------------

def test_hatching_stays_clear_of_the_digits(themed, qtbot):
    window, theme = themed
    view = window.sheet_view.views["l2"]
    model = view.model()
    blocked = [model.index(r, c) for r in range(model.rowCount()) for c in range(model.columnCount())
               if model.data(model.index(r, c), MARK_ROLE) == "blocked"]
    assert blocked, "the lesson preset with w1[0,3] inspected blocks l2[0,3] behind the ReLU"
    index = blocked[0]
    hatch = QBrush(model.data(index, Role.BackgroundRole)).color()
    rect = QRect(0, 0, view.columnWidth(index.column()), view.rowHeight(index.row()))
    image = QImage(rect.size(), QImage.Format.Format_ARGB32)
    image.fill(view.palette().color(QPalette.ColorRole.Base))
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = rect
    option.font = view.font()
    option.fontMetrics = view.fontMetrics()
    view.itemDelegate().paint(painter, option, index)
    painter.end()

    ink = view.palette().color(QPalette.ColorRole.Text)
    pixels = [[QColor(image.pixel(x, y)) for x in range(rect.width())] for y in range(rect.height())]
    inked = [(x, y) for y, row in enumerate(pixels) for x, c in enumerate(row)
             if abs(relative_luminance(c) - relative_luminance(ink)) < 0.1]
    assert inked, "no digits were drawn"
    left, right = min(x for x, _ in inked), max(x for x, _ in inked)
    top, bottom = min(y for _, y in inked), max(y for _, y in inked)
    hatched = [(x, y) for y, row in enumerate(pixels) for x, c in enumerate(row) if c.rgb() == hatch.rgb()]
    assert hatched, "the blocked cell is not hatched at all"
    crossing = [(x, y) for x, y in hatched if left <= x <= right and top <= y <= bottom]
    assert not crossing, f"{len(crossing)} hatch pixels cross the digits of {model.data(index, Role.DisplayRole)}"


# -- without colour ------------------------------------------------------------------------------------

def cues(look: dict) -> frozenset[str]:
    """What sets a cell apart without colour: its font, a pattern behind it, a minus sign."""
    font = look["font"]
    said = set()
    if isinstance(font, QFont):
        said |= {word for word, on in (("bold", font.bold()), ("italic", font.italic()),
                                        ("underlined", font.underline()), ("overlined", font.overline())) if on}
    background = look["background"]
    if isinstance(background, QBrush) and background.style() not in (Qt.BrushStyle.SolidPattern, Qt.BrushStyle.NoBrush):
        said.add("hatched")
    if look["text"].startswith("−"):
        said.add("minus sign")
    return frozenset(said)


def role_of(look: dict) -> str | None:
    if look["mark"]:
        return look["mark"]
    if look["background"] is not None:
        return "negative" if look["text"].startswith("−") else "positive"
    return None


def legend_sentences(window) -> dict[str, str]:
    legend = window.findChild(QLabel, "influence-legend")
    assert legend is not None
    said = legend.accessibleName().removeprefix("legend: ")
    assert said == legend.toolTip()
    sentences = [s.strip() for s in said.split(".") if s.strip()]
    return {role: next((s for s in sentences if s.lower().startswith(word)), "") for role, word in ROLE_WORDS.items()}


def test_cell_roles_differ_in_grey_or_by_a_cue_the_legend_names(themed):
    window, theme = themed
    by_role: dict[str, list[dict]] = defaultdict(list)
    for view in every_grid(window):
        if view.objectName().startswith("grid:"):
            for look in cell_looks(view):
                if (role := role_of(look)) is not None:
                    by_role[role].append(look)
    assert set(ROLE_WORDS) <= set(by_role), f"only {set(by_role)} were on show"

    for a, b in combinations(sorted(by_role), 2):
        for la in by_role[a]:
            for lb in by_role[b]:
                apart = contrast(la["paper"], lb["paper"])
                assert cues(la) != cues(lb) or apart >= APART, (
                    f"{theme}: {a} {la['grid']}{la['cell']} and {b} {lb['grid']}{lb['cell']} look alike without "
                    f"colour: {apart:.2f}:1 in grey, and both {set(cues(la)) or 'plain'}")

    sentences = legend_sentences(window)
    for role, looks in by_role.items():
        sentence = sentences[role]
        assert sentence, f"the legend has no sentence for {ROLE_WORDS[role]}"
        for cue in frozenset.intersection(*(cues(look) for look in looks)):  # what every cell of the role shows
            assert cue in sentence, f"the legend's “{sentence}” does not say the cell is {cue}"


def test_the_legend_samples_carry_the_cells_font_cues(themed):
    window, _theme = themed
    legend = window.findChild(QLabel, "influence-legend")
    document = QTextDocument()
    document.setHtml(legend.text())
    samples = []  # (font cues, the words after the sample)
    block = document.begin()
    fragments = []
    it = block.begin()
    while not it.atEnd():
        fragments.append(it.fragment())
        it += 1
    def plain(fragment) -> bool:
        return fragment.charFormat().background().style() == Qt.BrushStyle.NoBrush

    for k, fragment in enumerate(fragments):
        if plain(fragment) or not fragment.text().strip():
            continue
        f = fragment.charFormat()
        label = next((later.text().strip() for later in fragments[k + 1:] if plain(later)), "")
        cue = {word for word, on in (("bold", f.fontWeight() >= QFont.Weight.Bold), ("italic", f.fontItalic()),
                                     ("underlined", f.fontUnderline()), ("overlined", f.fontOverline())) if on}
        samples.append((frozenset(cue), label))
    looks = [look for view in every_grid(window) if view.objectName().startswith("grid:") for look in cell_looks(view)]
    for mark in ("source", "influenced", "blocked", "kink", "watched"):
        look = next(look for look in looks if look["mark"] == mark)
        fonts = cues(look) - {"hatched", "minus sign"}
        word = ROLE_WORDS[mark]
        shown = [cue for cue, label in samples if label.startswith(word)]
        assert shown, f"the legend shows no sample for {word}"
        assert shown[0] == fonts, f"the legend's {word} sample is {set(shown[0])}, the cells are {set(fonts)}"
