"""GradLab's numeric core: the lesson's network, its hand-written backward pass, and the checks.

No Qt here, ever: the desktop app in ``ui/`` is a view over these functions.
"""

from gradlab.explain import Explanation, explain
from gradlab.finite_diff import Nudge, Sweep, loss_curve, nudge, nudged_losses, sweep
from gradlab.gradcheck import Check, check
from gradlab.influence import Influence, influence
from gradlab.layers import Layer, Linear
from gradlab.network import Network, Pass, Step, backward, backward_steps, forward, run
from gradlab.presets import PRESETS, preset, random_network
from gradlab.scenario import ScenarioError, dumps, load, loads, save

__all__ = [
    "Check", "Explanation", "Influence", "Layer", "Linear", "Network", "Nudge", "PRESETS", "Pass", "ScenarioError",
    "Step", "Sweep", "backward", "backward_steps", "check", "dumps", "explain", "forward", "influence",
    "load", "loads", "loss_curve", "nudge", "nudged_losses", "preset", "random_network", "run", "save", "sweep",
]
