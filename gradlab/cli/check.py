"""``gradlab check``: every gradient of a scenario against finite differences, from the shell.

Exit status 0 when every cell agrees, 1 when some do not, 2 when the input is bad
(with one sentence on stderr saying why).  Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from gradlab.errors import ScenarioError
from gradlab.gradcheck import SCHEMES, Check, check
from gradlab.network import Network
from gradlab.presets import PRESETS, preset
from gradlab.scenario import load
from gradlab.text import cell_name


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="gradlab check",
        description="Check every gradient of the backward pass against finite differences.",
    )
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a scenario file (.json)")
    source.add_argument("--preset", choices=list(PRESETS), help="a built-in scenario instead of a file")
    ap.add_argument("--eps", type=float, help="the finite-difference step (default: 1e-6 in float64, 1e-3 in float32)")
    ap.add_argument("--scheme", choices=SCHEMES, default="central", help="the difference quotient (default: central)")
    ap.add_argument("--atol", type=float, help="absolute tolerance (default: 1e-5 in float64, 1e-3 in float32)")
    ap.add_argument("--rtol", type=float, help="relative tolerance (default: 1e-3 in float64, 1e-2 in float32)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return ap


def _sci(v: float) -> str:
    return f"{v:.3e}" if np.isfinite(v) else "n/a"


def table(net: Network, result: Check) -> str:
    lines = [
        f"{net.title or 'scenario'}: {net.dtype.name}, {result.scheme} differences, "
        f"eps = {result.eps:g}, atol = {result.atol:g}, rtol = {result.rtol:g}",
        f"loss = {result.loss:.9g} ({net.loss}, {net.reduction})",
        "",
        f"{'tensor':<7} {'shape':<9} {'worst cell':<12} {'analytic':>13} {'numeric':>13} "
        f"{'abs err':>10} {'rel err':>10}  result",
    ]
    for t in result.tensors.values():
        verdict = "ok" if t.ok else f"FAIL ({t.failures} of {t.analytic.size} cells)"
        if t.kinks:
            verdict += f", {t.kinks} on a ReLU kink"
        a, n = t.analytic[t.worst], t.numeric[t.worst]
        lines.append(
            f"{t.name:<7} {'×'.join(map(str, t.analytic.shape)):<9} {cell_name('', t.worst):<12} "
            f"{a:>13.6g} {n:>13.6g} {_sci(t.abs_err):>10} {_sci(t.rel_err):>10}  {verdict}"
        )
    cells = sum(t.analytic.size for t in result.tensors.values())
    lines += ["", f"every one of {cells} cells agrees" if result.ok else "some cells disagree"]
    return "\n".join(lines)


def _plain(a: np.ndarray) -> list:
    """A JSON-ready list, with null where a number is not finite (a step that vanished)."""
    return np.where(np.isfinite(a), a, None).tolist()


def as_json(result: Check) -> str:
    return json.dumps({
        "loss": result.loss,
        "out": _plain(result.out),
        "grads": {k: _plain(t.analytic) for k, t in result.tensors.items()},
        "numeric": {k: _plain(t.numeric) for k, t in result.tensors.items()},
        "ok": result.ok,
    })


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for option in ("eps", "atol", "rtol"):
        value = getattr(args, option)
        if value is not None and not (np.isfinite(value) and value >= (0 if option != "eps" else 1e-300)):
            print(f"gradlab check: --{option} must be a finite number {'above' if option == 'eps' else 'at least'} 0, not {value}",
                  file=sys.stderr)
            return 2
    try:
        net = preset(args.preset) if args.preset else load(args.file)
    except ScenarioError as e:
        print(f"gradlab check: {e}", file=sys.stderr)
        return 2
    result = check(net, args.eps, args.atol, args.rtol, args.scheme)
    print(as_json(result) if args.json else table(net, result))
    return 0 if result.ok else 1
