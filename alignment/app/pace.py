"""How often a playing session redraws its page, so that a class playing at once leaves the server free to answer.

Play moves the run by the clock (months a second); what it costs is the redraws. Three rules keep a click in
another session (a Step, a slider, a question) from waiting behind a class's Play:

- all playing sessions together redraw at most ``share`` of the time: each records how long its redraws take,
  and waits :meth:`Pace.interval` between two of them;
- one playing session redraws at a time (:meth:`Pace.claim`); one that finds another drawing skips the frame;
- while any session answers a click (:meth:`Pace.answering`), playing sessions skip their frames.

A skipped frame costs nothing but smoothness: the run keeps to the clock, the next frame shows it further on.
One session alone redraws up to every ``floor`` seconds; eight at once each show fewer frames.
"""

from __future__ import annotations

import contextlib
import threading


class Pace:
    def __init__(self, share: float = 0.5, floor: float = 0.1, first: float = 0.15):
        self.share, self.floor, self.first = share, floor, first
        self.costs: dict = {}  # playing session -> seconds per redraw (a moving average)
        self.lock = threading.Lock()
        self.drawing = threading.Lock()  # held by the one playing session redrawing now
        self.clicks = 0  # sessions answering a click now

    def start(self, holder) -> None:
        with self.lock:
            self.costs.setdefault(holder, self.first)

    def stop(self, holder) -> None:
        with self.lock:
            self.costs.pop(holder, None)

    def record(self, holder, seconds: float) -> None:
        with self.lock:
            if holder in self.costs:
                self.costs[holder] = 0.7 * self.costs[holder] + 0.3 * seconds

    def interval(self) -> float:
        """Seconds between two redraws of each playing session."""
        with self.lock:
            return max(self.floor, sum(self.costs.values()) / self.share)

    @property
    def playing(self) -> int:
        return len(self.costs)

    def claim(self) -> bool:
        """May a playing session redraw now? If True, it must :meth:`release` when drawn."""
        if self.clicks:
            return False
        return self.drawing.acquire(blocking=False)

    def release(self) -> None:
        self.drawing.release()

    @contextlib.contextmanager
    def answering(self):
        """Around a click's work: playing sessions hold their frames meanwhile."""
        with self.lock:
            self.clicks += 1
        try:
            yield
        finally:
            with self.lock:
                self.clicks -= 1


PACE = Pace()
