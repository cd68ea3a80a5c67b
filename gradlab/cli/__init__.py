"""GradLab's commands from the shell, none of which imports Qt.

    gradlab check (FILE | --preset NAME) [options]     every gradient against finite differences
    gradlab jacobian (FILE | --preset NAME) --of TENSOR[r,c] --wrt TENSOR [--eps E] [--json]
                                                        ∂of/∂wrt, analytic and numeric
    gradlab train (FILE | --preset NAME) --lr LR --steps N [options]     steps of gradient descent
    gradlab grade (FILE | --preset NAME) [options]     a learner's backward lines, right or wrong and why

Each command is a module of this package with a ``main(argv) -> int`` that
returns the exit status: 0 for success, 1 when the answer is "no" (a gradient
disagrees), 2 when the input is bad, with one sentence on stderr.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {  # name → (module, what it does)
    "check": ("gradlab.cli.check", "check every gradient of the backward pass against finite differences"),
    "jacobian": ("gradlab.cli.jacobian", "how one watched value moves with every cell of one tensor, analytic and numeric"),
    "train": ("gradlab.cli.train", "take steps of gradient descent, w -= lr * w.g, and print the loss as it comes down"),
    "grade": ("gradlab.cli.grade", "grade a learner's backward lines against the true gradients"),
}


def usage() -> str:
    lines = ["usage: gradlab COMMAND …", "", "commands:"]
    lines += [f"  {name:<10} {what}" for name, (_, what) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``argv[0]`` (a command's name) with the rest of ``argv``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(usage(), file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return int(module.main(argv[1:]))
