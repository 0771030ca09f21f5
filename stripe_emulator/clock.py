"""The emulator's clock: real time plus an offset that tests and demos move forward.

Stripe objects' `created` and events' `created` read this clock; webhook signatures read real
time, because the receiver checks them against its own clock (300 s tolerance).
While due work runs (a renewal a month ahead), `at(ts)` pins the clock to the moment that
work was due, so its objects and events carry that moment rather than the end of the advance.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class Clock:
    def __init__(self) -> None:
        self.offset = 0
        self._pinned: int | None = None

    def now(self) -> int:
        if self._pinned is not None:
            return self._pinned
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> None:
        self.offset += seconds

    @contextlib.contextmanager
    def at(self, timestamp: int) -> Iterator[None]:
        previous, self._pinned = self._pinned, timestamp
        try:
            yield
        finally:
            self._pinned = previous
