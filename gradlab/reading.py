"""Reading a file the user named: a regular file only, and never more of it than a limit.

A name can point at anything: a folder, a named pipe (FIFO) that blocks until
someone writes to it, a device such as ``/dev/zero`` that never ends, a socket.
So a file is opened without waiting (``O_NONBLOCK``), the opened descriptor is
asked what it is (``fstat``, so nothing can swap the file between the question
and the read), anything but a regular file is refused, and at most the limit
plus one byte is read: a file that grows past its limit while it is read is
refused too.  Every failure is one ``ScenarioError`` sentence naming the file,
printed on one line however strange its name.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from gradlab.errors import ScenarioError

_SHOWN_CHARS = 120  # of a path in a message; the end, which holds the file's name, is kept


def printable(text: str, limit: int = 40) -> str:
    """``text`` on one line for a message: control characters, lone surrogates and the like escaped
    (a newline shows as ``\\n``), and at most ``limit`` characters of it, with … where it was cut."""
    cut = text[:limit]
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                    for ch in cut)
    return shown + ("…" if len(text) > limit else "")


def shown(path: str | os.PathLike) -> str:
    """A path as a message shows it: on one line, and its end (the file's name) kept if it is long."""
    text = os.fspath(path)
    text = text if isinstance(text, str) else os.fsdecode(text)
    if len(text) > _SHOWN_CHARS:
        text = "…" + text[-_SHOWN_CHARS + 1:]
    return printable(text, _SHOWN_CHARS + 1)


def size_text(n: int) -> str:
    """A size in bytes as a person says it: 512 bytes, 40 KB, 64 MB, 1.5 GB."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n} byte" if n == 1 else f"{n} bytes"


def _not_a_file(mode: int) -> str | None:
    """What a file that is not a regular file is, in words, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refusal(path: Path, kind: str) -> ScenarioError:
    what = kind if kind.startswith("not ") else f"{kind}, not a file"
    return ScenarioError(f"{shown(path)} is {what}")


def open_regular(path: str | os.PathLike, limit: int, what: str) -> tuple[BinaryIO, int]:
    """Open ``path`` for reading if it is a regular file of at most ``limit`` bytes; returns the open
    file and its size.  ``what`` names such files in the plural, for the message ("scenarios")."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioError(f"{shown(path)} does not exist") from None
    except IsADirectoryError:
        raise _refusal(path, "a folder") from None
    except PermissionError:
        raise ScenarioError(f"{shown(path)} cannot be read: permission denied") from None
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket, or a device with nothing behind it
            raise _refusal(path, "a socket or a device") from None
        raise ScenarioError(f"{shown(path)} cannot be read: {e.strerror or e}") from None
    try:
        info = os.fstat(fd)
        kind = _not_a_file(info.st_mode)
        if kind is not None:
            raise _refusal(path, kind)
        if info.st_size > limit:
            raise _too_large(path, info.st_size, limit, what)
        if hasattr(os, "set_blocking") and getattr(os, "O_NONBLOCK", 0) != 0:
            os.set_blocking(fd, True)  # a regular file never blocks; reads are plain from here on
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _too_large(path: Path, size: int | None, limit: int, what: str) -> ScenarioError:
    how_big = size_text(size) if size is not None else f"more than {size_text(limit)}"
    return ScenarioError(f"{shown(path.name)} is {how_big}; GradLab reads {what} of up to {size_text(limit)}")


def read_bytes(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes, or ``ScenarioError`` saying why not.

    ``what`` names such files in the plural, for the message: "scenarios", "tables"."""
    path = Path(path)
    f, size = open_regular(path, limit, what)
    with f:
        try:
            data = f.read(size + 1)  # one byte more than fstat said: a file that grew shows itself
            while size < len(data) <= limit:  # it is growing as it is read: read on, but never past the limit
                more = f.read(min(2**20, limit + 1 - len(data)))
                if not more:
                    break
                data += more
        except OSError as e:
            raise ScenarioError(f"{shown(path)} cannot be read: {e.strerror or e}") from None
    if len(data) > limit:
        raise _too_large(path, None, limit, what)
    return data


def read_text(path: str | os.PathLike, limit: int, what: str) -> str:
    """A regular UTF-8 text file of at most ``limit`` bytes, without its byte-order mark if it has one."""
    data = read_bytes(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(f"{shown(Path(path).name)} is not a UTF-8 text file") from None
