"""``gradlab jacobian`` from the shell: the thread's local derivatives, JSON, exit codes, one-sentence refusals."""

import json
import subprocess
import sys

import numpy as np
import pytest

from gradlab import dumps, preset, random_network, run
from gradlab.cli.jacobian import main
from gradlab.layers import ACTIVATIONS
from gradlab.losses import LOSSES
from gradlab.watch import Watched, backprop, upstream, watched


def run_jacobian(*args):
    return subprocess.run([sys.executable, "-m", "gradlab", "jacobian", *args], capture_output=True, text=True, timeout=60)


def as_json(capsys, *args):
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_lessons_l1_0_2_by_x_and_by_b1(capsys):
    net = preset("lesson")
    code, by_x = as_json(capsys, "--preset", "lesson", "--of", "l1[0,2]", "--wrt", "x")
    assert code == 0
    assert set(by_x) >= {"of", "wrt", "analytic", "numeric", "agree"}  # and the counts: disagree, unresolved, kinks
    assert (by_x["of"], by_x["wrt"], by_x["agree"]) == ("l1[0,2]", "x", True)
    expected = np.zeros((4, 3))
    expected[0] = net.tensor("w1")[:, 2]  # column 2 of w1: row 2 of w1.t()
    np.testing.assert_array_equal(by_x["analytic"], expected)
    np.testing.assert_allclose(by_x["numeric"], expected, atol=1e-9)
    code, by_b = as_json(capsys, "--preset", "lesson", "--of", "l1[0,2]", "--wrt", "b1")
    assert code == 0 and by_b["analytic"] == [0, 0, 1, 0]  # the identity matrix's column 2
    code, by_w = as_json(capsys, "--preset", "lesson", "--of", "l1[0,2]", "--wrt", "w1")
    expected = np.zeros((3, 4))
    expected[:, 2] = net.tensor("x")[0]
    np.testing.assert_array_equal(by_w["analytic"], expected)


def test_of_loss_is_the_ordinary_gradient_and_of_a_row_its_share(capsys):
    p = run(preset("classifier"))
    code, whole = as_json(capsys, "--preset", "classifier", "--of", "loss", "--wrt", "w2")
    assert code == 0 and whole["agree"]
    np.testing.assert_array_equal(whole["analytic"], p.grads["w2"])
    rows = []
    for b in range(4):
        code, row = as_json(capsys, "--preset", "classifier", "--of", f"loss[{b}]", "--wrt", "w2")
        assert code == 0 and row["agree"] and row["of"] == f"loss[{b}]"
        rows.append(row["analytic"])
    np.testing.assert_allclose(np.sum(rows, axis=0), p.grads["w2"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("loss", LOSSES)
def test_random_networks_agree_through_the_shell(tmp_path, capsys, loss, dtype):
    """Every activation and loss, both dtypes: a scenario file, one cell of every computed tensor and the loss."""
    for seed, kind in enumerate(ACTIVATIONS):
        net = random_network([3, 3, 2], batch=3, activation=kind, loss=loss, dtype="float64", seed=seed)
        for layer in net.linear_layers():
            layer.b = np.random.default_rng(seed).normal(size=layer.b.shape)  # no ReLU input exactly on its kink
        net = net.astype(dtype)
        path = tmp_path / f"{kind}.json"
        path.write_text(dumps(net))
        p = run(net)
        for of in ["loss", "loss[2]", *(f"{a}[2,1]" for a in net.activations())]:
            for wrt in upstream(net, watched(net, of)):
                code, found = as_json(capsys, str(path), "--of", of, "--wrt", wrt)
                # a slope far below the others can be lost in round-off at the default ε: "can't be judged",
                # never "disagree"; and then the exit status says it was not a yes
                assert found["disagree"] == 0 and (found["agree"] or found["unresolved"]), (kind, of, wrt, found)
                assert code == (0 if found["agree"] else 1)
                np.testing.assert_array_equal(np.array(found["analytic"], dtype), backprop(net, watched(net, of), p)[wrt])


def test_the_table_is_readable():
    done = run_jacobian("--preset", "lesson", "--of", "l1[0,2]", "--wrt", "x")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "∂l1[0,2]/∂x: The lesson's network in miniature, float64, shaped like x (4×3)"
    assert "from a one-hot l1.g: 1 at [0,2], 0 elsewhere" in done.stdout
    assert lines[3].split() == ["[:,0]", "[:,1]", "[:,2]"]
    assert lines[4].split() == ["[0,:]", "0.2", "-0.3", "0.1"]  # w1[:,2]
    assert lines[5].split() == ["[1,:]", "0", "0", "0"]
    assert lines[-1].startswith("they agree")


def test_a_tiny_eps_answers_the_sheets_zero(capsys):
    assert main(["--preset", "lesson", "--of", "out[0,0]", "--wrt", "w1", "--eps", "1e-16"]) == 1
    out = capsys.readouterr().out
    assert "they cannot be judged at this ε" in out  # round-off, not a wrong formula
    assert "below float64's resolution at 0.436" in out and "the step was lost in round-off — try a larger ε" in out
    code, found = as_json(capsys, "--preset", "lesson", "--of", "out[0,0]", "--wrt", "x", "--eps", "1e-30")
    assert code == 1 and found["agree"] is False
    assert found["numeric"] == [[None] * 3] * 4  # every step vanished: null, not NaN, in strict JSON


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--of", "l1[0,2]", "--wrt", "w2"], "w2 is downstream of l1[0,2]: nudging it cannot move l1[0,2]"),
        (["--of", "l1[4,0]", "--wrt", "x"], "l1[4,0] is outside l1, which is 4×4"),
        (["--of", "l1[0]", "--wrt", "x"], "l1 is 4×4, so a cell of it has 2 indices"),
        (["--of", "x[0,0]", "--wrt", "x"], "x is an input, not a computed value"),
        (["--of", "q[0,0]", "--wrt", "x"], "q is not a tensor of this network"),
        (["--of", "loss[9]", "--wrt", "x"], "loss[9] is not a row of the loss"),
        (["--of", "l1[0,", "--wrt", "x"], "does not name a cell"),
        (["--of", "loss", "--wrt", "q"], "the network has no tensor named 'q'"),
        (["--of", "loss", "--wrt", "loss"], "the loss is computed from everything else"),
        (["--of", "loss", "--wrt", "x", "--eps", "0"], "--eps must be a finite number above 0, not 0.0"),
        (["--of", "loss", "--wrt", "x", "--eps", "nan"], "--eps must be a finite number above 0, not nan"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(capsys, args, message):
    assert main(["--preset", "lesson", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == f"gradlab jacobian: {captured.err.strip().split(': ', 1)[1]}"
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1


def test_bad_files_and_options_exit_2_from_the_shell(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    done = run_jacobian(str(path), "--of", "loss", "--wrt", "x")
    assert done.returncode == 2 and "not valid JSON" in done.stderr and "Traceback" not in done.stderr
    assert run_jacobian("--preset", "lesson", "--wrt", "x").returncode == 2  # --of is required
    assert run_jacobian("--preset", "nope", "--of", "loss", "--wrt", "x").returncode == 2


def test_the_command_is_registered_and_never_imports_qt():
    code = (
        "import sys; from gradlab.cli import COMMANDS, main; assert 'jacobian' in COMMANDS; "
        "code = main(['jacobian', '--preset', 'mazur', '--of', 'out[0,1]', '--wrt', 'w1']); "
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'ui'))], 'Qt was imported'; "
        "sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "∂out[0,1]/∂w1" in done.stdout


def test_the_json_row_of_a_watched_cell_is_its_one_hot_backward_pass(capsys):
    net = preset("mazur")
    code, found = as_json(capsys, "--preset", "mazur", "--of", "out[0,1]", "--wrt", "l2")
    assert code == 0
    p = run(net)
    row = backprop(net, Watched("out", (0, 1)), p)["l2"]
    np.testing.assert_array_equal(found["analytic"], row)
    out = p.values["out"][0, 1]  # out[0,1] = sigmoid(l2[0,:] @ w2[:,1] + b2[1]): the chain rule by hand
    np.testing.assert_allclose(row[0], out * (1 - out) * net.tensor("w2")[:, 1], rtol=1e-14)
