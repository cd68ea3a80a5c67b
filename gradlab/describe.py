"""What each tensor is, in a sentence or two, with its shape: the text behind a grid's header.

``describe(net, "l1.g")`` gives "l1.g — ∂L/∂l1, the gradient of the loss with
respect to the output of layer 1; same shape as l1: batch × 4."
"""

from __future__ import annotations

from gradlab.layers import Linear
from gradlab.network import Network, Pass, forward

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def _shape(shape: tuple[int, ...], batch_rows: bool) -> str:
    dims = ["batch" if batch_rows and i == 0 else str(n) for i, n in enumerate(shape)]
    return " × ".join(dims) + (f" (batch = {shape[0]})" if batch_rows else "")


def _nth(k: int) -> str:
    return ORDINALS[k - 1] if k <= len(ORDINALS) else f"#{k}"


def describe(net: Network, name: str, p: Pass | None = None) -> str:
    """One or two sentences on the tensor ``name`` (``x``, ``y``, ``w1``, ``l1``, ``out``, or any of them with ``.g``)."""
    base, grad = name.removesuffix(".g"), name.endswith(".g")
    values = (p or forward(net)).values
    if base == "y":
        shape = net.y.shape
        what = ("the class each example should be given (one index per row)" if net.loss == "cross_entropy"
                else "the targets: what out should be for each example")
        return f"y — {what}; {_shape(shape, True)}. The loss compares out with y."
    if base not in values:
        raise KeyError(f"the network has no tensor named {base}")
    shape = values[base].shape
    named = net.named_layers()
    wires = [names for _, names in named]
    if base == "x":
        text = "x — the batch of inputs, one example per row"
        if grad:
            return (f"x.g — ∂L/∂x, how the loss moves when one input value moves; same shape as x: {_shape(shape, True)}. "
                    "Nothing updates x during training, but lin_grad computes inp.g for every layer, and the first "
                    "layer's input is x; you would use it to optimise the input itself, as style transfer does with "
                    "an image's pixels.")
        return f"{text}; {_shape(shape, True)}."
    for k, (layer, wire) in enumerate(named, start=1):
        linear_number = sum(isinstance(lay, Linear) for lay, _ in named[:k])
        if base == wire.w:
            text = (f"{base} — the weights of the {_nth(linear_number)} linear layer, inputs × units: "
                    f"{wire.out} = {wire.inp} @ {wire.w} + {wire.b}; {_shape(shape, False)}")
            if grad:
                return (f"{name} — ∂L/∂{base}; same shape as {base}: {_shape(shape, False)}. Every batch row uses the same "
                        f"weights, so {name} adds up one term per row: {wire.inp}.t() @ {wire.out}.g.")
            return text + "."
        if base == wire.b:
            if grad:
                return (f"{name} — ∂L/∂{base}; {shape[0]} entries. Every row of the batch adds {base}, so its gradient is "
                        f"the sum over the batch of {wire.out}.g: that is the sum(0) in b.g = out.g.sum(0).")
            return (f"{base} — the bias of the {_nth(linear_number)} linear layer, one per unit, added to every row of "
                    f"the batch; {shape[0]} entries.")
        if base == wire.out:
            how = layer.fill(layer.forward_code, wire).split(" = ", 1)[1]
            role = "the network's output" if base == "out" else f"the output of layer {k}"
            if grad:
                origin = ("written first, by the loss's gradient" if base == "out"
                          else f"written by the gradient of the layer after it, from {wires[k].out}.g")
                return (f"{name} — ∂L/∂{base}, the gradient of the loss with respect to {role}; "
                        f"same shape as {base}: {_shape(shape, True)}. It is {origin}.")
            return f"{base} — {role}, {base} = {how}; {_shape(shape, True)}."
    raise KeyError(f"the network has no tensor named {base}")
