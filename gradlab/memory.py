"""Big arrays that an edit frees and makes again, kept in the process rather than handed back to the system.

At the lesson's full size (50 000 × 784 float32) an edit of a ``w1`` cell makes
``x.g`` again: 157 MB, filled by one product in about 25 ms.  glibc's ``malloc``
takes every block over 32 MB straight from the system (``mmap``) and hands it back
the moment it is freed, so each new ``x.g`` lands on fresh pages, and the system
zero-fills each page as it is first written: on the virtual machines the
benchmarks run on that took 0.1–0.2 s for 157 MB, several times the product.

``keep_freed_memory`` asks glibc to serve big blocks from its heap too and to keep
what is freed there, so the next array of that size reuses pages already mapped
(``benchmarks/nudge.py``: the edit itself 236 → 117 ms).  The price is that the
process keeps the memory of its largest arrays while it runs; ``give_back``
returns what is free, and the app calls it when a network is replaced.  Where the
C library is not glibc (macOS, Windows, musl) both do nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # mallopt's parameters, from glibc's malloc.h
KEPT = 2**31 - 1  # free memory at the heap's top that glibc keeps rather than trims (the most mallopt takes)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if all(hasattr(libc, f) for f in ("gnu_get_libc_version", "mallopt", "malloc_trim")) else None


def keep_freed_memory() -> bool:
    """From now on big arrays come from glibc's heap, and freed ones stay there for the next; False where this
    C library offers no such thing."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, KEPT))


def give_back() -> None:
    """Hand the free memory glibc is keeping back to the system (after a network is replaced by another)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
