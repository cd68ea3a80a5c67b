"""What GradLab remembers between sessions (the session's ε, the recent files, the zoom and the window's
layout), as plain data in a file GradLab reads and writes itself.

PySide6's ``QSettings.value()`` unpickles a value stored as ``@Variant(…)``, and
unpickling runs whatever code the pickle names: a planted preference could take
over the app as it starts.  So GradLab never reads its preferences through
``QSettings``.  They live in the file ``QSettings`` would use (its INI file,
whose folder tests and ``--screenshot`` point elsewhere), one ``key=value`` a
line under ``[section]`` headers, each value a JSON number, string or list:

    [files]
    recent=["/home/ada/lesson.json"]
    [inspector]
    epsilon=1e-05

Each line is read with ``gradlab.strict_json``.  A value of any other kind is
ignored: a typed ``@Variant(…)`` or other ``@…(…)`` value with a warning, since
it is not plain data.  Each getter returns a value of its type, or the default
when nothing (or something unreadable) is stored.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import os
import secrets
import warnings
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from gradlab import strict_json
from gradlab.atomic import write_text_atomically
from gradlab.errors import EditError, ScenarioError
from gradlab.reading import printable, read_text
from gradlab.session import Session

MAX_RECENT = 8
MAX_BYTES = 2**20  # preferences are a few lines; a larger file is not GradLab's
_warned: set[str] = set()  # each problem with the file is told once, not at every read


def _warn(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, stacklevel=4)


def preferences_file() -> Path:
    """The application's INI file where ``QSettings`` keeps it (tests and ``--screenshot`` move that folder).

    The folder is asked of a ``QSettings`` for a made-up name, never for GradLab's own: a ``QSettings``
    opens its file when it goes away, and GradLab's own file may be a FIFO planted to hang the app."""
    app = QCoreApplication.applicationName() or "GradLab"
    organisation = QCoreApplication.organizationName() or app
    probe = f"gradlab-probe-{secrets.token_hex(8)}"
    folder = Path(QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, probe, probe).fileName()).parent.parent
    return folder / organisation / f"{app}.ini"


def read_preferences(path: Path) -> dict[str, Any]:
    """Every plain value in the file, by its full key (``files/recent``); nothing is ever unpickled."""
    try:
        text = read_text(path, MAX_BYTES, "preference files")
    except ScenarioError as e:
        if path.exists() or path.is_symlink():
            _warn(f"GradLab ignored its preferences: {e}")
        return {}
    values: dict[str, Any] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = "" if line == "[General]" else line[1:-1] + "/"
            continue
        key, equals, raw = line.partition("=")
        if not equals:
            continue
        key, raw = section + key.strip().replace("\\", "/"), raw.strip()
        if raw.startswith("@"):
            if not raw.startswith("@ByteArray("):  # a window layout from an older GradLab: plain, but not ours
                _warn(f"GradLab ignored the preference {printable(key)} in {path}: it is a {printable(raw, 12)} value, "
                      "not plain data (PySide would unpickle it, which can run code)")
            continue
        try:
            values[key] = strict_json.loads(raw, "the value")
        except ScenarioError:
            values[key] = raw.removeprefix('"').removesuffix('"')  # a plain string as QSettings writes one
    return values


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=False)  # ensure_ascii: any character, even half of one, is written safely


def write_preferences(path: Path, values: dict[str, Any]) -> None:
    """Write every value as ``key=JSON`` lines under ``[section]`` headers, atomically."""
    sections: dict[str, list[str]] = {}
    for key, value in values.items():
        section, _, name = key.partition("/") if "/" in key else ("General", "", key)
        name = name.replace("/", "\\")  # window/splitter/main: splitter\main under [window], as QSettings writes it
        sections.setdefault(section, []).append(f"{name}={_dumps(value)}")
    text = "".join(f"[{section}]\n" + "".join(line + "\n" for line in lines) for section, lines in sections.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, text)


class Preferences:
    """Recent files, window layout, the last ε and the zoom, read and written one key at a time."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else preferences_file()

    def value(self, key: str) -> Any:
        return read_preferences(self.path).get(key)

    def set_value(self, key: str, value: Any) -> None:
        values = read_preferences(self.path)
        values[key] = value
        try:
            write_preferences(self.path, values)
        except (OSError, ValueError) as e:  # preferences are a convenience: never worth stopping the app for
            warnings.warn(f"GradLab could not keep its preferences in {self.path}: {getattr(e, 'strerror', None) or e}",
                          stacklevel=3)

    def _float(self, key: str) -> float | None:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        number = float(value)
        return number if math.isfinite(number) else None

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.value(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            return QByteArray(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return None

    def _set_bytes(self, key: str, state: QByteArray) -> None:
        self.set_value(key, base64.b64encode(bytes(state.data())).decode("ascii"))

    # -- recent files: most recent first, each once ----------------------------------

    def recent_files(self) -> list[str]:
        value = self.value("files/recent")
        if isinstance(value, str):  # an older GradLab's INI file gives back a list of one as a plain string
            value = [value]
        if not isinstance(value, list):
            return []
        return [v for v in value if isinstance(v, str) and v][:MAX_RECENT]

    def set_recent_files(self, paths: list[str]) -> None:
        self.set_value("files/recent", list(paths[:MAX_RECENT]))

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
        self._set_bytes("window/geometry", state)

    def splitter_state(self, name: str) -> QByteArray | None:
        return self._bytes(f"window/splitter/{name}")

    def set_splitter_state(self, name: str, state: QByteArray) -> None:
        self._set_bytes(f"window/splitter/{name}", state)

    # -- numbers -------------------------------------------------------------------------

    def epsilon(self) -> float | None:
        """The last ε the user chose, or None when there is none (the inspector keeps its own default)."""
        eps = self._float("inspector/epsilon")
        return eps if eps is not None and eps > 0 else None

    def set_epsilon(self, eps: float) -> None:
        self.set_value("inspector/epsilon", float(eps))

    def zoom(self) -> float:
        """The grids' zoom factor, 1.0 unless the user changed it."""
        zoom = self._float("view/zoom")
        return zoom if zoom is not None and zoom > 0 else 1.0

    def set_zoom(self, zoom: float) -> None:
        self.set_value("view/zoom", float(zoom))

    # -- the session: what the learner was doing ----------------------------------------

    def remember_session(self, session: Session) -> None:
        self.set_epsilon(session.eps)

    def restore_session(self, session: Session) -> None:
        eps = self.epsilon()
        if eps is not None:
            with contextlib.suppress(EditError):  # a hand-edited ε out of range: the session keeps its own
                session.set_eps(eps)
