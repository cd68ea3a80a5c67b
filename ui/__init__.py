"""GradLab's desktop app: Qt views over the ``gradlab`` core.

``ui.MainWindow`` and ``ui.INFLUENCE_ROLE`` are imported on first use, so that
``ui.launch`` (the ``gradlab`` command) can run ``gradlab check`` without Qt.
"""

from __future__ import annotations

from typing import Any

__all__ = ["INFLUENCE_ROLE", "MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from ui.main_window import MainWindow

        return MainWindow
    if name == "INFLUENCE_ROLE":
        from ui.grid_model import INFLUENCE_ROLE

        return INFLUENCE_ROLE
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
