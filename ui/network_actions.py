"""The Network menu, as a spreadsheet inserts and deletes rows and columns, and Edit ▸ Copy as script.

Each reshape acts where the session's selected cell is: a cell of x stands for a
batch row and an input, a cell of w1 for an input and a unit of layer 1, a cell
of out or y for a batch row and an output, and so on (``gradlab.position.locate``).  An action is enabled
only when the selected cell stands for what it needs, and its text says where it
will act ("Remove hidden unit 2 from layer 1").  The new network comes from
``gradlab.reshape`` and goes on the undo stack as one step named for what it
did; a reshape the core refuses changes nothing, and its sentence goes to the
status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QDialog, QInputDialog, QMenu, QWidget

from gradlab import reshape
from gradlab.code_export import numpy_script, torch_script
from gradlab.errors import EditError
from gradlab.layers import Linear
from gradlab.losses import LOSSES
from gradlab.network import Network
from gradlab.position import Position, locate
from gradlab.presets import randomise_weights
from gradlab.session import Session
from gradlab.sheet import Change
from ui.commands import Editor
from ui.new_network_dialog import NewNetworkDialog
from ui.signals import follow

LoadNetwork = Callable[[Network, Path | None, str], bool]

MAX_LAYER_WIDTH = 100_000


@dataclass(frozen=True)
class Reshape:
    """One Network menu entry: its text while nothing is selected, its text for a position (None: it does not
    apply there), and what it builds, a new network and the name of the undo step (None: the user cancelled)."""

    key: str
    idle: str
    label: Callable[[Position], str | None]
    build: Callable[[Network, Position], tuple[Network, str] | None]


def _sentence(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}." if text else text


class NetworkActions(QObject):
    """Network ▸ New Network…, the reshapes, Randomise weights; Edit ▸ Copy as NumPy / PyTorch script.

    ``load`` replaces the whole scenario as File ▸ Open does (``FileActions.load_network``: the
    unsaved-work question, then one undo step); ``parent`` is the widget its dialogs belong to."""

    message = Signal(str)

    def __init__(self, session: Session, editor: Editor, load: LoadNetwork, parent: QWidget):
        super().__init__(parent)
        self.session, self.editor, self.load, self.dialog_parent = session, editor, load, parent
        self.seed = 0  # each Randomise uses the next seed, and says which
        self.numpy_script_action = self._action("Copy as &NumPy script", "copy-numpy-script", lambda: self.copy_script("numpy"))
        self.torch_script_action = self._action("Copy as &PyTorch script", "copy-torch-script", lambda: self.copy_script("torch"))
        self.new_action = self._action("&New Network…", "new-network", self.new_network)
        self.new_action.setShortcuts(QKeySequence.StandardKey.New)
        self.reshapes: dict[str, tuple[Reshape, QAction]] = {}
        self._groups: list[list[QAction]] = []
        for group in self._reshapes():
            self._groups.append([])
            for spec in group:
                action = self._action(spec.idle, spec.key, lambda _=False, s=spec: self.apply(s))
                self.reshapes[spec.key] = (spec, action)
                self._groups[-1].append(action)
        self.randomise_action = self._action("&Randomise weights (Kaiming)", "randomise-weights", self.randomise)
        self.randomise_action.setStatusTip("New weights, normal with standard deviation sqrt(2 / inputs); the biases stay")
        self.loss_actions = QActionGroup(self)
        for loss in LOSSES:
            action = self._action(loss, f"loss-{loss}", lambda _=False, n=loss: self.set_loss(n))
            action.setCheckable(True)
            self.loss_actions.addAction(action)
        follow(session, self, self._on_change)
        self._update()

    def fill_menus(self, edit: QMenu, network: QMenu) -> None:
        """Put the script copies in the Edit menu, and the rest in the Network menu."""
        edit.addSeparator()
        edit.addActions([self.numpy_script_action, self.torch_script_action])
        network.addAction(self.new_action)
        for group in self._groups:
            network.addSeparator()
            network.addActions(group)
        network.addSeparator()
        network.addAction(self.randomise_action)
        loss = network.addMenu("&Loss")
        loss.setToolTip("Compare the losses on the same network: y is converted where the kind of target changes")
        loss.addActions(self.loss_actions.actions())

    def _action(self, text: str, key: str, slot: Callable) -> QAction:
        action = QAction(text, self, objectName=key)
        action.triggered.connect(slot)
        return action

    def _reshapes(self) -> list[list[Reshape]]:
        def at(p: Position, value: int | None, text: str) -> str | None:
            return text.format(p=p) if value is not None else None

        return [[
            Reshape("add-batch-row", "Add batch row", lambda p: at(p, p.row, "Add batch row after row {p.row}"),
                    lambda net, p: (reshape.add_batch_row(net, p.row + 1), f"add batch row {p.row + 1}")),
            Reshape("remove-batch-row", "Remove batch row", lambda p: at(p, p.row, "Remove batch row {p.row}"),
                    lambda net, p: (reshape.remove_batch_row(net, p.row), f"remove batch row {p.row}")),
        ], [
            Reshape("add-input", "Add input", lambda p: at(p, p.input, "Add input after input {p.input}"),
                    lambda net, p: (reshape.add_input(net, p.input + 1), f"add input {p.input + 1}")),
            Reshape("remove-input", "Remove input", lambda p: at(p, p.input, "Remove input {p.input}"),
                    lambda net, p: (reshape.remove_input(net, p.input), f"remove input {p.input}")),
        ], [
            Reshape("add-hidden-unit", "Add hidden unit",
                    lambda p: at(p, p.unit, "Add hidden unit after unit {p.unit} of layer {p.layer}"),
                    lambda net, p: (reshape.add_hidden_unit(net, p.layer, p.unit + 1),
                                    f"add hidden unit {p.unit + 1} to layer {p.layer}")),
            Reshape("remove-hidden-unit", "Remove hidden unit",
                    lambda p: at(p, p.unit, "Remove hidden unit {p.unit} from layer {p.layer}"),
                    lambda net, p: (reshape.remove_hidden_unit(net, p.layer, p.unit),
                                    f"remove hidden unit {p.unit} from layer {p.layer}")),
        ], [
            Reshape("add-output", "Add output", lambda p: at(p, p.output, "Add output after output {p.output}"),
                    lambda net, p: (reshape.add_output(net, p.output + 1), f"add output {p.output + 1}")),
            Reshape("remove-output", "Remove output", lambda p: at(p, p.output, "Remove output {p.output}"),
                    lambda net, p: (reshape.remove_output(net, p.output), f"remove output {p.output}")),
        ], [
            Reshape("add-layer", "Add layer…", self._add_layer_label, self._add_layer),
            Reshape("remove-layer", "Remove layer",
                    lambda p: at(p, p.layer if p.layer and p.layer < p.linear_layers else None, "Remove layer {p.layer}"),
                    lambda net, p: (reshape.remove_layer(net, p.layer), f"remove layer {p.layer}")),
        ]]

    @staticmethod
    def _layer_name(layer: int | None) -> str:
        return "x" if layer == 0 else f"layer {layer}"

    def _add_layer_label(self, p: Position) -> str | None:
        """A layer goes after x or a hidden layer; after the last linear layer would be after the output."""
        if p.layer is None or p.layer >= p.linear_layers:
            return None
        return f"Add layer after {self._layer_name(p.layer)}…"

    def _add_layer(self, net: Network, p: Position) -> tuple[Network, str] | None:
        """Ask for the new layer's width: its input's width by default, which makes it start as the identity."""
        linear = [k for k, layer in enumerate(net.layers) if isinstance(layer, Linear)]
        following = net.layers[linear[p.layer]]  # the linear layer that will read the new one
        after = linear[p.layer - 1] + 1 if p.layer else None
        activation = net.layers[after].kind if after is not None and not isinstance(net.layers[after], Linear) else "relu"
        where = self._layer_name(p.layer)
        width, ok = QInputDialog.getInt(self.dialog_parent, "Add a layer", f"Units in the new {activation} layer after {where}:",
                                        following.w.shape[0], 1, MAX_LAYER_WIDTH, 1)
        if not ok:
            return None
        return reshape.add_layer(net, p.layer, width, activation), f"add layer {p.layer + 1} ({width} units) after {where}"

    # -- following the selection ------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind in ("selected", "network"):  # a new network starts with nothing selected
            self._update()

    def position(self) -> Position | None:
        selected = self.session.selected
        return None if selected is None else locate(self.session.sheet.net, *selected)

    def _update(self) -> None:
        for action in self.loss_actions.actions():
            action.setChecked(action.text() == self.session.sheet.net.loss)
        position = self.position()
        for spec, action in self.reshapes.values():
            text = None if position is None else spec.label(position)
            action.setText(text or spec.idle)
            action.setEnabled(text is not None)

    def _select(self, name: str, cell: tuple[int, ...]) -> None:
        """Select ``name[cell]`` again in the new network, if it still exists, so the next action acts there too."""
        sheet = self.session.sheet
        base = name.removesuffix(".g")
        known = base == "y" or base in sheet.p.values
        shape = sheet.array(name).shape if known else ()
        if len(shape) == len(cell) and all(0 <= i < n for i, n in zip(cell, shape)):
            self.session.select(name, cell)

    # -- acting --------------------------------------------------------------------------------

    def apply(self, spec: Reshape) -> None:
        position, selected = self.position(), self.session.selected
        if position is None or selected is None or spec.label(position) is None:
            self.message.emit(f"{spec.idle.rstrip('…')}: select a cell first, and the action works where it is.")
            return
        try:
            built = spec.build(self.session.sheet.net, position)
        except ValueError as e:
            self.message.emit(_sentence(str(e)))
            return
        if built is not None:
            self._replace(*built)
            self._select(*selected)

    def _replace(self, net: Network, text: str) -> None:
        try:
            self.editor.replace(net, text)
        except EditError as e:  # too large to run, or a value that overflows: nothing changed
            self.message.emit(_sentence(str(e)))
            return
        self.message.emit(_sentence(text))

    def set_loss(self, loss: str) -> None:
        """Switch the loss (``gradlab.reshape.set_loss`` converts y where the kind of target changes)."""
        net = self.session.sheet.net
        if loss == net.loss:
            return
        try:
            self._replace(reshape.set_loss(net, loss), f"switch the loss to {loss}")
        except ValueError as e:
            self.message.emit(_sentence(str(e)))
            self._update()

    def randomise(self) -> None:
        """New Kaiming weights from the next seed: the very weights New Network gives these widths with that seed."""
        self._replace(randomise_weights(self.session.sheet.net, self.seed),
                      f"randomise the weights (Kaiming, seed {self.seed})")
        self.seed += 1

    def new_network(self) -> None:
        dialog = NewNetworkDialog(self.dialog_parent, self.session.sheet.net)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            net = dialog.network()
        finally:
            dialog.deleteLater()
        # a new scenario, as File ▸ Open: one undo step that forgets the file, after the unsaved-work question
        try:
            loaded = self.load(net, None, f"new network: {net.title}")
        except EditError as e:
            self.message.emit(_sentence(str(e)))
            return
        if loaded:
            self.message.emit(f"New network: {net.title}.")
        else:
            self.message.emit("Kept the current work; the new network was not made.")

    def copy_script(self, flavour: str) -> None:
        """The whole network as a runnable script, onto the clipboard."""
        net = self.session.sheet.net
        QGuiApplication.clipboard().setText(numpy_script(net) if flavour == "numpy" else torch_script(net))
        if flavour == "numpy":
            self.message.emit("Copied a NumPy script of this network: run it and it prints this loss and every gradient, "
                            "bit for bit.")
        else:
            self.message.emit("Copied a PyTorch script of this network: run it and autograd prints the loss and every gradient.")
