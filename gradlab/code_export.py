"""Copy as NumPy, Copy as PyTorch: the network as a short script a learner can run.

``numpy_script(net)`` copies the core's own functions (``lin``, ``lin_grad``,
``relu``, ``relu_grad``, ``mse_rows``, ``mse_grad``…, only those the network
uses), writes the network's arrays with their exact values, and calls the
functions in the order the app does: the forward pass, then the hand-written
backward pass.  Same functions, same order, same dtype: the script prints the
app's loss and gradients bit for bit.  ``torch_script(net)`` rebuilds the same
tensors for PyTorch and lets autograd find the gradients, a check that does not
depend on GradLab at all.  Every line comes from the layer and loss definitions
(``gradlab.layers``, ``gradlab.losses``).

Both print ``loss = …`` and then one ``<name>.g = […]`` line per input, x, w1,
b1, …, every number written so that reading it back gives the exact value.

Given a learning rate (``numpy_script(net, lr=0.5)``), both go on to one step of
gradient descent on every parameter not frozen (``net.frozen``): the lesson's
``w -= lr * w.g`` in the NumPy script, ``torch.optim.SGD`` in the PyTorch one.
Then they run the forward pass again and print ``<name> = […]`` for each
updated parameter and ``loss after the step = …``: in the NumPy script the
very bits of ``gradlab.train.train(net, lr, 1)``.
"""

from __future__ import annotations

import inspect
import re
import textwrap

import numpy as np

from gradlab import layers, losses
from gradlab.network import Network
from gradlab.text import exact_values, shortest
from gradlab.train import learning_rate

FLAVOURS = ("numpy", "torch")


def literal(a: np.ndarray) -> str:
    """A Python list literal of ``a``'s exact values, a matrix one row a line."""
    values = exact_values(a)
    if a.ndim == 2 and len(values) > 1:
        return "[\n" + "".join(f"    {row!r},\n" for row in values) + "]"
    return repr(values)


def header(net: Network, how: str) -> str:
    """The opening comment: the title on one line of printable text, never read as an encoding declaration."""
    printable = "".join(ch if ch.isprintable() else " " for ch in net.title)
    title = " ".join(printable.split()) or "an untitled network"
    title = re.sub(r"coding(?=[:=])", "coding ", title)  # "# … coding: x" in line 1 would set the file's encoding
    return f"# GradLab: {title} — rebuilt with its exact numbers\n# {how}\n"


def prints(net: Network, grad: str) -> list[str]:
    """The lines that print the loss and every ``.g``; ``grad`` names the gradient of ``{name}``."""
    lines = ["", 'print("loss =", loss.item())']
    lines += [f'print("{name}.g =", {grad.format(name=name)}.tolist())' for name in net.inputs()]
    return lines


def function_source(name: str) -> str:
    """The source of one of the core's lesson functions, defined under its lesson name ``name``."""
    function = getattr(losses if hasattr(losses, name) else layers, name)
    source = textwrap.dedent(inspect.getsource(function)).strip() + "\n"
    return source.replace(f"def {function.__name__}(", f"def {name}(", 1)


def numpy_functions(net: Network) -> list[str]:
    """The names of the functions the script needs, each once, in the order the network first uses them."""
    names: list[str] = []
    for layer in net.layers:
        names += [n for n in layer.numpy_functions if n not in names]
    return names + [n for n in net.loss_kind.numpy_functions if n not in names]


def update_lines(net: Network, lr: float, step: list[str]) -> list[str]:
    """One step of gradient descent: the lines ``step`` that take it, between what it does and a
    word on the parameters it leaves alone."""
    frozen = [name for name in net.parameters() if name in net.frozen]
    lines = ["", "# one step of gradient descent: w -= lr * w.g for every parameter not frozen", f"lr = {lr!r}", *step]
    if frozen and not net.trainable():
        lines.append("# every parameter is frozen: the step changes nothing")
    elif frozen:
        lines.append(f"# {', '.join(frozen)} {'is' if len(frozen) == 1 else 'are'} frozen: "
                     f"{'it keeps its value' if len(frozen) == 1 else 'they keep their values'}")
    return lines


def after_update(net: Network, forward: list[str]) -> list[str]:
    """The forward pass again, then the updated parameters and the loss after the step."""
    lines = ["", "# forward again, for the loss after the step", *forward, ""]
    lines += [f'print("{name} =", {name}.tolist())' for name in net.trainable()]
    return [*lines, 'print("loss after the step =", loss.item())']


def numpy_script(net: Network, lr: float | None = None) -> str:
    """A numpy-only script that rebuilds ``net`` and prints the app's loss and gradients, bit for bit;
    with ``lr``, it then takes one step of gradient descent and prints what ``train`` gives."""
    lr = None if lr is None else learning_rate(lr)
    kind = net.loss_kind
    divisor = kind.divisor((net.batch, 1), net.reduction)  # its text does not depend on the sizes
    how = "Run it: it prints the loss and every gradient the app shows, bit for bit"
    how += "." if lr is None else f", then the parameters and the loss after one step with lr = {lr!r}."
    lines = [header(net, how), "import numpy as np", "", "", "\n\n".join(function_source(n) for n in numpy_functions(net)), ""]
    for name, a in [("x", net.x), ("y", net.y), *net.parameters().items()]:
        dtype = f", dtype=np.{a.dtype.name}" if a.dtype.kind == "f" and a.dtype != np.float64 else ""
        lines.append(f"{name} = np.array({literal(a)}{dtype})")
    named = net.named_layers()
    forward = [*(layer.fill(layer.numpy_forward, names) for layer, names in named), f"loss = {kind.name}_rows(out, y).sum() / n"]
    lines += ["", "# forward", *forward[:-1], f"n = {divisor.numpy}  # {divisor.why}", forward[-1]]
    lines += ["", "# backward: a_g is the lesson's a.g, the gradient of the loss with respect to a",
              f"out_g = {kind.name}_grad(out, y, n)",
              *(layer.fill(layer.numpy_backward, names) for layer, names in reversed(named))]
    lines += prints(net, "{name}_g")
    if lr is not None:
        step = [f"{name} -= lr * {name}_g" for name in net.trainable()]
        lines += [*update_lines(net, lr, step), *after_update(net, forward)]
    return "\n".join(lines) + "\n"


def torch_loss(net: Network) -> str:
    if net.loss == "half_sse":
        per_batch = " / out.shape[0]" if net.reduction == "mean" else ""
        return f"loss = 0.5 * ((y - out) ** 2).sum(){per_batch}"
    function = "mse_loss" if net.loss == "mse" else "cross_entropy"
    return f'loss = F.{function}(out, y, reduction="{net.reduction}")'


def torch_script(net: Network, lr: float | None = None) -> str:
    """A PyTorch script that rebuilds ``net`` and prints the loss and gradients autograd finds; with
    ``lr``, it then takes one step of ``torch.optim.SGD`` and prints the parameters and the loss after it."""
    lr = None if lr is None else learning_rate(lr)
    how = "Run it: PyTorch's autograd finds the gradients; they should match the app's to rounding."
    if lr is not None:
        how = how[:-1] + f", and so should the step of SGD with lr = {lr!r}."
    lines = [header(net, how), "import torch", "import torch.nn.functional as F", ""]
    for name, a in [("x", net.x), ("y", net.y), *net.parameters().items()]:
        options = f", dtype=torch.{a.dtype.name}" if a.dtype.kind == "f" else ""
        options += ", requires_grad=True" if name != "y" else ""
        lines.append(f"{name} = torch.tensor({literal(a)}{options})")
    forward = [*(layer.fill(layer.torch_forward, names) for layer, names in net.named_layers()), torch_loss(net)]
    lines += ["", *forward, "loss.backward()  # fills x.grad, w1.grad, …: the lesson's x.g, w1.g, …"]
    lines += prints(net, "{name}.grad")
    if lr is not None:
        trainable = net.trainable()
        step = [f"optimizer = torch.optim.SGD([{', '.join(trainable)}], lr=lr)  # plain SGD: w -= lr * w.grad",
                "optimizer.step()"] if trainable else []
        lines += [*update_lines(net, lr, step), *after_update(net, forward)]
    return "\n".join(lines) + "\n"


def array_literal(name: str, a: np.ndarray, flavour: str) -> str:
    """``a`` as a line of numpy or torch code, ``w1 = np.array([[…], […]])``, that rebuilds it exactly."""
    if flavour not in FLAVOURS:
        raise ValueError(f"the flavour is {flavour!r}; it must be one of {', '.join(FLAVOURS)}")
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} cannot be assigned to in Python")
    a = np.asarray(a)
    texts = shortest(a)
    texts = np.where(texts == "nan", 'float("nan")', np.where(texts == "inf", 'float("inf")', texts))
    texts = np.where(texts == "-inf", '-float("inf")', texts)
    ctor = "np.array" if flavour == "numpy" else "torch.tensor"
    head = f"{name} = {ctor}("
    if a.ndim == 0:
        body = str(texts)
    elif a.ndim == 1:
        body = "[" + ", ".join(texts.tolist()) + "]"
    elif a.ndim == 2:
        rows = ["[" + ", ".join(row) + "]" for row in texts.tolist()]
        body = "[" + (",\n" + " " * (len(head) + 1)).join(rows) + "]"
    else:
        raise ValueError(f"only tensors of up to 2 dimensions can be written as code, not {a.ndim}")
    dtype = ""
    if a.dtype.kind == "f" and (flavour == "torch" or a.dtype != np.float64):
        dtype = f", dtype={'np' if flavour == 'numpy' else 'torch'}.{a.dtype.name}"
    return f"{head}{body}{dtype})"
