"""Ctrl-C during training: stop cleanly after the batch, and never in the middle of a step.

The first Ctrl-C during fit only asks it to stop (``StopOnCtrlC.requested``): fit finishes
the batch (or the validation, or the checkpoint) it is in, then stops before the next batch,
keeping the weights and the finished epochs. A second Ctrl-C interrupts at once, as Python
always does, except inside ``deferred()``: the optimizer's step runs there, so that it is
whole or not at all (every layer moved, the step counter with them) and the interrupt comes
right after it. Signals can only be caught in the main thread; elsewhere both are no-ops.
"""

import contextlib
import signal
import threading


def _in_main_thread():
    return threading.current_thread() is threading.main_thread()


class StopOnCtrlC:
    """While active, the first Ctrl-C only sets ``requested``; a second one interrupts."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)

    def __enter__(self):
        if _in_main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


@contextlib.contextmanager
def deferred():
    """Run the block whole: a Ctrl-C that comes during it is handled right after it (by
    whatever handler was in force: StopOnCtrlC's, or Python's KeyboardInterrupt)."""
    if not _in_main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield  # None: a handler set outside Python, which we could not put back
        return
    frames = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: frames.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    for frame in frames:  # each as if it came now: a first asks fit to stop, a second raises
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        elif handler != signal.SIG_IGN:
            raise KeyboardInterrupt
