"""The whole-network check of 64 × 784 → 50 → 10 (89 936 cells), against torch.autograd.gradcheck where torch is installed.

    python benchmarks/check.py [--repeats 3] [--dtype float64] [--torch-repeats 1]

The goal is 0.25 s.  torch is no dependency of GradLab: without it the
comparison is skipped, and the check's own time is printed alone.  With it,
gradcheck runs on the same network and loss (its float64 inputs, its default
steps), in full and in ``fast_mode`` (one random direction: no verdict per
cell).  Asserts nothing: shared machines are noisy.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import machine, median, ms, seconds  # noqa: E402

from gradlab.gradcheck import check  # noqa: E402
from gradlab.presets import random_network  # noqa: E402


def torch_gradcheck(net, fast: bool) -> float | None:
    """Seconds ``torch.autograd.gradcheck`` takes on ``net`` (every input and parameter), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    x, y = torch.tensor(net.x, dtype=torch.float64), torch.tensor(net.y, dtype=torch.float64)
    params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in net.parameters().values()]
    x.requires_grad_(True)

    def loss(x, w1, b1, w2, b2):
        out = torch.relu(x @ w1 + b1) @ w2 + b2
        return ((out - y) ** 2).mean()

    start = time.perf_counter()
    torch.autograd.gradcheck(loss, (x, *params), fast_mode=fast)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python benchmarks/check.py", description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--torch-repeats", type=int, default=1, help="full gradcheck takes about a minute a run")
    args = ap.parse_args(argv)
    net = random_network([784, 50, 10], batch=64, dtype=args.dtype, seed=0)
    result = check(net)
    print(f"network 64 × 784 → 50 → 10, relu, mse, {args.dtype}: {result.cells:,} cells; {machine()}")
    t = median(seconds(lambda: check(net), args.repeats))
    print(f"{'gradlab check':<30}{ms(t)}   (goal ≤ 250 ms)   {'ok' if result.ok else 'not ok'}")
    fast = [torch_gradcheck(net, fast=True) for _ in range(max(args.repeats, 1))]
    if fast[0] is None:
        print("torch is not installed here: the comparison with torch.autograd.gradcheck is skipped")
        return
    full = [torch_gradcheck(net, fast=False) for _ in range(args.torch_repeats)]
    t_full, t_fast = median(full), median(fast)
    print(f"{'torch gradcheck':<30}{ms(t_full)}   gradlab is {t_full / t:.0f}× faster")
    print(f"{'torch gradcheck, fast_mode':<30}{ms(t_fast)}   gradlab takes {t / t_fast:.1f}× as long (fast_mode judges "
          f"one random direction, not each cell)")


if __name__ == "__main__":
    main()
