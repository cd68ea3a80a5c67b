"""What GradLab remembers between sessions, as typed values over ``QSettings``: the session's ε, the
recent files, the zoom and the window's layout.

Each getter returns a value of its type, or the default when nothing (or
something unreadable: a hand-edited settings file) is stored.  The settings
live wherever ``QSettings()`` puts them for the application's name; tests
point that at a folder of their own.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from gradlab.errors import EditError
from gradlab.session import Session

MAX_RECENT = 8


class Preferences:
    """Recent files, window layout, the last ε and the zoom, read and written one key at a time."""

    def __init__(self, settings: QSettings | None = None):
        self.settings = settings if settings is not None else QSettings()

    def _float(self, key: str) -> float | None:
        value = self.settings.value(key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- recent files: most recent first, each once ----------------------------------

    def recent_files(self) -> list[str]:
        value = self.settings.value("files/recent")
        if isinstance(value, str):  # an INI file gives back a list of one as a plain string
            value = [value]
        if not isinstance(value, list):
            return []
        return [v for v in value if isinstance(v, str) and v][:MAX_RECENT]

    def set_recent_files(self, paths: list[str]) -> None:
        self.settings.setValue("files/recent", list(paths[:MAX_RECENT]))

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put ``path`` first (once), keep the last ``MAX_RECENT``, and return the new list."""
        entry = str(Path(path).absolute())
        paths = [entry] + [p for p in self.recent_files() if p != entry]
        self.set_recent_files(paths)
        return paths[:MAX_RECENT]

    def remove_recent_file(self, path: str | Path) -> list[str]:
        entry = str(Path(path).absolute())
        paths = [p for p in self.recent_files() if p != entry]
        self.set_recent_files(paths)
        return paths

    # -- the window --------------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, state: QByteArray) -> None:
        self.settings.setValue("window/geometry", state)

    def splitter_state(self, name: str) -> QByteArray | None:
        return self._bytes(f"window/splitter/{name}")

    def set_splitter_state(self, name: str, state: QByteArray) -> None:
        self.settings.setValue(f"window/splitter/{name}", state)

    # -- numbers -------------------------------------------------------------------------

    def epsilon(self) -> float | None:
        """The last ε the user chose, or None when there is none (the inspector keeps its own default)."""
        eps = self._float("inspector/epsilon")
        return eps if eps is not None and eps > 0 else None

    def set_epsilon(self, eps: float) -> None:
        self.settings.setValue("inspector/epsilon", float(eps))

    def zoom(self) -> float:
        """The grids' zoom factor, 1.0 unless the user changed it."""
        zoom = self._float("view/zoom")
        return zoom if zoom is not None and zoom > 0 else 1.0

    def set_zoom(self, zoom: float) -> None:
        self.settings.setValue("view/zoom", float(zoom))

    # -- the session: what the learner was doing ----------------------------------------

    def remember_session(self, session: Session) -> None:
        self.set_epsilon(session.eps)

    def restore_session(self, session: Session) -> None:
        eps = self.epsilon()
        if eps is not None:
            with contextlib.suppress(EditError):  # a hand-edited ε out of range: the session keeps its own
                session.set_eps(eps)
