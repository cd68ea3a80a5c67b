"""How long ``gradlab train --preset mazur --lr 0.5 --steps 10000`` takes: the target is well under a second.

    python benchmarks/train.py [--preset mazur] [--lr 0.5] [--steps 10000] [--repeats 5]

Prints the median time of the command run as a learner runs it (a new Python
process each time, start-up and imports included), of ``train`` in this
process, and of the definition it must equal bit for bit (``run`` then
``update``, step after step) for comparison: the wall time, and the CPU time,
which other work on a shared machine disturbs less.  A benchmark, not a test:
it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradlab.cli.train import main as train_command  # noqa: E402
from gradlab.network import run  # noqa: E402
from gradlab.presets import PRESETS, preset  # noqa: E402
from gradlab.train import train, update  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children, user and system."""
    own, children = os.times(), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.user + own.system + children.ru_utime + children.ru_stime


def median_seconds(fn, repeats: int) -> tuple[float, float]:
    """The median wall time and the median CPU time of ``fn()``."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def row(what: str, seconds: tuple[float, float], note: str = "") -> str:
    wall, cpu = seconds
    return f"{what:<40} {wall * 1e3:8.1f} ms {cpu * 1e3:8.1f} ms   {note}".rstrip()


def step_by_step(name: str, lr: float, steps: int) -> None:
    net = preset(name)
    for _ in range(steps):
        net = update(net, run(net), lr)
    run(net)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=list(PRESETS), default="mazur")
    ap.add_argument("--lr", default="0.5")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    argv = ["train", "--preset", args.preset, "--lr", args.lr, "--steps", str(args.steps)]
    command = [sys.executable, "-m", "gradlab", *argv]
    root = Path(__file__).resolve().parent.parent

    def shell() -> None:
        subprocess.run(command, check=True, capture_output=True, cwd=root)

    def python_startup() -> None:
        subprocess.run([sys.executable, "-c", "import gradlab.cli.train"], check=True, capture_output=True, cwd=root)

    def in_process() -> None:
        train(preset(args.preset), float(args.lr), args.steps)

    def cli_in_process() -> None:
        with open("/dev/null", "w") as sink:
            stdout, sys.stdout = sys.stdout, sink
            try:
                train_command(argv[1:])
            finally:
                sys.stdout = stdout

    print(f"gradlab {' '.join(argv)}   (median of {args.repeats}; load average {os.getloadavg()[0]:.2f})")
    print(f"{'':<40} {'wall':>11} {'CPU':>11}")
    print(row("the command, in a new process", median_seconds(shell, args.repeats)))
    print(row("  of which starting Python and imports", median_seconds(python_startup, args.repeats)))
    print(row("the command, in this process", median_seconds(cli_in_process, args.repeats)))
    t = median_seconds(in_process, args.repeats)
    print(row("train() in this process", t, f"{t[1] / max(args.steps, 1) * 1e6:.1f} µs of CPU a step"))
    slow = median_seconds(lambda: step_by_step(args.preset, float(args.lr), args.steps), 1)
    print(row("run() + update(), step by step", slow, "(the definition it equals bit for bit; once)"))

if __name__ == "__main__":
    main()
