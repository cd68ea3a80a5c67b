"""``gradlab check`` from the shell: tables, JSON, exit codes, and no Qt."""

import json
import subprocess
import sys

import pytest

from gradlab import PRESETS, dumps, preset
from gradlab.cli.check import main
from tests.strict_json import strict


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


def scenario(tmp_path, net, name="s.json"):
    path = tmp_path / name
    path.write_text(dumps(net))
    return str(path)


def test_kinks_are_counted_never_agreement(capsys):
    """At ε = 1 most nudges of the lesson carry a ReLU across 0: the run says so and does not call it agreement."""
    assert main(["--preset", "lesson", "--eps", "1"]) == 1
    out = capsys.readouterr().out
    assert "every one" not in out and "7 of 33 cells agree, 26 sit on a ReLU kink" in out
    assert "x: 11 of 12 cells sit on a ReLU kink" in out and "most of w1 was not judged: try --eps" in out
    x = next(line for line in out.splitlines() if line.startswith("x "))
    assert x.split()[2:6] == ["1", "0", "11", "0"] and x.endswith("not judged")
    assert main(["--preset", "lesson", "--eps", "1", "--json"]) == 1
    data = strict(capsys.readouterr().out)
    assert (data["agree"], data["disagree"], data["kinks"], data["unresolved"]) == (7, 0, 26, 0)
    assert data["tensors"]["b1"] == {"agree": 0, "disagree": 0, "kinks": 4, "unresolved": 0, "ok": True, "conclusive": False}
    assert data["ok"] is False and data["conclusive"] is False
    assert data["verdicts"]["b1"] == ["kink"] * 4 and "crosses 0" in data["reasons"]["b1"]["b1[0]"]


@pytest.mark.parametrize(("option", "value"), [("--eps", "0"), ("--eps", "-1"), ("--eps", "nan"), ("--eps", "inf"),
                                               ("--atol", "-1"), ("--rtol", "nan"), ("--atol", "inf")])
def test_options_that_are_not_positive_finite_numbers_exit_2(option, value, capsys):
    assert main(["--preset", "mazur", option, value]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert f"gradlab check: {option} must be a" in captured.err and "finite number" in captured.err


def test_a_tiny_eps_runs_and_says_every_step_vanished():
    done = run_check("--preset", "mazur", "--eps", "1e-300")
    assert done.returncode == 1 and done.stderr == ""
    assert "0 of 14 cells agree, 14 can't be judged at this eps" in done.stdout
    assert "the step vanished: θ+ε rounds back to θ = 0.05 in float64" in done.stdout
    assert "FAIL" not in done.stdout and "nan" not in done.stdout.lower()
    data = strict(run_check("--preset", "mazur", "--eps", "1e-300", "--json").stdout)
    assert data["unresolved"] == 14 and data["agree"] == 0 and data["ok"] is False


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_huge_eps_gives_no_warnings_and_no_nan_ok(name):
    done = subprocess.run([sys.executable, "-W", "error", "-m", "gradlab", "check", "--preset", name, "--eps", "1e300", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert done.stderr == "" and done.returncode == 1
    data = strict(done.stdout)
    assert data["ok"] is False and data["disagree"] == 0 and data["agree"] <= 1  # w2[2,0] of the lesson: exactly 0


def test_a_step_that_vanishes_in_float32_is_unresolved_with_its_reason(tmp_path, capsys):
    net = preset("lesson").astype("float32")
    net.x[1, 0] = 1e5
    path = scenario(tmp_path, net)
    main([path, "--eps", "1e-9"])  # x[1,0] moves by 1e-9 · 1e5 = 1e-4: below float32's spacing of 0.0078 there
    out = capsys.readouterr().out
    assert "can't be judged: the step vanished: θ+ε rounds back to θ" in out and "FAIL" not in out and "nan" not in out
    main([path, "--eps", "1e-9", "--json"])
    data = strict(capsys.readouterr().out)
    assert data["verdicts"]["x"][1][0] == "unresolved" and data["numeric"]["x"][1][0] is None
    assert data["reasons"]["x"]["x[1,0]"].startswith("can't be judged: the step vanished: θ+ε rounds back to θ = 100000 in float32")
    main([path, "--json"])  # the default step is scaled to the cell: 1e-3 · 1e5 = 100 does not vanish
    assert "vanished" not in strict(capsys.readouterr().out)["reasons"]["x"].get("x[1,0]", "")


def test_a_network_that_overflows_is_refused_with_one_sentence(tmp_path):
    net = preset("lesson")
    net.layers[0].w[0, 0] = 1e200
    done = run_check(scenario(tmp_path, net), "--json")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "gradlab check: the scenario cannot be checked because the loss overflows float64"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("options", [[], ["--eps", "1"], ["--eps", "1e-300"], ["--eps", "1e300"], ["--eps", "1e-9", "--scheme", "forward"],
                                     ["--atol", "0", "--rtol", "0"]])
def test_json_is_strict_on_every_preset_and_hostile_option(tmp_path, capsys, name, dtype, options):
    main([scenario(tmp_path, preset(name).astype(dtype)), "--json", *options])
    data = strict(capsys.readouterr().out)
    cells = sum(v.size for v in preset(name).inputs().values())
    assert data["agree"] + data["disagree"] + data["kinks"] + data["unresolved"] == cells
    assert data["ok"] == (data["disagree"] == 0 and data["conclusive"])


def test_every_one_agrees_only_when_every_cell_was_judged_and_agreed(capsys):
    for name in PRESETS:
        for options in ([], ["--eps", "1"], ["--eps", "1e-300"]):
            main(["--preset", name, *options])
            out = capsys.readouterr().out
            main(["--preset", name, "--json", *options])
            data = strict(capsys.readouterr().out)
            everyone = data["agree"] == sum(v.size for v in preset(name).inputs().values())
            assert ("every one of" in out) == everyone, (name, options)
