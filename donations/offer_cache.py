"""What the contribute page offers, remembered by the process for a few seconds.

Every page and every checkout needs the offer of today's campaign at its placement: up to
three small queries. Offers change when staff run `donations campaign offer`, rarely: each
process answers from here for OFFER_TTL seconds, so a change shows within that. Keys and
values are the caller's (donations/web/contribute.py): this module knows nothing of
campaigns.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

OFFER_TTL = 10.0
# A few campaigns × the placements their links use; past it the oldest go.
MAX_ENTRIES = 256


@dataclass
class OfferCache:
    ttl: float = OFFER_TTL
    _entries: dict[Hashable, tuple[float, Any]] = field(default_factory=dict)

    def get(self, key: Hashable) -> Any | None:
        found = self._entries.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._entries.clear()
