"""What the benchmarks here share: timing a call, letting Qt go idle, and naming the machine the figures came from."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def seconds(fn: Callable[[], object], repeats: int) -> list[float]:
    """The wall-clock time of each of ``repeats`` calls of ``fn``."""
    found = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        found.append(time.perf_counter() - start)
    return found


def median(times: list[float]) -> float:
    return statistics.median(times)


def p95(times: list[float]) -> float:
    """The 95th percentile: the time 19 calls in 20 stay under."""
    ordered = sorted(times)
    return ordered[int(0.95 * (len(ordered) - 1))]


def ms(t: float) -> str:
    return f"{t * 1e3:8.2f} ms"


def machine() -> str:
    """CPUs, their model, and the load average as the figures were taken (a shared machine's figures move with it)."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return f"{os.cpu_count()} CPUs ({model}), load average {load}"


IDLE_TURNS = 4  # an edit, the refreshes its timers run, the repaints they ask for, and one turn to spare


def idle(app) -> None:
    """Run Qt's event loop until nothing is left to do: the posted events, the zero-interval timers of the
    coalesced refreshes, the repaints they ask for, and whatever those post in turn."""
    from PySide6.QtCore import QCoreApplication, QEventLoop  # Qt only for the benchmarks that open a window

    for _ in range(IDLE_TURNS):
        QCoreApplication.sendPostedEvents()
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
