"""The whole-network check: every cell of every tensor against finite differences.

Like ``torch.autograd.gradcheck``: the numeric gradient is taken in the
network's own dtype and a cell passes when |a - n| <= atol + rtol·|n|.  A cell
whose nudge moves a ReLU's input across 0 sits on a kink, where no finite
difference can agree with a one-sided derivative; it is reported as a kink,
not as a formula error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.finite_diff import Columns, plus_minus, quotients, relative_error
from gradlab.network import Network, Pass, run

# gradcheck's defaults for float64; in float32 a 1e-6 step drowns in round-off.
DEFAULTS = {
    "float64": {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3},
    "float32": {"eps": 1e-3, "atol": 1e-3, "rtol": 1e-2},
}
SCHEMES = ("central", "forward", "backward")


def within_tolerance(analytic, numeric, atol: float, rtol: float):
    """gradcheck's rule: |a − n| ≤ atol + rtol·|n| (False where n is NaN: a step that vanished)."""
    return np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric)


@dataclass(frozen=True)
class TensorCheck:
    name: str
    analytic: np.ndarray
    numeric: np.ndarray
    passed: np.ndarray  # bool per cell: within tolerance
    kink: np.ndarray  # bool per cell: the nudge crossed a ReLU kink
    worst: tuple[int, ...]  # the cell that uses the largest share of its tolerance

    @property
    def ok(self) -> bool:
        return bool((self.passed | self.kink).all())

    @property
    def failures(self) -> int:
        return int((~self.passed & ~self.kink).sum())

    @property
    def kinks(self) -> int:
        return int(self.kink.sum())

    @property
    def abs_err(self) -> float:
        return float(abs(self.analytic[self.worst] - self.numeric[self.worst]))

    @property
    def rel_err(self) -> float:
        return float(relative_error(self.analytic[self.worst], self.numeric[self.worst]))


@dataclass(frozen=True)
class Check:
    loss: float
    out: np.ndarray
    tensors: dict[str, TensorCheck]
    eps: float
    atol: float
    rtol: float
    scheme: str

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tensors.values())


def check(
    net: Network,
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    scheme: str = "central",
    p: Pass | None = None,
) -> Check:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")
    defaults = DEFAULTS[net.dtype.name]
    eps = defaults["eps"] if eps is None else eps
    atol = defaults["atol"] if atol is None else atol
    rtol = defaults["rtol"] if rtol is None else rtol
    p = p if p is not None and p.grads else run(net)
    tensors, columns = {}, Columns(p)
    for name, tensor in net.inputs().items():
        cells = np.argwhere(np.ones(tensor.shape, bool))
        lp, lm, sp, sm, kink = plus_minus(net, p, name, cells, np.full(len(cells), eps), columns)
        fwd, bwd, cen = quotients(p.loss, lp, lm, sp, sm)
        numeric = {"central": cen, "forward": fwd, "backward": bwd}[scheme].reshape(tensor.shape)
        analytic = p.grads[name]
        err, tol = np.abs(analytic - numeric), atol + rtol * np.abs(numeric)
        passed = within_tolerance(analytic, numeric, atol, rtol)
        used = np.divide(err, tol, out=np.where(err == 0, 0.0, np.inf), where=tol > 0)  # share of tolerance
        used = np.where(np.isnan(used), np.inf, used)
        kink = kink.reshape(tensor.shape)
        ranked = np.where(kink, -np.inf, used) if not kink.all() else used
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(ranked), tensor.shape))
        tensors[name] = TensorCheck(name, analytic, numeric, passed, kink, worst)
    return Check(float(p.loss), p.values["out"], tensors, eps, atol, rtol, scheme)
