"""How many sessions the server holds at once (``alignment-app --max-sessions``): one seat per open tab.

Solara's own cap (SOLARA_KERNEL_MAX_COUNT) makes a tab over it wait without a word; here a tab over the cap gets
a page that says the class is full, and its seat is free again when a session closes (its tab closed, or culled
``--idle-minutes`` after its device went to sleep)."""

from __future__ import annotations

import os
import threading


class Seats:
    def __init__(self, limit: int | None):
        self.limit = limit
        self.taken: set = set()
        self.lock = threading.Lock()

    def take(self, holder) -> bool:
        """A seat for ``holder`` (a session's id): True if it has one or one was free."""
        with self.lock:
            if holder in self.taken:
                return True
            if self.limit is not None and len(self.taken) >= self.limit:
                return False
            self.taken.add(holder)
            return True

    def free(self, holder) -> None:
        with self.lock:
            self.taken.discard(holder)


_SEATS: Seats | None = None


def seats() -> Seats:
    """The server's seats, with the cap alignment-app was started with (ALIGNMENT_MAX_SESSIONS; none if unset)."""
    global _SEATS
    if _SEATS is None:
        limit = os.environ.get("ALIGNMENT_MAX_SESSIONS")
        _SEATS = Seats(int(limit) if limit else None)
    return _SEATS


def take_for_this_session() -> bool:
    """A seat for the session the page is drawn in, freed when Solara closes that session."""
    from solara.server import kernel_context

    context = kernel_context.get_current_context()
    if context.id in seats().taken:
        return True
    if not seats().take(context.id):
        return False
    context.on_close(lambda: seats().free(context.id))
    return True
