"""Learning-rate schedules: the learning rate as a function of the optimizer's step count t.

    ExponentialDecay        lr(t) = lr0 * rate^(t / steps)         (t // steps with staircase)
    PiecewiseConstantDecay  lr(t) = values[i] for boundaries[i-1] < t <= boundaries[i]
    CosineDecay             lr(t) = lr0 * ((1 - alpha) * (1 + cos(pi * min(t, steps) / steps)) / 2
                                           + alpha)
Keras's classes, arguments and formulas (keras.optimizers.schedules). An optimizer given one
as its ``learning_rate`` asks it for the rate of every step, with t = the steps taken before
(``optimizer.iterations``), as Keras does.
"""

import math
import numbers


class LearningRateSchedule:
    """Base class: ``schedule(t)`` -> the learning rate (float) of step t (t = 0, 1, ...)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError


def _positive(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{what}: expected a number > 0, got {value!r}")
    return value


class ExponentialDecay(LearningRateSchedule):
    """ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = _positive(initial_learning_rate,
                                               "ExponentialDecay initial_learning_rate")
        self.decay_steps = _positive(decay_steps, "ExponentialDecay decay_steps")
        self.decay_rate = _positive(decay_rate, "ExponentialDecay decay_rate")
        if not isinstance(staircase, bool):
            raise TypeError(f"ExponentialDecay staircase: expected True or False, got "
                            f"{staircase!r}")
        self.staircase, self.name = staircase, name

    def __call__(self, step):
        p = step / self.decay_steps
        return float(self.initial_learning_rate * self.decay_rate ** (
            math.floor(p) if self.staircase else p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """PiecewiseConstantDecay(boundaries, values): values[0] up to step boundaries[0],
    values[1] up to boundaries[1], ..., values[-1] after the last; len(values) =
    len(boundaries) + 1."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: expected len(values) = len(boundaries) "
                             f"+ 1, got {len(values)} values for {len(boundaries)} boundaries")
        if boundaries != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay boundaries: expected them in increasing "
                             f"order, got {boundaries}")
        for value in values:
            _positive(value, "PiecewiseConstantDecay values")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """CosineDecay(initial_learning_rate, decay_steps, alpha=0.0): from lr0 down to alpha * lr0
    along half a cosine over decay_steps, then alpha * lr0. (Keras's warmup arguments are not
    in tinycnn: warmup_steps other than 0 is refused.)"""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        if warmup_steps != 0 or warmup_target is not None:
            raise ValueError("CosineDecay: tinycnn has no warmup (warmup_steps, "
                             "warmup_target); use a LearningRateScheduler callback for one")
        self.initial_learning_rate = _positive(initial_learning_rate,
                                               "CosineDecay initial_learning_rate")
        self.decay_steps = _positive(decay_steps, "CosineDecay decay_steps")
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha <= 1:
            raise ValueError(f"CosineDecay alpha: expected a number in [0, 1], got {alpha!r}")
        self.alpha, self.name = alpha, name

    def __call__(self, step):
        fraction = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name}


SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule):
    """{"class_name": ..., "config": {...}}: how a schedule goes into a model file."""
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    """The schedule ``serialize`` described; a ValueError for anything else."""
    if not isinstance(config, dict) or set(config) != {"class_name", "config"} \
            or config["class_name"] not in SCHEDULES or not isinstance(config["config"], dict):
        raise ValueError(f"not a learning-rate schedule tinycnn knows: {config!r} (known: "
                         f"{sorted(SCHEDULES)})")
    return SCHEDULES[config["class_name"]](**config["config"])
