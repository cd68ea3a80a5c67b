"""The Qt binding itself: some releases mishandle reference counts, which crashes the app much later."""

import gc
import sys

from PySide6.QtGui import QColor


def test_void_methods_leave_none_alone():
    """PySide6 6.12.0 decremented None's count on each void call; on Python 3.11 that aborts the interpreter."""
    colour = QColor("#336699")
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(1000):
        colour.setAlpha(10)
    gc.collect()
    assert sys.getrefcount(None) >= before - 10
