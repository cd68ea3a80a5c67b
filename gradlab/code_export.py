"""Copy as NumPy, Copy as PyTorch: the network as a short script a learner can run.

``numpy_script(net)`` writes the lesson's functions (only those the network
uses), the network's arrays with their exact values, the forward pass and the
hand-written backward pass.  Every line does what the core does, in the same
order and the same dtype, so the script prints the app's loss and gradients bit
for bit.  ``torch_script(net)`` rebuilds the same tensors for PyTorch and lets
autograd find the gradients, a check that does not depend on GradLab at all.

Both print ``loss = …`` and then one ``<name>.g = […]`` line per input, x, w1,
b1, …, every number written so that reading it back gives the exact value.
"""

from __future__ import annotations

import re

import numpy as np

from gradlab.network import Network

LIN = '''def lin(inp, w, b):
    return inp @ w + b


def lin_grad(inp, out_g, w):
    """inp.g, w.g and b.g of out = inp @ w + b, given out.g."""
    inp_g = out_g @ w.T
    w_g = inp.T @ out_g  # the lesson writes (inp[:, :, None] * out_g[:, None, :]).sum(0): the same sum
    b_g = out_g.sum(0)
    return inp_g, w_g, b_g
'''

ACTIVATIONS = {
    "relu": '''def relu(inp):
    return np.maximum(inp, 0)


def relu_grad(inp, out_g):
    return (inp > 0) * out_g
''',
    "leaky_relu": '''def leaky_relu(inp, slope):
    return np.where(inp > 0, inp, slope * inp)


def leaky_relu_grad(inp, out_g, slope):
    return np.where(inp > 0, out_g, slope * out_g)
''',
    "sigmoid": '''def sigmoid(inp):
    return 1 / (1 + np.exp(-inp))


def sigmoid_grad(out, out_g):
    return out * (1 - out) * out_g
''',
    "tanh": '''def tanh(inp):
    return np.tanh(inp)


def tanh_grad(out, out_g):
    return (1 - out**2) * out_g
''',
}

# Each loss adds up one term per batch row, then adds the rows: the order the app adds in.
LOSSES = {
    "mse": '''def mse(out, y, n):
    rows = ((out - y) ** 2).sum(-1)
    return rows.sum() / n


def mse_grad(out, y, n):
    return 2.0 * (out - y) / n
''',
    "half_sse": '''def half_sse(out, y, n):
    rows = 0.5 * ((y - out) ** 2).sum(-1)
    return rows.sum() / n


def half_sse_grad(out, y, n):
    return (out - y) / n
''',
    "cross_entropy": '''def log_softmax(out):
    shifted = out - out.max(-1, keepdims=True)  # subtracting the max keeps exp from overflowing
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def cross_entropy(out, y, n):
    rows = -log_softmax(out)[range(len(y)), y]  # minus the log-probability of each row's class
    return rows.sum() / n


def cross_entropy_grad(out, y, n):
    one_hot = np.eye(out.shape[1], dtype=out.dtype)[y]
    return (np.exp(log_softmax(out)) - one_hot) / n
''',
}

NUMPY_FORWARD = {  # the call of each layer kind, forward and backward
    "linear": "{o} = lin({i}, {w}, {b})",
    "relu": "{o} = relu({i})",
    "leaky_relu": "{o} = leaky_relu({i}, {slope!r})",
    "sigmoid": "{o} = sigmoid({i})",
    "tanh": "{o} = tanh({i})",
}
NUMPY_BACKWARD = {
    "linear": "{i}_g, {w}_g, {b}_g = lin_grad({i}, {o}_g, {w})",
    "relu": "{i}_g = relu_grad({i}, {o}_g)",
    "leaky_relu": "{i}_g = leaky_relu_grad({i}, {o}_g, {slope!r})",
    "sigmoid": "{i}_g = sigmoid_grad({o}, {o}_g)",
    "tanh": "{i}_g = tanh_grad({o}, {o}_g)",
}
TORCH_FORWARD = {
    "linear": "{o} = {i} @ {w} + {b}",
    "relu": "{o} = torch.relu({i})",
    "leaky_relu": "{o} = F.leaky_relu({i}, {slope!r})",
    "sigmoid": "{o} = torch.sigmoid({i})",
    "tanh": "{o} = torch.tanh({i})",
}


def exact_values(a: np.ndarray) -> list:
    """``a`` as Python numbers that give back exactly ``a`` in its dtype; float32 in its shortest form
    (0.15, not 0.15000000596046448)."""
    if a.dtype.kind != "f" or a.dtype == np.float64:
        return a.tolist()  # a float64's repr reads back as the same float64
    short = a.astype(str).astype(np.float64)  # numpy writes each float32 in its shortest form
    # Read as a float64 and rounded to float32, the shortest form gives back the float32; should it ever
    # round to a neighbour instead, the float32's own value, exact as a float64, is written.
    return np.where(short.astype(a.dtype) == a, short, a.astype(np.float64)).tolist()


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
    lines = ["", 'print("loss =", float(loss))']
    lines += [f'print("{name}.g =", {grad.format(name=name)}.tolist())' for name in net.inputs()]
    return lines


def divisor_line(net: Network) -> str:
    if net.reduction == "sum":
        return "n = 1  # reduction sum: the rows are added, not averaged"
    if net.loss == "mse":
        return "n = out.size  # mse averages over every element of out"
    return "n = out.shape[0]  # averaged over the batch"


def calls(net: Network, templates: dict[str, str], backward: bool = False) -> list[str]:
    """One line a layer, from its kind's template, in forward order or, for ``backward``, reversed."""
    wiring = list(zip(net.wiring(), net.layers))
    return [
        templates[layer.kind].format(i=wire.inp, o=wire.out, w=wire.w, b=wire.b, slope=float(layer.slope))
        for wire, layer in (reversed(wiring) if backward else wiring)
    ]


def numpy_script(net: Network) -> str:
    """A numpy-only script that rebuilds ``net`` and prints the app's loss and gradients, bit for bit."""
    kinds = {layer.kind for layer in net.layers}
    functions = [LIN] + [ACTIVATIONS[kind] for kind in ACTIVATIONS if kind in kinds] + [LOSSES[net.loss]]
    lines = [header(net, "Run it: it prints the loss and every gradient the app shows, bit for bit."),
             "import numpy as np", "", "", "\n\n".join(functions), ""]
    for name, a in [("x", net.x), ("y", net.y), *net.parameters().items()]:
        dtype = f", dtype=np.{a.dtype.name}" if a.dtype.kind == "f" and a.dtype != np.float64 else ""
        lines.append(f"{name} = np.array({literal(a)}{dtype})")
    lines += ["", "# forward", *calls(net, NUMPY_FORWARD), divisor_line(net), f"loss = {net.loss}(out, y, n)"]
    lines += ["", "# backward: a_g is the lesson's a.g, the gradient of the loss with respect to a",
              f"out_g = {net.loss}_grad(out, y, n)", *calls(net, NUMPY_BACKWARD, backward=True)]
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
    lines += ["", *calls(net, TORCH_FORWARD), torch_loss(net), "loss.backward()  # fills x.grad, w1.grad, …: the lesson's x.g, w1.g, …"]
    return "\n".join([*lines, *prints(net, "{name}.grad")]) + "\n"
