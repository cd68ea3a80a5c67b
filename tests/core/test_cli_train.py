"""``gradlab train`` from the shell: Mazur's numbers, the human and JSON output, --out, --freeze,
the guard, and one sentence for every bad option."""

import subprocess
import sys

import numpy as np
import pytest

from gradlab import dumps, preset
from gradlab.cli.train import checkpoints, main
from gradlab.scenario import from_dict, load
from gradlab.train import train
from tests.strict_json import strict


def assert_same_network(a, b):
    assert a.frozen == b.frozen
    for (name, u), (_, v) in zip(a.inputs().items(), b.inputs().items()):
        assert u.dtype == v.dtype and u.tobytes() == v.tobytes(), name


def test_mazur_from_the_shell():
    """One process, as a learner runs it: his ten thousand rounds, as JSON."""
    done = subprocess.run([sys.executable, "-m", "gradlab", "train", "--preset", "mazur", "--lr", "0.5", "--steps", "10000",
                           "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data = strict(done.stdout)
    losses = data["losses"]
    assert len(losses) == 10_001
    assert abs(losses[1] - 0.291027774) < 1e-9
    assert abs(losses[9_999] - 0.0000351085) < 1e-9
    assert data["network"]["frozen"] == ["b1", "b2"]
    assert losses == train(preset("mazur"), 0.5, 10_000).losses.tolist()


def test_one_step_gives_his_updated_weights(capsys):
    assert main(["--preset", "mazur", "--lr", "0.5", "--steps", "1", "--json"]) == 0
    net = from_dict(strict(capsys.readouterr().out)["network"])
    assert abs(net.tensor("w2")[0, 0] - 0.35891648) < 1e-8
    assert abs(net.tensor("w1")[0, 0] - 0.149780716) < 1e-8
    assert net.tensor("b1").tolist() == [0.35, 0.35] and net.tensor("b2").tolist() == [0.6, 0.6]


def test_the_table_shows_the_loss_every_tenth_of_the_way(capsys):
    assert main(["--preset", "mazur", "--lr", "0.5", "--steps", "10000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Mazur's step-by-step backpropagation example: half_sse (mean), float64, lr = 0.5, frozen: b1, b2"
    assert lines[1] == "after      0 steps  loss = 0.2983711088"
    assert [line.split()[1] for line in lines[1:]] == ["0", *(f"{k:,}" for k in range(1000, 10_001, 1000))]
    assert lines[-1] == f"after 10,000 steps  loss = {train(preset('mazur'), 0.5, 10_000).losses[-1]:.10g}"
    assert checkpoints(3) == [0, 1, 2, 3] and checkpoints(0) == [0] and checkpoints(25) == [0, 2, 5, 8, 10, 12, 15, 18, 20, 22, 25]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_json_and_out_round_trip_bit_for_bit(tmp_path, capsys, dtype):
    source = tmp_path / "net.json"
    source.write_text(dumps(preset("classifier").astype(dtype)))
    out = tmp_path / "trained.json"
    assert main([str(source), "--lr", "0.3", "--steps", "57", "--freeze", "b2", "--json", "--out", str(out)]) == 0
    data = strict(capsys.readouterr().out)
    expected = train(preset("classifier").astype(dtype), 0.3, 57, frozen=["b2"])
    assert np.array(data["losses"], dtype=dtype).tobytes() == expected.losses.tobytes()
    assert_same_network(from_dict(data["network"]), expected.net)
    assert_same_network(load(out), expected.net)
    assert load(out).frozen == {"b2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json", "trained.json"]  # no temporary file left


def test_freeze_overrides_the_scenarios_own(capsys):
    mazur = preset("mazur")
    assert main(["--preset", "mazur", "--lr", "0.5", "--steps", "3", "--freeze", "", "--json"]) == 0
    net = from_dict(strict(capsys.readouterr().out)["network"])
    assert net.frozen == frozenset() and not np.array_equal(net.tensor("b1"), mazur.tensor("b1"))
    assert main(["--preset", "mazur", "--lr", "0.5", "--steps", "3", "--freeze", " w1 ,b2", "--json"]) == 0
    net = from_dict(strict(capsys.readouterr().out)["network"])
    assert net.frozen == {"w1", "b2"}
    assert net.tensor("w1").tobytes() == mazur.tensor("w1").tobytes()
    assert not np.array_equal(net.tensor("b1"), mazur.tensor("b1"))


def test_a_step_too_large_exits_1_keeping_the_last_finite_state(tmp_path, capsys):
    out = tmp_path / "kept.json"
    assert main(["--preset", "lesson", "--lr", "3", "--steps", "1000", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err == ("gradlab train: step 220 would make the loss infinite (inf), so training stopped after 219 steps, "
                            "at the last finite state: the learning rate 3 is too large\n")
    assert captured.out.splitlines()[-1].startswith("after 219 steps  loss = ")
    assert_same_network(load(out), train(preset("lesson"), 3, 219).net)
    assert main(["--preset", "lesson", "--lr", "3", "--steps", "1000", "--json"]) == 1
    assert len(strict(capsys.readouterr().out)["losses"]) == 220


def test_a_network_that_cannot_start_exits_1_with_strict_json(tmp_path, capsys):
    path = tmp_path / "huge.json"
    path.write_text('{"gradlab": 1, "x": [[1e200]], "y": [0], "layers": [{"type": "linear", "w": [[1]], "b": [0]}]}')
    assert main([str(path), "--lr", "0.1", "--steps", "5", "--json"]) == 1
    captured = capsys.readouterr()
    assert strict(captured.out)["losses"] == [None]  # the loss (1e200)² is infinite
    assert captured.err == "gradlab train: the loss is already infinite (inf) before any step, so there is nothing to train\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--lr", "0", "--steps", "3"], "--lr must be a finite number above 0, such as 0.5, not '0'"),
    (["--lr", "-0.5", "--steps", "3"], "not '-0.5'"),
    (["--lr", "nan", "--steps", "3"], "not 'nan'"),
    (["--lr", "inf", "--steps", "3"], "not 'inf'"),
    (["--lr", "1e999", "--steps", "3"], "not '1e999'"),
    (["--lr", "fast", "--steps", "3"], "not 'fast'"),
    (["--lr", "0.5", "--steps", "-1"], "--steps must be a whole number from 0 to 10,000,000, such as 1000, not '-1'"),
    (["--lr", "0.5", "--steps", "2.5"], "not '2.5'"),
    (["--lr", "0.5", "--steps", "1e4"], "not '1e4'"),
    (["--lr", "0.5", "--steps", "10000000000"], "not '10000000000'"),
    (["--lr", "0.5", "--steps", "3", "--freeze", "w3"], "--freeze: the network has no parameter named 'w3'"),
    (["--lr", "0.5", "--steps", "3", "--freeze", "b1,x"], "--freeze: x is data, not a parameter"),
    (["--lr", "0.5"], "the following arguments are required: --steps"),
    (["--steps", "3", "--lr", "0.5", "extra.json"], "not allowed with argument"),
])
def test_bad_options_exit_2_with_one_sentence(tmp_path, capsys, args, message):
    out = tmp_path / "never.json"
    assert main(["--preset", "mazur", *args, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("gradlab train: ") and message in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    assert not out.exists()


def test_a_bad_file_and_an_unwritable_out_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"gradlab": 1, "x": [[1]], "y": [1], "layers": [{"type": "linear", "w": [[1]], "b": [0]}], "frozen": ["w2"]}')
    assert main([str(bad), "--lr", "0.5", "--steps", "1"]) == 2
    assert capsys.readouterr().err == ("gradlab train: bad.json: frozen: the network has no parameter named 'w2'; "
                                       "its parameters are w1, b1\n")
    assert main(["--preset", "neuron", "--lr", "0.5", "--steps", "1", "--out", str(tmp_path / "no" / "such" / "folder.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradlab train: ") and "cannot be written" in err and len(err.splitlines()) == 1


def test_train_is_a_command_of_gradlab(capsys):
    from gradlab.cli import main as gradlab

    assert gradlab(["train", "--preset", "neuron", "--lr", "0.1", "--steps", "2"]) == 0
    assert capsys.readouterr().out.startswith("One linear unit: mse (mean), float64, lr = 0.1, frozen: nothing\n")


def test_the_command_never_mentions_qt():
    from pathlib import Path

    import gradlab.cli.train

    source = Path(gradlab.cli.train.__file__).read_text()
    assert "PySide6" not in source and "pyqtgraph" not in source and "from ui" not in source


def test_ctrl_c_is_one_sentence_and_saves_nothing(tmp_path, capsys, monkeypatch):
    import gradlab.cli.train as command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "train", interrupted)
    out = tmp_path / "never.json"
    assert command.main(["--preset", "mazur", "--lr", "0.5", "--steps", "10", "--out", str(out)]) == 130
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "gradlab train: interrupted; nothing was printed or saved\n"
    assert not out.exists()
