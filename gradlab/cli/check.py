"""``gradlab check``: every gradient of a scenario against finite differences, from the shell.

Each cell gets a verdict (``gradlab.verdict``): it agrees, it disagrees, it
sits on a ReLU kink, or it can't be judged at this ε.  Exit status 0 when no
cell disagrees and most of every tensor was judged, 1 otherwise, 2 when the
input is bad (with one sentence on stderr saying why).  ``--json`` prints strict
JSON: a number that is not finite is written as null.  Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from gradlab.errors import ScenarioError
from gradlab.gradcheck import DEFAULT_EPS, SCHEMES, Check, TensorCheck, check
from gradlab.network import Network
from gradlab.overflow import first_non_finite, quiet_run
from gradlab.presets import PRESETS, preset
from gradlab.scenario import load
from gradlab.strict_json import numbers
from gradlab.text import cell_name
from gradlab.verdict import TOLERANCE, Outcome

SHOWN = 3  # reasons printed per tensor and outcome


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="gradlab check",
        description="Check every gradient of the backward pass against finite differences.",
    )
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a scenario file (.json)")
    source.add_argument("--preset", choices=list(PRESETS), help="a built-in scenario instead of a file")
    ap.add_argument("--eps", type=float, help="the step, relative to each cell: θ moves by eps·max(|θ|, 1) "
                    f"(default: {DEFAULT_EPS['float64']:g} in float64, {DEFAULT_EPS['float32']:g} in float32, "
                    "kept gentle near curves and kinks and tried again where a cell can't be judged)")
    ap.add_argument("--scheme", choices=SCHEMES, default="central", help="the difference quotient (default: central)")
    ap.add_argument("--atol", type=float, help=f"absolute tolerance (default: {TOLERANCE['float64'][0]:g}; round-off is "
                    "bounded from the network itself instead)")
    ap.add_argument("--rtol", type=float, help=f"relative tolerance (default: {TOLERANCE['float64'][1]:g} in float64, "
                    f"{TOLERANCE['float32'][1]:g} in float32)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return ap


def _cells(n: int) -> str:
    return f"{n} cell{'s' if n != 1 else ''}"


def _number(v: float) -> str:
    return f"{v:>13.6g}" if np.isfinite(v) else f"{'n/a':>13}"


def _result(t: TensorCheck) -> str:
    if not t.ok:
        return "FAIL"
    return "ok" if t.conclusive else "not judged"


def table(net: Network, result: Check) -> str:
    step = "the default, kept gentle and tried again where needed" if result.default_eps else "as given"
    lines = [
        f"{net.title or 'scenario'}: {net.dtype.name}, {result.scheme} differences, "
        f"eps = {result.eps:g} relative to each cell ({step}), atol = {result.atol:g}, rtol = {result.rtol:g}",
        f"loss = {result.loss:.9g} ({net.loss}, {net.reduction})",
        "",
        f"{'tensor':<7} {'shape':<7} {'agree':>6} {'disagree':>8} {'kinks':>6} {'unjudged':>8}  {'worst cell':<10} "
        f"{'analytic':>13} {'numeric':>13}  result",
    ]
    for t in result.tensors.values():
        a, n = t.analytic[t.worst], t.numeric[t.worst]
        lines.append(
            f"{t.name:<7} {'×'.join(map(str, t.analytic.shape)):<7} {t.agree:>6} {t.disagree:>8} {t.kinks:>6} "
            f"{t.unresolved:>8}  {cell_name('', t.worst):<10} {_number(a)} {_number(n)}  {_result(t)}"
        )
    return "\n".join(lines + [""] + summary(result))


def summary(result: Check) -> list[str]:
    """The verdict in words: "every one of N cells agrees" only when every cell was judged and agreed."""
    cells, agree = result.cells, result.count("agree")
    if agree == cells:
        return [f"every one of {cells} cells agrees"]
    parts = [f"{agree} of {cells} cells agree"]
    said: tuple[tuple[Outcome, str], ...] = (("disagree", "disagree"), ("kink", "sit on a ReLU kink"),
                                             ("unresolved", "can't be judged at this eps"))
    for outcome, words in said:
        if result.count(outcome):
            parts.append(f"{result.count(outcome)} {words}")
    lines = [", ".join(parts)]
    for t in result.tensors.values():
        for index in np.argwhere(t.outcome == "disagree")[:SHOWN]:
            index = tuple(int(i) for i in index)
            lines.append(f"  {cell_name(t.name, index)} {t.verdict(index).reason}")
        if t.disagree > SHOWN:
            lines.append(f"  … and {t.disagree - SHOWN} more cells of {t.name} disagree")
        if t.kinks:
            lines.append(f"  {t.name}: {t.kinks} of {_cells(t.analytic.size)} sit on a ReLU kink: a nudge of ±ε carries a "
                         f"ReLU's input across 0, a corner of the loss that no quotient can match")
        if t.unresolved:
            first = tuple(int(i) for i in np.argwhere(t.outcome == "unresolved")[0])
            lines.append(f"  {t.name}: {t.unresolved} of {_cells(t.analytic.size)} can't be judged at this eps, "
                         f"e.g. {cell_name(t.name, first)} {t.verdict(first).reason}")
        if not t.conclusive:
            better = t.suggested_eps(result.eps)
            if better:
                lines.append(f"  most of {t.name} was not judged: try --eps {better:g}")
            else:
                wider = ", though float64 might" if t.dtype == "float32" else ""
                lines.append(f"  most of {t.name} was not judged, and no eps can judge it in {t.dtype}{wider}")
    if result.count("disagree"):
        lines.append("some cells disagree: a backward formula does not compute what the loss does")
    elif not result.conclusive:
        lines.append("no cell disagrees, but most of some tensor was not judged, so the check says neither yes nor no")
    else:
        lines.append("no cell disagrees; the cells above were not judged")
    return lines


def _counts(t: TensorCheck | Check) -> dict[str, int]:
    return {"agree": t.count("agree"), "disagree": t.count("disagree"), "kinks": t.count("kink"),
            "unresolved": t.count("unresolved")}


def as_json(result: Check) -> str:
    """Strict JSON: no NaN or Infinity anywhere (``allow_nan=False`` would refuse to write them)."""
    tensors = result.tensors.values()
    return json.dumps({
        "loss": numbers(result.loss),
        "out": numbers(result.out),
        "grads": {t.name: numbers(t.analytic) for t in tensors},
        "numeric": {t.name: numbers(t.numeric) for t in tensors},
        "ok": result.ok,
        **_counts(result),
        "conclusive": result.conclusive,
        "eps": result.eps, "atol": result.atol, "rtol": result.rtol, "scheme": result.scheme,
        "tensors": {t.name: {**_counts(t), "ok": t.ok, "conclusive": t.conclusive} for t in tensors},
        "verdicts": {t.name: t.outcome.tolist() for t in tensors},
        "reasons": {t.name: {cell_name(t.name, tuple(int(i) for i in index)): t.verdict(tuple(int(i) for i in index)).reason
                             for index in np.argwhere(t.outcome != "agree")} for t in tensors},
    }, allow_nan=False)


def _bad_option(name: str, value: float | None) -> str | None:
    if value is None:
        return None
    if name == "eps" and not (np.isfinite(value) and value > 0):
        return f"--eps must be a positive finite number, not {value:g}"
    if name != "eps" and not (np.isfinite(value) and value >= 0):
        return f"--{name} must be a finite number at least 0, not {value:g}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for option in ("eps", "atol", "rtol"):
        problem = _bad_option(option, getattr(args, option))
        if problem:
            print(f"gradlab check: {problem}", file=sys.stderr)
            return 2
    try:
        net = preset(args.preset) if args.preset else load(args.file)
    except ScenarioError as e:
        print(f"gradlab check: {e}", file=sys.stderr)
        return 2
    p = quiet_run(net)
    problem = first_non_finite(net, p)
    if problem:
        print(f"gradlab check: the scenario cannot be checked because {problem}", file=sys.stderr)
        return 2
    result = check(net, args.eps, args.atol, args.rtol, args.scheme, p)
    print(as_json(result) if args.json else table(net, result))
    return 0 if result.ok else 1
