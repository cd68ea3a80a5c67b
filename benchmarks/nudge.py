"""How much cheaper one nudge is than a whole forward pass, on the lesson's real shape.

    python benchmarks/nudge.py [--batch 50000]

The lesson's MNIST net is 50 000 × 784 → 50 → 1 in float32.  A nudge of one cell
recomputes only what that cell can move; the target is at least 100× cheaper
than a forward pass.  Prints medians of repeated runs; it asserts nothing,
because shared machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from gradlab.finite_diff import nudged_losses
from gradlab.network import forward
from gradlab.presets import random_network


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python benchmarks/nudge.py", description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    net = random_network([784, 50, 1], batch=args.batch, dtype="float32", init="kaiming", seed=0)
    p = forward(net)
    full = median_seconds(lambda: forward(net), args.repeats)
    print(f"network {args.batch} × 784 → 50 → 1, float32")
    print(f"{'full forward pass':<28} {full * 1e3:9.3f} ms")
    start = time.perf_counter()
    nudged_losses(net, p, "w1", np.array([[400, 7]]), np.array([1e-3]))
    print(f"{'first nudge of w1[400, 7]':<28} {(time.perf_counter() - start) * 1e3:9.3f} ms   (reads its columns once)")
    for name, cell in (("x", (123, 456)), ("w1", (400, 7)), ("b1", (7,)), ("w2", (7, 0)), ("b2", (0,))):
        cells, eps = np.array([cell]), np.array([1e-3])
        t = median_seconds(lambda name=name, cells=cells, eps=eps: nudged_losses(net, p, name, cells, eps), args.repeats * 5)
        print(f"{'nudge ' + name + str(list(cell)):<28} {t * 1e3:9.3f} ms   {full / t:8.0f}× cheaper")


if __name__ == "__main__":
    main()
