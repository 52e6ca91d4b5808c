"""``set_random_seed(seed)``: one call at the top of a script makes every run of it draw the same
random numbers, as ``keras.utils.set_random_seed`` does.

Keras keeps global generators (Python's, NumPy's, its backend's, and the SeedGenerator its
layers draw from) and set_random_seed seeds them all. tinycnn's own code reads none of them: a
model draws every random number from its own seed (``model.seed``: the weights; through
``model.training_rng`` the shuffling and dropout), given as ``Sequential(..., seed=42)``, or
else drawn when the model is created. So ``set_random_seed(seed)`` does this, and no more:

1. it seeds Python's ``random`` and NumPy's global generator (``np.random.seed``), as Keras
   does: the script's own draws repeat, and so does ``image_dataset_from_directory(seed=None)``,
   which (like Keras's) takes its seed from ``np.random``;
2. it starts a sequence of model seeds: the k-th model created after the call without a
   ``seed=`` (k = 0, 1, 2, ...) gets ``model_seed(seed, k)``. Rerun the script and every model
   gets the same seed, so the same weights and the same training, bit for bit;
3. called again, it starts the sequence again from its first seed.

It does not change a model given ``seed=``, nor one created before the call. Each model still
shows its seed (``model.seed``), and ``Sequential(..., seed=model.seed)`` rebuilds that one model
on its own. The sequence counts models in the order they are created, so a script that creates
one more model (a notebook cell run twice) moves the later ones on: call ``set_random_seed`` in
the cell that builds the model, as in Keras. Without the call, a model without a seed takes
one from the operating system, as before.

The sequence is the one piece of module state here, and only ``set_random_seed`` starts it.
Models take their seed from it through ``draw_model_seed()`` (when the network is created).
"""

import random
import threading

import numpy as np

_lock = threading.Lock()  # models may be created in threads: each seed is handed out once
_sequence = None  # [seed, models seeded so far] once set_random_seed has been called


def set_random_seed(seed):
    """Seed ``random``, ``np.random`` and the seeds of the models created from now on.

    seed : int in [0, 2**32) (NumPy's range for ``np.random.seed``).
    See the module's docstring for exactly what it changes and what it does not.
    """
    global _sequence
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"set_random_seed: expected an integer seed, got {seed!r} "
                         f"(of type {type(seed).__name__})")
    if not 0 <= seed < 2**32:
        raise ValueError(f"set_random_seed: the seed must lie in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    with _lock:
        _sequence = [seed, 0]


def get_random_seed():
    """The seed of the last ``set_random_seed`` call, or None if there was none."""
    with _lock:
        return None if _sequence is None else _sequence[0]


def model_seed(seed, index):
    """The seed that the ``index``-th model created without one gets after
    ``set_random_seed(seed)``: an int in [0, 2**32), a function of (seed, index) alone.

    NumPy's SeedSequence spreads the pair over 32 bits, so neighbouring indices give unrelated
    seeds, not seed, seed + 1, ...
    """
    state = np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1, dtype=np.uint32)
    return int(state[0])


def draw_model_seed():
    """The seed for a model created without ``seed=``: the next one of the sequence that
    ``set_random_seed`` started, or, if it was never called, a fresh one from the operating
    system."""
    global _sequence
    with _lock:
        if _sequence is None:
            return int(np.random.SeedSequence().entropy % 2**32)
        seed, index = _sequence
        _sequence = [seed, index + 1]
    return model_seed(seed, index)
