"""``gradlab grade``: a learner's backward pass, line by line, from the shell.

    gradlab grade lesson.json                      the lines in the scenario's "answers"
    gradlab grade --preset lesson --answers mine.txt
    gradlab grade lesson.json --answers mine.txt --true-inputs --json

The answers are the scenario's ``"answers"`` field or, with ``--answers``, a text
file of ``name.g = expression`` lines (blank lines and ``#`` comments allowed).
Exit status 0 when every line of the backward pass is written and right, 1 when
any is wrong, refused, waiting or missing, 2 when the input is bad (one sentence
on stderr).  Nothing here imports Qt.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from gradlab.errors import ScenarioError
from gradlab.grading import MAX_ANSWERS_BYTES, AnswersError, Grade, Grading, grade, read_answers, shape_note, worst_cell
from gradlab.network import Network
from gradlab.presets import PRESETS, preset
from gradlab.reading import read_text
from gradlab.scenario import load_scenario

PROG = "gradlab grade"


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=PROG, description="Grade a learner's backward pass, line by line.")
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a scenario file (.json); its \"answers\" are graded unless --answers is given")
    source.add_argument("--preset", choices=list(PRESETS), help="a built-in scenario instead of a file")
    ap.add_argument("--answers", metavar="FILE", help="a text file of name.g = expression lines to grade")
    ap.add_argument("--true-inputs", action="store_true",
                    help="work each line out on the true earlier gradients, not the learner's own")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return ap


class BadInput(Exception):
    """One sentence for stderr; the command exits 2."""


def network_and_answers(args: argparse.Namespace) -> tuple[Network, dict[str, str]]:
    if args.preset:
        net = preset(args.preset)
        if not args.answers:
            raise BadInput(f"the preset {args.preset} has no answers of its own: give them with --answers FILE")
        return net, answers_file(args.answers)
    net, answers = load_scenario(args.file)
    if args.answers:
        return net, answers_file(args.answers)
    if not answers:
        raise BadInput(f'{Path(args.file).name} has no "answers" to grade: add them to the file or give --answers FILE')
    return net, answers


def answers_file(name: str) -> dict[str, str]:
    """The lines of a text file of answers (``w1.g = …`` a line), read as any file GradLab opens: a regular
    file only, never more than ``MAX_ANSWERS_BYTES``."""
    path = Path(name)
    try:
        text = read_text(path, MAX_ANSWERS_BYTES, "files of answers")
    except ScenarioError as e:
        raise BadInput(str(e)) from None
    try:
        return read_answers(text)
    except AnswersError as e:
        raise BadInput(f"{path.name}: {e}") from None


def text(net: Network, result: Grading) -> str:
    inputs = "the true earlier gradients" if result.true_inputs else "the learner's own earlier lines"
    lines = [f"{net.title or 'scenario'}: {net.dtype.name}, {net.loss} ({net.reduction}); each line reads {inputs}", ""]
    written = [g for g in result.grades if g.verdict != "missing"]
    for g in written:
        lines.append(f"{g.verdict:<8} {g.target} = {g.expression}")
        if g.caret and "\n" in g.caret:  # the ^ under the problem, in line with the expression above it
            lines.append(" " * (9 + len(g.target) + 3) + g.caret.split("\n")[1])
        lines.append(f"         {g.message}")
        for note in (worst_cell(g), shape_note(g)):
            if note:
                lines.append(f"         {note}")
    if result.missing:
        lines.append(f"missing  {', '.join(result.missing)}")
    right = sum(g.verdict == "right" for g in result.grades)
    lines += ["", f"{right} of {len(result.grades)} lines right" + (", every one" if result.ok else "")]
    return "\n".join(lines)


def as_json(result: Grading) -> str:
    lines = [line_json(g) for g in result.grades if g.verdict != "missing"]
    return json.dumps({"ok": result.ok, "inputs": "true" if result.true_inputs else "own", "lines": lines,
                       "missing": result.missing}, allow_nan=False, ensure_ascii=False)


def line_json(g: Grade) -> dict:
    verdict = "refused" if g.verdict == "waiting" else g.verdict  # a waiting line can't be worked out: not right
    item: dict = {"target": g.target, "expression": g.expression, "verdict": verdict, "message": g.message}
    if g.waiting_for:
        item["waiting_for"] = list(g.waiting_for)
    if g.error is not None:
        item["offset"] = g.error.offset
    if g.cells is not None and g.verdict == "wrong" and g.cells.difference.size and not g.cells.match.all():
        item["worst"] = {"cell": list(g.cells.worst), "yours": finite(g.cells.yours), "right": finite(g.cells.right),
                         "wrong_cells": g.cells.wrong, "cells": int(g.cells.match.size)}
    if g.result is not None:
        item["shape"] = list(g.result.shape)
    if g.hidden:
        item["hidden"] = [{"network": h.label, "verdict": h.verdict, "message": h.message} for h in g.hidden]
    return item


def finite(v: float) -> float | None:
    """A number for strict JSON: null where it is not finite."""
    return v if math.isfinite(v) else None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        net, answers = network_and_answers(args)
    except (ScenarioError, BadInput) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:  # the file changed between the two reads: still one sentence
        print(f"{PROG}: {args.file} could not be read again: {e}", file=sys.stderr)
        return 2
    result = grade(net, answers, true_inputs=args.true_inputs)
    try:
        print(as_json(result) if args.json else text(net, result), flush=True)
    except BrokenPipeError:  # piped into head: the reader has all it wants, and the verdict still counts
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if result.ok else 1
