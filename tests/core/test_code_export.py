"""Copy as NumPy / Copy as PyTorch: each script runs on its own and prints the app's numbers."""

import ast
import json
import subprocess
import sys
import types

import numpy as np
import pytest

from gradlab import PRESETS, preset, random_network, run
from gradlab.code_export import exact_values, numpy_script, torch_script
from gradlab.layers import Tanh
from gradlab.train import train
from tests.script_runner import printed, run_scripts

DTYPES = ["float64", "float32"]
RANDOM = {  # between them: every activation, every loss with both reductions, and a batch (with a seed)
    # where adding up the loss in another order than the app's changes its last bits
    "leaky-mse-sum": dict(sizes=[3, 4, 2], activation="leaky_relu", loss="mse", reduction="sum", seed=1),
    "sigmoid-ce-mean": dict(sizes=[2, 5, 3, 3], activation="sigmoid", loss="cross_entropy", reduction="mean", seed=1),
    "tanh-half-mean": dict(sizes=[4, 3, 2], activation="tanh", loss="half_sse", reduction="mean", seed=1),
    "sigmoid-half-sum": dict(sizes=[3, 3, 4], activation="sigmoid", loss="half_sse", reduction="sum", seed=1),
    "tanh-mse-mean-wide": dict(sizes=[3, 20, 12], batch=40, activation="tanh", loss="mse", reduction="mean", seed=4),
    "leaky-ce-sum": dict(sizes=[2, 4, 4, 3], activation="leaky_relu", loss="cross_entropy", reduction="sum", seed=1),
}


def network(kind, dtype):
    """A preset by name, a random network by its key in RANDOM, or ``odd``: an activation straight
    on x and a leaky_relu with its own slope."""
    if kind in PRESETS:
        return preset(kind).astype(dtype)
    if kind in RANDOM:
        return random_network(**RANDOM[kind], dtype=dtype)
    net = random_network([3, 4, 2], activation="leaky_relu", seed=5)
    net.layers[1].slope = 0.2
    net.layers.insert(0, Tanh())
    return net.astype(dtype)


NETWORKS = [*PRESETS, *RANDOM, "odd"]


def run_script(tmp_path, text):
    """Run ``text`` as its own Python program; return what it printed, ``{"loss": …, "x.g": […], …}``."""
    done = subprocess.run([sys.executable, "-c", text], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return printed(done.stdout)


@pytest.fixture(scope="module")
def printed_by(tmp_path_factory):
    """What every NumPy script (and, where torch is installed, every PyTorch script) of this module's
    networks printed, all run in one interpreter: ``printed_by[flavour, kind, dtype]``."""
    writers = {"numpy": numpy_script}
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        writers["torch"] = torch_script
    scripts = {(flavour, kind, dtype): write(network(kind, dtype))
               for flavour, write in writers.items() for kind in NETWORKS for dtype in DTYPES}
    return run_scripts(tmp_path_factory.mktemp("scripts"), scripts)


def imports(text):
    tree = ast.parse(text)
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", NETWORKS)
def test_numpy_script_prints_the_apps_loss_and_gradients_bit_for_bit(printed_by, kind, dtype):
    net = network(kind, dtype)
    assert imports(numpy_script(net)) == {"numpy"}
    printed = printed_by["numpy", kind, dtype]
    assert isinstance(printed, dict), printed
    p = run(net)
    assert list(printed) == ["loss", *(f"{name}.g" for name in net.inputs())]
    assert printed["loss"] == float(p.loss)
    for name, grad in p.grads.items():
        if name in net.inputs():
            assert np.array(printed[f"{name}.g"], dtype=net.dtype).tobytes() == grad.tobytes(), name


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", NETWORKS)
def test_torch_script_agrees_with_the_app(printed_by, kind, dtype):
    pytest.importorskip("torch")
    net = network(kind, dtype)
    printed = printed_by["torch", kind, dtype]
    assert isinstance(printed, dict), printed
    p, rtol = run(net), 1e-10 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(printed["loss"], float(p.loss), rtol=rtol)
    for name in net.inputs():
        grad = p.grads[name]
        np.testing.assert_allclose(printed[f"{name}.g"], grad, rtol=rtol, atol=rtol * np.abs(grad).max(), err_msg=name)


def torch_tensors(text):
    """``{name: (values, {keyword: source})}`` for every ``name = torch.tensor(values, …)`` line."""
    tensors = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.value).startswith("torch.tensor("):
            options = {k.arg: ast.unparse(k.value) for k in node.value.keywords}
            tensors[node.targets[0].id] = (ast.literal_eval(node.value.args[0]), options)
    return tensors


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", NETWORKS)
def test_torch_script_is_python_and_holds_the_exact_numbers(kind, dtype):
    net = network(kind, dtype)
    text = torch_script(net)
    compile(text, "torch_script.py", "exec")
    assert imports(text) == {"torch", "torch.nn.functional"}
    tensors = torch_tensors(text)
    assert list(tensors) == ["x", "y", *net.parameters()]
    for name, (values, options) in tensors.items():
        a = net.tensor(name)
        assert np.array(values, dtype=a.dtype).tobytes() == a.tobytes(), name
        assert options.get("dtype") == (None if a.dtype.kind == "i" else f"torch.{dtype}")
        assert options.get("requires_grad") == (None if name == "y" else "True")


def fake_torch():
    """Just enough of torch, over numpy and written from torch's documentation, to run a torch
    script's forward pass where torch is not installed."""

    def reduce(terms, reduction):
        return terms.mean() if reduction == "mean" else terms.sum()

    def cross_entropy(out, y, reduction):
        log_p = out - np.log(np.exp(out).sum(-1, keepdims=True))
        return reduce(-log_p[np.arange(len(y)), y], reduction)

    functional = types.ModuleType("torch.nn.functional")
    functional.leaky_relu = lambda t, slope: np.where(t > 0, t, slope * t)
    functional.mse_loss = lambda out, y, reduction: reduce((out - y) ** 2, reduction)
    functional.cross_entropy = cross_entropy
    torch = types.ModuleType("torch")
    torch.float64, torch.float32 = np.float64, np.float32
    torch.tensor = lambda values, dtype=None, requires_grad=False: np.array(values, dtype=dtype)
    torch.relu, torch.tanh = lambda t: np.maximum(t, 0), np.tanh
    torch.sigmoid = lambda t: 1 / (1 + np.exp(-t))
    torch.nn = types.ModuleType("torch.nn")
    torch.nn.functional = functional
    return {"torch": torch, "torch.nn": torch.nn, "torch.nn.functional": functional}


@pytest.mark.parametrize("kind", NETWORKS)
def test_torch_scripts_forward_pass_computes_the_apps_loss(monkeypatch, kind):
    net = network(kind, "float64")
    for name, module in fake_torch().items():
        monkeypatch.setitem(sys.modules, name, module)
    forward, backward, _ = torch_script(net).partition("loss.backward()")
    assert backward
    namespace = {}
    exec(forward, namespace)
    np.testing.assert_allclose(namespace["loss"], run(net).loss, rtol=1e-12)
    np.testing.assert_allclose(namespace["out"], run(net).values["out"], rtol=1e-12)


@pytest.mark.parametrize("kind", ["lesson", "mazur", "classifier", "odd"])
def test_numpy_script_defines_only_the_functions_the_network_uses(kind):
    net = network(kind, "float64")
    defined = {node.name for node in ast.parse(numpy_script(net)).body if isinstance(node, ast.FunctionDef)}
    used = {layer.kind for layer in net.layers if layer.kind != "linear"}
    losses = {f"{net.loss}_rows", f"{net.loss}_grad"} | ({"log_softmax", "softmax"} if net.loss == "cross_entropy" else set())
    assert defined == {"lin", "lin_grad", *used, *(f"{kind}_grad" for kind in used), *losses}


def test_float32_scripts_hold_short_numbers():
    net = preset("mazur").astype("float32")
    for text in (numpy_script(net), torch_script(net)):
        assert "[0.15, 0.25]," in text and "0.15000000596" not in text


def test_float32_values_are_written_short_and_read_back_exactly():
    bits = np.random.default_rng(0).integers(0, 2**32, 200_000, dtype=np.uint64).astype(np.uint32)
    values = bits.view(np.float32)
    values = values[np.isfinite(values)]
    assert np.array(exact_values(values), dtype=np.float32).tobytes() == values.tobytes()
    assert repr(exact_values(np.array([0.1, -0.0, 1e-45, 3.4028235e38], dtype=np.float32))) == (
        "[0.1, -0.0, 1e-45, 3.4028235e+38]"
    )


@pytest.mark.parametrize("title", [
    'Ada\'s "best" net\nsecond line\r\n\tthird — ünïcødé ✓ 🧠 \u2028 \x00 """ \\ coding: nonsense',
    "",
])
def test_any_title_gives_a_working_script(tmp_path, title):
    net = preset("neuron")
    net.title = title
    text = numpy_script(net)
    first_line, second_line = text.splitlines()[:2]
    assert first_line.startswith("# GradLab: ") and first_line.endswith(" — rebuilt with its exact numbers")
    assert second_line.startswith("# Run it")
    if title:
        assert "Ada's \"best\" net second line third — ünïcødé ✓ 🧠 \"\"\" \\ coding" in first_line
    assert run_script(tmp_path, text)["loss"] == float(run(net).loss)
    assert torch_script(net).splitlines()[0] == first_line
    compile(torch_script(net), "torch_script.py", "exec")


# With a learning rate: one step of gradient descent after the gradients

UPDATES = {  # key → (network, learning rate); every loss, both dtypes, frozen and not
    "mazur": (lambda: preset("mazur"), 0.5),
    "mazur-float32": (lambda: preset("mazur").astype("float32"), 0.5),
    "lesson": (lambda: preset("lesson"), 0.1),
    "classifier-float32": (lambda: preset("classifier").astype("float32"), 0.7),
    "sigmoid-ce-mean": (lambda: network("sigmoid-ce-mean", "float64"), 1.3),
    "tanh-half-sum-float32": (lambda: network("tanh-half-sum", "float32"), 0.05),
    "odd-frozen": (lambda: frozen(network("odd", "float64"), "w1", "b2"), 0.25),
    "all-frozen": (lambda: frozen(preset("neuron"), "w1", "b1"), 0.1),
}

RUN_ALL = """
import contextlib, io, json, pathlib, sys, warnings
warnings.simplefilter("error")
printed = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.py")):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), {"__name__": "__main__"})
    printed[path.stem] = buffer.getvalue()
print(json.dumps(printed))
"""


def frozen(net, *names):
    net.frozen = frozenset(names)
    return net


def parse(output):
    printed = {}
    for line in output.splitlines():
        name, _, value = line.partition(" = ")
        printed[name] = ast.literal_eval(value)
    return printed


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    """Every script of UPDATES run in one Python process (each in a namespace of its own): what each printed."""
    folder = tmp_path_factory.mktemp("scripts")
    for key, (make, lr) in UPDATES.items():
        (folder / f"{key}.py").write_text(numpy_script(make(), lr=lr), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", RUN_ALL, str(folder)], capture_output=True, text=True, timeout=120,
                          cwd=folder)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return {key: parse(text) for key, text in json.loads(done.stdout).items()}


@pytest.mark.parametrize("key", UPDATES)
def test_numpy_script_with_a_learning_rate_takes_the_cores_step_bit_for_bit(updated, key):
    make, lr = UPDATES[key]
    net = make()
    printed = updated[key]
    step = train(net, lr, 1)
    trainable = net.trainable()
    assert list(printed) == ["loss", *(f"{name}.g" for name in net.inputs()), *trainable, "loss after the step"]
    assert printed["loss"] == float(step.losses[0])
    for name in trainable:
        assert np.array(printed[name], dtype=net.dtype).tobytes() == step.net.tensor(name).tobytes(), name
    assert np.array(printed["loss after the step"], dtype=net.dtype).tobytes() == step.losses[1].tobytes()


def test_numpy_script_says_which_parameters_are_frozen():
    text = numpy_script(preset("mazur"), lr=0.5)
    assert "lr = 0.5\nw1 -= lr * w1_g\nw2 -= lr * w2_g\n# b1, b2 are frozen: they keep their values\n" in text
    assert "# every parameter is frozen: the step changes nothing" in numpy_script(UPDATES["all-frozen"][0](), lr=0.1)
    assert "gradient descent" not in numpy_script(preset("mazur")) and "lr = " not in numpy_script(preset("mazur"))
    with pytest.raises(ValueError, match="above 0"):
        numpy_script(preset("mazur"), lr=0.0)


def sgd_calls(text):
    """The parameters given to torch.optim.SGD and its lr, and the order of the statements that matter."""
    tree = ast.parse(text)
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.optim.SGD"]
    statements = [ast.unparse(node) for node in tree.body]
    return calls, statements


@pytest.mark.parametrize("key", UPDATES)
def test_torch_script_with_a_learning_rate_steps_sgd_on_the_parameters_not_frozen(key):
    make, lr = UPDATES[key]
    net = make()
    text = torch_script(net, lr=lr)
    compile(text, "torch_script.py", "exec")
    calls, statements = sgd_calls(text)
    trainable = net.trainable()
    if not trainable:
        assert calls == [] and "optimizer.step()" not in statements
        return
    (call,) = calls
    assert [ast.unparse(a) for a in call.args[0].elts] == trainable
    assert [(k.arg, ast.unparse(k.value)) for k in call.keywords] == [("lr", "lr")]
    assert f"lr = {lr!r}" in statements
    assert statements.index("loss.backward()") < statements.index("optimizer.step()")
    prints = [s for s in statements if s.startswith("print(")]
    assert prints[-len(trainable) - 1:] == [*(f"print('{n} =', {n}.tolist())" for n in trainable),
                                           "print('loss after the step =', loss.item())"]


@pytest.mark.parametrize("key", UPDATES)
def test_torch_script_with_a_learning_rate_agrees_with_the_app(tmp_path, key):
    pytest.importorskip("torch")
    make, lr = UPDATES[key]
    net = make()
    done = subprocess.run([sys.executable, "-W", "error", "-c", torch_script(net, lr=lr)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    printed, step = parse(done.stdout), train(net, lr, 1)
    rtol = 1e-10 if net.dtype == np.float64 else 1e-4
    for name in net.trainable():
        np.testing.assert_allclose(printed[name], step.net.tensor(name), rtol=rtol, atol=rtol, err_msg=name)
    np.testing.assert_allclose(printed["loss after the step"], step.losses[1], rtol=rtol)
