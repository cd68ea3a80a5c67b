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
"""

from __future__ import annotations

import inspect
import re
import textwrap

import numpy as np

from gradlab import layers, losses
from gradlab.network import Network
from gradlab.text import exact_values, shortest

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
    """The source of one of the core's lesson functions, as the script defines it."""
    module = losses if hasattr(losses, name) else layers
    return textwrap.dedent(inspect.getsource(getattr(module, name))).strip() + "\n"


def numpy_functions(net: Network) -> list[str]:
    """The names of the functions the script needs, each once, in the order the network first uses them."""
    names: list[str] = []
    for layer in net.layers:
        names += [n for n in layer.numpy_functions if n not in names]
    return names + [n for n in net.loss_kind.numpy_functions if n not in names]


def numpy_script(net: Network) -> str:
    """A numpy-only script that rebuilds ``net`` and prints the app's loss and gradients, bit for bit."""
    kind = net.loss_kind
    divisor = kind.divisor((net.batch, 1), net.reduction)  # its text does not depend on the sizes
    lines = [header(net, "Run it: it prints the loss and every gradient the app shows, bit for bit."),
             "import numpy as np", "", "", "\n\n".join(function_source(n) for n in numpy_functions(net)), ""]
    for name, a in [("x", net.x), ("y", net.y), *net.parameters().items()]:
        dtype = f", dtype=np.{a.dtype.name}" if a.dtype.kind == "f" and a.dtype != np.float64 else ""
        lines.append(f"{name} = np.array({literal(a)}{dtype})")
    named = net.named_layers()
    lines += ["", "# forward", *(layer.fill(layer.numpy_forward, names) for layer, names in named)]
    lines += [f"n = {divisor.numpy}  # {divisor.why}", f"loss = {kind.name}_rows(out, y).sum() / n"]
    lines += ["", "# backward: a_g is the lesson's a.g, the gradient of the loss with respect to a",
              f"out_g = {kind.name}_grad(out, y, n)",
              *(layer.fill(layer.numpy_backward, names) for layer, names in reversed(named))]
    return "\n".join([*lines, *prints(net, "{name}_g")]) + "\n"


def torch_loss(net: Network) -> str:
    if net.loss == "half_sse":
        per_batch = " / out.shape[0]" if net.reduction == "mean" else ""
        return f"loss = 0.5 * ((y - out) ** 2).sum(){per_batch}"
    function = "mse_loss" if net.loss == "mse" else "cross_entropy"
    return f'loss = F.{function}(out, y, reduction="{net.reduction}")'


def torch_script(net: Network) -> str:
    """A PyTorch script that rebuilds ``net`` and prints the loss and gradients autograd finds."""
    how = "Run it: PyTorch's autograd finds the gradients; they should match the app's to rounding."
    lines = [header(net, how), "import torch", "import torch.nn.functional as F", ""]
    for name, a in [("x", net.x), ("y", net.y), *net.parameters().items()]:
        options = f", dtype=torch.{a.dtype.name}" if a.dtype.kind == "f" else ""
        options += ", requires_grad=True" if name != "y" else ""
        lines.append(f"{name} = torch.tensor({literal(a)}{options})")
    lines += ["", *(layer.fill(layer.torch_forward, names) for layer, names in net.named_layers()), torch_loss(net),
              "loss.backward()  # fills x.grad, w1.grad, …: the lesson's x.g, w1.g, …"]
    return "\n".join([*lines, *prints(net, "{name}.grad")]) + "\n"


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
