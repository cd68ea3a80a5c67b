"""Grading the learner's lines off the window's thread: the newest request wins.

Grading a whole backward pass takes about 12 ms on the lesson's network and well
over 100 ms on a 784-50-10 network with a batch of 1000 (every line is worked
out again on the hidden networks), so it runs on a thread of its own and the
window never waits for it.  Each request carries a copy of the network and of
the lines, so the sheet may change while it runs.  At most one grading runs at a
time and at most one waits: a newer request replaces the one waiting, and a
result that arrives after a newer request was made is dropped, so a burst of
edits is graded once, for the last of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from gradlab.grading import Grading, grade
from gradlab.network import Network


@dataclass(frozen=True)
class Request:
    number: int  # requests are numbered as they are made: only the last one's result is shown
    net: Network  # a copy: the sheet may change while it is graded
    answers: dict[str, str]
    true_inputs: bool


class GradingWorker(QObject):
    graded = Signal(object)  # the Grading of the newest request
    failed = Signal(str)  # one sentence: the newest request could not be graded (a bug in GradLab)
    _finished = Signal(int, object)  # from the worker thread: the request's number, its Grading or exception

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradlab-grading")
        self._pool = pool
        self._made = 0
        self._running = False
        self._waiting: Request | None = None
        self._finished.connect(self._arrived)
        # a grading still running when this object goes is waited for, so it never reports to a deleted object
        self.destroyed.connect(lambda *_: pool.shutdown(wait=True, cancel_futures=True))

    @property
    def busy(self) -> bool:
        """A grading is running or waiting to run."""
        return self._running or self._waiting is not None

    def request(self, net: Network, answers: Mapping[str, str], true_inputs: bool) -> int:
        """Grade ``answers`` on a copy of ``net``; returns the request's number.  Returns at once."""
        self._made += 1
        request = Request(self._made, net.copy(), dict(answers), bool(true_inputs))
        if self._running:
            self._waiting = request  # any request waiting before is never graded: this one supersedes it
        else:
            self._start(request)
        return request.number

    def _start(self, request: Request) -> None:
        self._running = True
        self._pool.submit(self._work, request)

    def _work(self, request: Request) -> None:
        """On the worker thread: grade, and hand the result back to the window's thread."""
        try:
            result: Grading | Exception = grade(request.net, request.answers, true_inputs=request.true_inputs)
        except Exception as e:  # a bug in the core: said in one sentence rather than lost on this thread
            result = e
        with suppress(RuntimeError):  # this object has gone while the grading ran
            self._finished.emit(request.number, result)

    def _arrived(self, number: int, result: object) -> None:
        self._running = False
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._start(waiting)
        if number != self._made:
            return  # a newer request was made since: its result is the one to show
        if isinstance(result, Exception):
            self.failed.emit(f"GradLab could not grade your lines, which is a bug in GradLab ({type(result).__name__}: {result})")
        else:
            self.graded.emit(result)
