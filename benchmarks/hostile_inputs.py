"""How long GradLab takes at its size limits, and to refuse the hostile inputs of issue 10.

    python benchmarks/hostile_inputs.py

Prints, for networks just inside the limits of ``gradlab.cost``, the time of one
edit (a whole forward and backward pass, as the sheet runs after each change);
then, for each hostile input, how long the refusal took and the sentence, each
in a fresh process limited to 1 GB of address space, with its peak memory.  A
benchmark, not a test: shared machines are noisy, so read the figures as a
rough guide and rerun on a quiet machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from gradlab.cost import network_cost, numbers_text  # noqa: E402
from gradlab.presets import random_network  # noqa: E402
from gradlab.sheet import Sheet  # noqa: E402

REFUSE = """
import resource, sys, time
from gradlab.errors import ScenarioError
from gradlab.npz_file import load_npz
from gradlab.scenario import load
start = time.perf_counter()
try:
    (load_npz if sys.argv[1].endswith(".npz") else load)(sys.argv[1])
    told = "loaded"
except ScenarioError as e:
    told = str(e)
print(f"{time.perf_counter() - start:.2f}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, told, sep="\\t")
"""


def edit_time(sizes: list[int], batch: int) -> None:
    net = random_network(sizes, batch=batch)
    cost = network_cost(net)
    sheet = Sheet(net)
    times = []
    for k in range(3):
        start = time.perf_counter()
        sheet.set_cell("w1", (0, 0), 0.1 * k)
        times.append(time.perf_counter() - start)
    print(f"  {sizes} × batch {batch}: {numbers_text(cost.numbers)} numbers, {numbers_text(cost.work)} multiply-adds, "
          f"problem: {cost.problem()}; one edit {min(times):.2f} s (best of 3)")


def hostile_files(folder: Path) -> dict[str, Path]:
    n = 10**6
    files = {"item_one.json": '{"gradlab": 1, "loss": "cross_entropy", "x": [' + ",".join(["[0]"] * n) + '], "y": ['
             + ",".join(["0"] * n) + '], "layers": [{"type": "linear", "w": [[' + ",".join(["0"] * n) + ']], "b": ['
             + ",".join(["0"] * n) + "]}]}",
             "layers_1e4.json": '{"gradlab": 1, "x": [[1]], "y": [[1]], "layers": ['
             + ",".join(['{"type": "linear", "w": [[1.5]], "b": [0.25]}'] * 10_000) + "]}",
             "deep.json": "[" * 100_000 + "]" * 100_000}
    paths = {}
    for name, text in files.items():
        paths[name] = folder / name
        paths[name].write_text(text)
    paths["zip_bomb.npz"] = folder / "zip_bomb.npz"
    np.savez_compressed(paths["zip_bomb.npz"], x=np.zeros((10**7, 1)), y=np.zeros((10**7, 1)), meta=np.array(json.dumps(
        {"gradlab": 1, "layers": [{"type": "linear"}]})))
    paths["sparse_250mb.json"] = folder / "sparse_250mb.json"
    with paths["sparse_250mb.json"].open("wb") as f:
        f.truncate(250 * 2**20)
    paths["fifo.json"] = folder / "fifo.json"
    os.mkfifo(paths["fifo.json"])
    return paths


def limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("one edit near the limits:")
    edit_time([10, 150, 1], 100_000)  # about 10⁸ numbers
    edit_time([1000, 600, 1], 1000)  # about 2·10⁹ multiply-adds
    print("refusals (seconds, peak MB, sentence):")
    with tempfile.TemporaryDirectory() as folder:
        for name, path in hostile_files(Path(folder)).items():
            done = subprocess.run([sys.executable, "-c", REFUSE, str(path)], capture_output=True, text=True, timeout=300,
                                  cwd=ROOT, preexec_fn=limit)
            print(f"  {name}: {done.stdout.strip() or done.stderr.strip()[-300:]}")


if __name__ == "__main__":
    main()
