"""Built-in scenarios, loadable by name, and random networks from sizes and a seed.

- ``lesson``: the lesson's network in miniature, lin → relu → lin with mse on a
  batch of four; hidden unit 2 is off for every row, so its paths are blocked.
- ``mazur``: Matt Mazur's "A Step by Step Backpropagation Example", 2-2-2
  sigmoid with ½ Σ (target - out)²; its total error is 0.298371109, its
  ∂E/∂w5 (our ``w2[0,0]``) 0.082167041 and its ∂E/∂w1 (our ``w1[0,0]``) 0.000438568.
  His biases stay fixed when he trains, so ``b1`` and ``b2`` are frozen: one step
  with learning rate 0.5 gives his w5⁺ = 0.35891648 and w1⁺ = 0.149780716.
- ``neuron``: one linear unit, f = w·x + b (``docs/lesson.md``), with two inputs (so its
  output can be drawn over the input plane) on a batch of three.
- ``classifier``: lin → relu → lin, then softmax and cross-entropy over three classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gradlab.layers import ACTIVATIONS, Layer, Linear
from gradlab.layers import activation as new_activation
from gradlab.losses import LOSSES, REDUCTIONS
from gradlab.network import Network
from gradlab.scenario import from_dict

PRESETS: dict[str, dict] = {
    "lesson": {
        "gradlab": 1,
        "title": "The lesson's network in miniature",
        "notes": "l1 = lin(x, w1, b1); l2 = relu(l1); out = lin(l2, w2, b2); loss = mse(out, y). "
                 "Hidden unit 2 is off for every row: whatever reaches l1[:,2] stops there.",
        "x": [[0.5, -1.2, 0.3], [1.0, 0.4, -0.7], [-0.3, 0.8, 1.1], [0.9, -0.5, 0.2]],
        "y": [1.0, 0.0, 0.5, 1.5],
        "layers": [
            {"type": "linear",
             "w": [[0.4, -0.6, 0.2, 0.3], [-0.2, 0.5, -0.3, 0.7], [0.6, 0.1, 0.1, -0.2]],
             "b": [-0.2, 0.2, -1.0, 0.0]},
            {"type": "relu"},
            {"type": "linear", "w": [[0.8], [-0.5], [0.9], [0.6]], "b": [0.1]},
        ],
        "loss": "mse", "reduction": "mean", "dtype": "float64",
    },
    "mazur": {
        "gradlab": 1,
        "title": "Mazur's step-by-step backpropagation example",
        "notes": "2-2-2 with sigmoids and E = ½ Σ (target − out)². His w1…w4 are our w1, his w5…w8 our w2 "
                 "(w5 = w2[0,0]); his shared biases b1 = .35 and b2 = .60 are vectors with equal entries, "
                 "frozen as he keeps them when he trains.",
        "x": [[0.05, 0.10]],
        "y": [[0.01, 0.99]],
        "layers": [
            {"type": "linear", "w": [[0.15, 0.25], [0.20, 0.30]], "b": [0.35, 0.35]},
            {"type": "sigmoid"},
            {"type": "linear", "w": [[0.40, 0.50], [0.45, 0.55]], "b": [0.60, 0.60]},
            {"type": "sigmoid"},
        ],
        "loss": "half_sse", "reduction": "mean", "dtype": "float64",
        "frozen": ["b1", "b2"],
    },
    "neuron": {
        "gradlab": 1,
        "title": "One linear unit",
        "notes": "out = x @ w + b: nudge x[0,0] and the loss moves by about w[0,0] times out.g[0,0]; "
                 "the same b is used by every row, so b.g adds up a term per row.",
        "x": [[1.0, 2.0], [0.5, -1.0], [-1.5, 0.5]],
        "y": [1.0, -0.5, 0.2],
        "layers": [{"type": "linear", "w": [[0.5], [-0.4]], "b": [0.1]}],
        "loss": "mse", "reduction": "mean", "dtype": "float64",
    },
    "classifier": {
        "gradlab": 1,
        "title": "A small classifier: softmax and cross-entropy",
        "notes": "out holds one score per class; out.g = (softmax(out) − one_hot(y)) / batch.",
        "x": [[0.2, -1.0], [1.5, 0.3], [-0.8, 0.9], [0.1, 1.4]],
        "y": [0, 1, 2, 2],
        "layers": [
            {"type": "linear", "w": [[0.7, -0.4, 0.3], [-0.2, 0.6, 0.5]], "b": [0.1, 0.0, -0.1]},
            {"type": "relu"},
            {"type": "linear", "w": [[0.5, -0.3, 0.2], [-0.6, 0.4, 0.1], [0.3, 0.2, -0.5]], "b": [0.0, 0.1, 0.0]},
        ],
        "loss": "cross_entropy", "reduction": "mean", "dtype": "float64",
    },
}


def preset(name: str) -> Network:
    if name not in PRESETS:
        raise KeyError(f"there is no preset named {name!r}; the presets are {', '.join(PRESETS)}")
    return from_dict(PRESETS[name])


INITS = ("random", "kaiming", "zeros")


def random_network(
    sizes: list[int],
    batch: int = 4,
    activation: str | Sequence[str] = "relu",
    loss: str = "mse",
    reduction: str = "mean",
    dtype: str = "float64",
    seed: int = 0,
    init: str = "random",
) -> Network:
    """A network with layer widths ``sizes`` (inputs first), an activation between linear layers:
    ``activation`` names one for all of them, or one per hidden layer.

    ``init`` is ``random`` (standard normal), ``kaiming`` (normal with standard
    deviation sqrt(2 / n_in), the lesson's fix for activations that blow up) or ``zeros``.
    """
    if len(sizes) < 2 or min(sizes) < 1 or batch < 1:
        raise ValueError("a network needs an input width and at least one layer width, all at least 1, and a batch of at least 1")
    kinds = [activation] * (len(sizes) - 2) if isinstance(activation, str) else list(activation)
    if len(kinds) != len(sizes) - 2:
        raise ValueError(f"{len(sizes) - 2} hidden layers need {len(sizes) - 2} activations, not {len(kinds)}")
    if any(k not in ACTIVATIONS for k in kinds) or loss not in LOSSES or reduction not in REDUCTIONS or init not in INITS:
        raise ValueError("unknown activation, loss, reduction or init")
    if loss == "cross_entropy" and sizes[-1] < 2:
        raise ValueError("cross_entropy needs at least 2 outputs")
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        scale = {"random": 1.0, "kaiming": np.sqrt(2 / n_in), "zeros": 0.0}[init]
        layers.append(Linear(rng.standard_normal((n_in, n_out)) * scale, np.zeros(n_out)))
        if k < len(kinds):  # no activation after the last linear layer: its output is the scores the loss reads
            layers.append(new_activation(kinds[k]))
    x = rng.standard_normal((batch, sizes[0]))
    y: np.ndarray  # class indices for cross_entropy, targets otherwise
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], batch)
    else:
        y = rng.standard_normal((batch, sizes[-1]))
    return Network(x, y, layers, loss, reduction, title=f"random {'-'.join(map(str, sizes))}, seed {seed}").astype(dtype)


def randomise_weights(net: Network, seed: int) -> Network:
    """A copy with new Kaiming weights from ``seed``, the very weights ``random_network`` gives these widths with
    that seed; the biases, the data and everything else stay."""
    linear = net.linear_layers()
    widths = [linear[0].w.shape[0]] + [layer.w.shape[1] for layer in linear]
    fresh = random_network(widths, batch=1, seed=seed, init="kaiming", dtype=net.dtype.name)
    out = net.copy()
    for layer, new in zip(out.linear_layers(), fresh.linear_layers()):
        layer.w = new.w
    return out
