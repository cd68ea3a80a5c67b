"""Writing a file so that a crash never leaves half of it, and a save never changes what the file is.

The new content goes to a temporary file beside the target, is flushed to the
disk, and is renamed over the target once whole; then the folder is flushed
too, so the rename itself survives a power cut.  What the user saved over keeps
its identity: a file keeps its permissions (a teacher's 0644 file stays
readable by the class), a new file gets the permissions the user's umask gives
any new file (not the 0600 of ``tempfile.mkstemp``), and a symbolic link stays
a link: the file it points to is the one written.

A temporary file is named ``.<name>.<pid>.<random>.tmp``.  A save that is
killed midway leaves one behind; the next save beside it removes those whose
process is gone.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

STALE_SECONDS = 3600  # no save takes an hour: a temporary file this old is left over, whatever its process id


def _target(path: Path) -> Path:
    """The file a save to ``path`` writes: ``path`` itself, or, through symbolic links, the file they name."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _process_gone(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill would end the process: age decides there
        return False
    try:
        os.kill(pid, 0)  # signal 0: is there such a process? (sends nothing)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError, OverflowError):
        return False  # it exists but is not ours, or the id is odd: let age decide
    return False


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporary files interrupted saves of ``target`` left beside it; returns those removed.

    A temporary file goes when the process that made it is gone (its id is in its name) or when it
    is older than ``STALE_SECONDS`` (so a reused process id, or a name from an older GradLab that
    held no id, cannot keep it forever)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?:(?P<pid>[0-9]+)\.[0-9a-f]+|[A-Za-z0-9_]+)\.tmp")
    removed: list[Path] = []
    try:
        names = [p.name for p in target.parent.iterdir()]
    except OSError:
        return removed
    now = time.time()
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        path = target.parent / name
        try:
            info = path.lstat()
            gone = match["pid"] is not None and _process_gone(int(match["pid"]))
            if stat.S_ISREG(info.st_mode) and (gone or now - info.st_mtime > STALE_SECONDS):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def _mode_for(target: Path) -> int | None:
    """The permissions to give the new file: the old file's, or None for a new one (the umask decides)."""
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "it is not a regular file, so GradLab will not replace it")
    return stat.S_IMODE(info.st_mode)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file to the disk (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is synced
    finally:
        os.close(fd)


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write`` on a temporary file in the target's folder, flush it to disk, then rename it over
    the target (``path``, or the file a symbolic link at ``path`` names).

    On any failure the temporary file is removed, the target is left as it was, and the error is raised."""
    target = _target(Path(path))
    mode = _mode_for(target)
    remove_stale_temporaries(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # 0o666 through the umask, as any program's new file; O_EXCL: never an existing file, never a link
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.chmod(tmp, mode)
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    write_atomically(path, lambda f: f.write(text.encode("utf-8")))
