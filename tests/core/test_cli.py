"""``gradlab check`` from the shell: tables, JSON, exit codes, and no Qt."""

import json
import subprocess
import sys

import pytest

from gradlab import PRESETS, dumps, preset
from gradlab.cli.check import main


def run_check(*args):
    return subprocess.run([sys.executable, "-m", "gradlab", "check", *args], capture_output=True, text=True, timeout=60)


def test_mazur_prints_his_total_error_and_every_row_agrees():
    done = run_check("--preset", "mazur")
    assert done.returncode == 0, done.stderr
    assert "loss = 0.298371109 (half_sse, mean)" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.split()[:1] in (["x"], ["w1"], ["b1"], ["w2"], ["b2"])]
    assert len(rows) == 5 and all(row.endswith("ok") for row in rows)


def test_json_output(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(dumps(preset("classifier")))
    done = run_check(str(path), "--json")
    assert done.returncode == 0
    data = json.loads(done.stdout)
    assert {"loss", "out", "grads", "numeric", "ok", "agree", "disagree", "kinks", "unresolved"} <= set(data)
    assert data["agree"] == sum(t.size for t in preset("classifier").inputs().values()) and data["kinks"] == 0
    assert data["ok"] is True and set(data["grads"]) == {"x", "w1", "b1", "w2", "b2"}
    assert len(data["numeric"]["w2"]) == 3 and len(data["out"]) == 4


def test_disagreement_exits_1(capsys, monkeypatch):
    """A backward formula that is wrong (the bias summed over the batch forgotten): FAIL, and exit 1."""
    import gradlab.layers as layers

    real = layers.lin_grad
    monkeypatch.setattr(layers, "lin_grad", lambda inp, out_g, w: (*real(inp, out_g, w)[:2], out_g[0]))
    assert main(["--preset", "lesson"]) == 1
    out = capsys.readouterr().out
    b1 = next(line for line in out.splitlines() if line.startswith("b1 "))
    assert b1.endswith("FAIL") and "b1[0] disagrees: off by" in out and "every one" not in out


def test_a_wide_forward_step_cannot_be_judged_rather_than_failing(capsys):
    """Forward differences at ε = 0.5 miss by their truncation error: that is not a wrong gradient."""
    assert main(["--preset", "mazur", "--scheme", "forward", "--eps", "0.5", "--rtol", "1e-6", "--atol", "0"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" not in out and "0 of 14 cells agree, 14 can't be judged at this eps" in out
    assert "truncation error at this ε is about" in out and "make ε smaller" in out and "try --eps" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"gradlab": 1, "x": [[1]], "y": [1], "layers": [{"type": "conv"}]}', 'unknown type "conv"'),
        ("{not json", "not valid JSON"),
        ('{"gradlab": 7}', "version 7 is not supported"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    done = run_check(str(path))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


def test_bad_options_exit_2():
    assert run_check("--preset", "mazur", "--eps", "0").returncode == 2
    assert run_check("--preset", "nope").returncode == 2
    assert run_check("does-not-exist.json").returncode == 2


def test_every_preset_checks_clean():
    for name in PRESETS:
        assert main(["--preset", name]) == 0


def test_the_core_and_check_never_import_qt():
    code = (
        "import sys; import gradlab; from gradlab.cli import main; "
        "code = main(['check', '--preset', 'lesson']); "
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'ui'))], 'Qt was imported'; "
        "sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_no_module_of_the_core_mentions_qt():
    from pathlib import Path

    import gradlab

    for path in Path(gradlab.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "PySide6" not in source and "pyqtgraph" not in source and "from ui" not in source, path.name


def test_every_bad_scenario_class_exits_2_with_its_sentence(tmp_path, capsys):
    """The whole list of ways a scenario can be wrong, through the command: exit 2, one line, no traceback."""
    from tests.core.test_scenario import BAD

    for case, (data, message) in BAD.items():
        if case == "too many numbers":
            continue  # 21 million numbers: covered by the loader's own test, too slow to write out here
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(data))
        assert main([str(path)]) == 2, case
        captured = capsys.readouterr()
        assert message in captured.err, case
        assert captured.out == "" and len(captured.err.strip().splitlines()) == 1, case
