"""RateGate: the clients of one sync (one per thread) share it, so that Epicentr's Retry-After
holds back every request of the sync, not only the one that got the 429."""

import threading
import time


class RateGate:
    def __init__(self):
        self._lock = threading.Lock()
        self._until = 0.0  # time.monotonic() before which no request goes

    def hold(self, seconds):
        """No request for ``seconds`` from now; returns the moment they may go again."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)
            return self._until

    def wait(self, sleep, waited_for=0.0):
        """Sleep until requests may go; ``waited_for``: a hold the caller has already slept through."""
        with self._lock:
            until = self._until
        left = until - time.monotonic()
        if until > waited_for and left > 0:
            sleep(left)
