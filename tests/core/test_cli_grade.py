"""``gradlab grade`` from the shell: answers from a scenario or a text file, exit codes, strict JSON, no Qt."""

import json
import os
import subprocess
import sys

import pytest

from gradlab import preset, run, save
from gradlab.cli.grade import main
from gradlab.grading import reference_answers
from tests.strict_json import strict

LESSON = preset("lesson")
RIGHT = reference_answers(LESSON)


def run_grade(*args):
    return subprocess.run([sys.executable, "-m", "gradlab", "grade", *args], capture_output=True, text=True, timeout=60)


def answers_file(tmp_path, answers, name="mine.txt", header="# my backward pass\n\n"):
    path = tmp_path / name
    path.write_text(header + "".join(f"{target} = {expression}\n" for target, expression in answers.items()))
    return str(path)


def test_every_line_right_exits_0(tmp_path):
    done = run_grade("--preset", "lesson", "--answers", answers_file(tmp_path, RIGHT | {"w1.g": "x.t() @ l1.g"}))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\nright    ") == 8 and done.stdout.rstrip().endswith("8 of 8 lines right, every one")


def test_a_wrong_line_exits_1_with_its_diagnosis_and_worst_cell(tmp_path, capsys):
    assert main(["--preset", "lesson", "--answers", answers_file(tmp_path, RIGHT | {"out.g": "2. * (out - y)"})]) == 1
    out = capsys.readouterr().out
    assert "wrong    out.g = 2. * (out - y)\n         your out.g is 4 times too large: divide by out.numel()" in out
    assert "         worst cell out.g[3,0]: yours −2.192, right −0.548 (4 of 4 cells wrong)" in out
    assert "this line is right, but it reads your out.g, which is wrong" in out  # l2.g, with the learner's own out.g


def test_true_inputs_grade_each_line_alone(tmp_path):
    path = answers_file(tmp_path, RIGHT | {"out.g": "2. * (out - y)"})
    data = strict(run_grade("--preset", "lesson", "--answers", path, "--true-inputs", "--json").stdout)
    assert data["inputs"] == "true" and [line["verdict"] for line in data["lines"]] == ["wrong"] + ["right"] * 7


def test_json_is_one_strict_object(tmp_path):
    answers = RIGHT | {"w1.g": "l1.g.t() @ x", "b1.g": "l1.g.sum(0", "out.g": "2. * (out - y) / out.shape[0]"}
    del answers["x.g"]
    done = run_grade("--preset", "lesson", "--answers", answers_file(tmp_path, answers), "--json")
    assert done.returncode == 1 and done.stderr == ""
    data = strict(done.stdout)
    assert data["ok"] is False and data["missing"] == ["x.g"]
    lines = {line["target"]: line for line in data["lines"]}
    assert [line["target"] for line in data["lines"]] == ["out.g", "l2.g", "w2.g", "b2.g", "l1.g", "w1.g", "b1.g"]
    assert all(set(line) >= {"target", "expression", "verdict", "message"} for line in data["lines"])
    assert all(line["verdict"] in ("right", "wrong", "refused") for line in data["lines"])
    assert lines["w1.g"]["verdict"] == "wrong" and "the transpose of w1's 3×4" in lines["w1.g"]["message"]
    assert lines["w1.g"]["shape"] == [4, 3]
    assert lines["b1.g"] == {"target": "b1.g", "expression": "l1.g.sum(0", "verdict": "refused",
                             "message": "this ( is never closed", "offset": 8}
    assert lines["out.g"]["verdict"] == "wrong" and lines["out.g"]["message"].startswith("right here, but wrong with widths")
    assert [h["verdict"] for h in lines["out.g"]["hidden"]] == ["right", "wrong", "right"]
    assert lines["l2.g"]["verdict"] == "right"  # the learner's out.g is right on this network
    assert lines["l2.g"]["hidden"][0] == {"network": "a batch of 1 row", "verdict": "right", "message": "right"}


def test_a_waiting_line_is_refused_in_json(tmp_path):
    answers = dict(RIGHT)
    del answers["out.g"]
    data = strict(run_grade("--preset", "lesson", "--answers", answers_file(tmp_path, answers), "--json").stdout)
    l2 = data["lines"][0]
    assert l2["verdict"] == "refused" and l2["waiting_for"] == ["out.g"] and data["missing"] == ["out.g"]


def test_answers_from_a_scenario_file(tmp_path):
    path = tmp_path / "exercise.json"
    save(LESSON, path, RIGHT)
    assert run_grade(str(path)).returncode == 0
    save(LESSON, path, RIGHT | {"l1.g": "l2.g"})
    done = run_grade(str(path), "--json")
    assert done.returncode == 1
    l1 = next(line for line in strict(done.stdout)["lines"] if line["target"] == "l1.g")
    assert "multiply by the mask (l1 > 0).float()" in l1["message"]
    p = run(LESSON)
    off_and_reached = int(((p.values["l1"] <= 0) & (p.grads["l2"] != 0)).sum())
    assert l1["worst"]["right"] == 0 and l1["worst"]["wrong_cells"] == off_and_reached and l1["worst"]["cells"] == 16
    # --answers replaces the file's own answers
    assert run_grade(str(path), "--answers", answers_file(tmp_path, RIGHT)).returncode == 0


def test_a_handout_with_blank_answers_lists_them_missing(tmp_path):
    path = tmp_path / "handout.json"
    save(LESSON, path, {target: "" for target in RIGHT})
    done = run_grade(str(path), "--json")
    assert done.returncode == 1 and strict(done.stdout) == {"ok": False, "inputs": "own", "lines": [],
                                                            "missing": list(RIGHT)}


@pytest.mark.parametrize(("args", "message"), [
    (["--preset", "lesson"], "gradlab grade: the preset lesson has no answers of its own: give them with --answers FILE"),
    (["--preset", "lesson", "--answers", "nope.txt"], "gradlab grade: nope.txt does not exist"),
    (["no-such.json"], "gradlab grade: no-such.json does not exist"),
])
def test_bad_options_exit_2_with_one_sentence(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message and captured.out == ""


@pytest.mark.parametrize(("content", "message"), [
    ("out.g = 1\nw1.g x.t() @ l1.g\n", "mine.txt: line 2: a backward line starts with the gradient it sets"),
    ("out.g = 1\nout.g = 2\n", "mine.txt: line 2 sets out.g again; line 1 already set it"),
    (b"w1.g = \xff\n", "mine.txt is not a UTF-8 text file"),
])
def test_a_bad_answers_file_exits_2_naming_the_line(tmp_path, content, message):
    path = tmp_path / "mine.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    done = run_grade("--preset", "lesson", "--answers", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_scenario_without_answers_or_with_bad_ones_exits_2(tmp_path):
    path = tmp_path / "plain.json"
    save(LESSON, path)
    done = run_grade(str(path))
    assert done.returncode == 2
    assert done.stderr.strip() == 'gradlab grade: plain.json has no "answers" to grade: add them to the file or give --answers FILE'
    data = json.loads(path.read_text()) | {"answers": {"w1.g": 7}}
    path.write_text(json.dumps(data))
    done = run_grade(str(path))
    assert done.returncode == 2 and 'plain.json: answers["w1.g"] is 7, but it must be text' in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_an_answers_file_that_is_not_a_regular_file_is_refused_without_reading(tmp_path, kind):
    path = tmp_path / "mine.txt"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: reading it would wait forever
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    done = run_grade("--preset", "lesson", "--answers", str(path))
    assert done.returncode == 2 and "mine.txt is a" in done.stderr and ", not a file" in done.stderr


def test_unknown_option_exits_2():
    assert run_grade("--preset", "lesson", "--answer-sheet", "x").returncode == 2
    assert run_grade("--preset", "nope").returncode == 2


def test_a_teachers_loop_over_submissions(tmp_path):
    """Each student's file graded in turn: the exit codes sort them, the JSON says why."""
    submissions = {
        "ada": RIGHT,
        "ben": RIGHT | {"b1.g": "l1.g.mean(0)"},
        "cy": {k: v for k, v in RIGHT.items() if k != "x.g"},
        "dee": RIGHT | {"x.g": "l1.g @ w1.t("},
    }
    codes = {}
    for student, answers in submissions.items():
        done = run_grade("--preset", "lesson", "--answers", answers_file(tmp_path, answers, f"{student}.txt"), "--json")
        codes[student] = (done.returncode, strict(done.stdout)["ok"])
    assert codes == {"ada": (0, True), "ben": (1, False), "cy": (1, False), "dee": (1, False)}


def test_grade_never_imports_qt(tmp_path):
    path = answers_file(tmp_path, RIGHT)
    code = (
        "import sys; from gradlab.cli import main; "
        f"code = main(['grade', '--preset', 'lesson', '--answers', {path!r}]); "
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'ui'))], 'Qt was imported'; "
        "sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
