"""An array freed and made again reuses mapped pages once ``keep_freed_memory`` is on, and ``give_back`` returns them.

Counted in page faults (the pages the system had to map and zero-fill for the new array), never in time.  Each case
runs in its own interpreter: the setting is for the whole process, and the test process should keep its own."""

import subprocess
import sys
from pathlib import Path

import pytest

from gradlab.memory import _glibc

ROOT = Path(__file__).resolve().parents[2]
FAULTS = """
import resource, sys
import numpy as np
from gradlab.memory import give_back, keep_freed_memory
if "keep" in sys.argv:
    assert keep_freed_memory()
big = np.ones(2**26 // 4, np.float32)  # 64 MB: well over the 32 MB glibc otherwise maps and unmaps afresh
del big
if "give-back" in sys.argv:
    give_back()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
again = np.ones(2**26 // 4, np.float32)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

pytestmark = pytest.mark.skipif(_glibc() is None, reason="keep_freed_memory needs glibc's mallopt")


def faults(*flags: str) -> int:
    done = subprocess.run([sys.executable, "-c", FAULTS, *flags], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_freed_array_comes_back_on_pages_already_mapped():
    assert faults("keep") <= 2


def test_without_it_the_same_array_lands_on_fresh_pages():
    assert faults() >= 16  # 32 two-megabyte pages where the system uses huge pages, 16 384 small ones where not


def test_given_back_the_pages_are_fresh_again():
    assert faults("keep", "give-back") >= 16
