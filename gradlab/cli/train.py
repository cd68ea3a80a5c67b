"""``gradlab train``: steps of gradient descent on a scenario, from the shell.

    gradlab train (FILE | --preset NAME) --lr LR --steps N [--freeze b1,b2] [--json] [--out FILE]

Prints the loss before the first step, every 10 % of the way, and after the
last; ``--json`` prints ``{"losses": [loss before step 1, after step 1, …],
"network": <the trained scenario>}`` instead; ``--out`` saves the trained
scenario (atomically).  ``--freeze`` names the parameters to leave alone
(default: the scenario's own ``frozen``; ``--freeze ""`` trains them all).

Exit status 0 when every step ran, 1 when a step would have made a number
infinite or nan (training keeps the last finite state, which ``--json`` and
``--out`` still give, and says why on stderr), 2 when the input is bad, with
one sentence on stderr, 130 when interrupted (Ctrl+C) before the end.
Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from gradlab.errors import ScenarioError
from gradlab.network import Network, frozen_names
from gradlab.presets import PRESETS, preset
from gradlab.scenario import load, save, to_dict
from gradlab.text import exact_values
from gradlab.train import MAX_STEPS, Training, learning_rate, step_count, train

PROG = "gradlab train"


class BadInput(Exception):
    """An option or argument that is wrong; the message is one sentence."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # one sentence, not a usage block
        raise BadInput(message)


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog=PROG, description="Take steps of gradient descent, w -= lr * w.g, and watch the loss come down.")
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a scenario file (.json)")
    source.add_argument("--preset", choices=list(PRESETS), help="a built-in scenario instead of a file")
    ap.add_argument("--lr", required=True, help="the learning rate, a number above 0")
    ap.add_argument("--steps", required=True, help="how many steps to take, a whole number from 0 up")
    ap.add_argument("--freeze", help='parameters to leave alone, e.g. b1,b2 (default: the scenario\'s own; "" for none)')
    ap.add_argument("--json", action="store_true", help="print the losses and the trained scenario as one JSON object")
    ap.add_argument("--out", help="save the trained scenario to this file")
    return ap


def _lr(text: str) -> float:
    try:
        return learning_rate(float(text.replace("−", "-")))
    except ValueError as e:
        shown = f"{text!r:.40}"
        raise BadInput(f"--lr must be a finite number above 0, such as 0.5, not {shown}") from e


def _steps(text: str) -> int:
    try:
        return step_count(int(text))
    except ValueError as e:
        shown = f"{text!r:.40}"
        raise BadInput(f"--steps must be a whole number from 0 to {MAX_STEPS:,}, such as 1000, not {shown}") from e


def _frozen(net: Network, text: str | None) -> frozenset[str] | None:
    """The parameters --freeze names (None: the scenario's own); "" names none."""
    if text is None:
        return None
    try:
        return frozen_names(net, [name.strip() for name in text.split(",") if name.strip()])
    except ValueError as e:
        raise BadInput(f"--freeze: {e}") from None


def checkpoints(steps: int) -> list[int]:
    """The steps whose loss is printed: 0, every 10 % of the way, and the last."""
    return sorted({round(steps * k / 10) for k in range(11)})


def table(net: Network, result: Training) -> str:
    frozen = [name for name in net.parameters() if name in result.net.frozen]
    lines = [f"{net.title or 'scenario'}: {net.loss} ({net.reduction}), {net.dtype.name}, lr = {result.lr:g}, "
             f"frozen: {', '.join(frozen) or 'nothing'}"]
    width = len(f"{result.steps:,}")
    for k in checkpoints(result.steps):
        lines.append(f"after {k:>{width},} step{'s' if k != 1 else ' '}  loss = {result.losses[k]:.10g}")
    return "\n".join(lines)


def as_json(result: Training) -> str:
    """Strict JSON, every loss written exactly.  Training keeps only finite states, so a loss can be
    infinite only at the start, of a network that cannot be trained; it is written as null."""
    losses = [v if math.isfinite(v) else None for v in exact_values(result.losses)]
    return json.dumps({"losses": losses, "network": to_dict(result.net)}, allow_nan=False)


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        lr, steps = _lr(args.lr), _steps(args.steps)
        net = preset(args.preset) if args.preset else load(args.file)
        frozen = _frozen(net, args.freeze)
    except (BadInput, ScenarioError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    try:
        result = train(net, lr, steps, frozen=frozen)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was printed or saved", file=sys.stderr)
        return 130
    if args.out:
        try:
            save(result.net, args.out)
        except OSError as e:
            print(f"{PROG}: {args.out} cannot be written: {e.strerror or e}", file=sys.stderr)
            return 2
    print(as_json(result) if args.json else table(net, result))
    if result.stopped:
        print(f"{PROG}: {result.stopped}", file=sys.stderr)
        return 1
    return 0
