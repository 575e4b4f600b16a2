"""Slowing down password guessing: after a few wrong sign-ins, one client address must wait.

Nothing sleeps: a refused attempt is answered at once ("try again in N s"), so a guesser cannot
tie up the server. Checks still running count against the free failures, so guesses sent all at
once get no more checks than guesses sent one by one. The pause doubles with each further failure, up to a cap, and failures are
forgotten after a quiet spell or a successful sign-in. Kept in memory, like the sessions: a restart
forgets it. Per address, not per name: locking a name would let anyone lock a colleague out.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0
    checking: int = 0  # passwords from this address being checked right now


class LoginThrottle:
    FREE_FAILURES = 5  # a reviewer mistyping a few times never waits
    FIRST_WAIT = 30  # seconds, after the FREE_FAILURES-th failure; doubled by each one after it
    LONGEST_WAIT = 15 * 60
    FORGET_AFTER = 15 * 60  # failures this long ago (and no pause running) no longer count

    def __init__(self, clock=time.monotonic, max_addresses: int = 10_000):
        self._clock = clock
        self._max_addresses = max_addresses  # many addresses (a scan) must not grow memory for ever
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._records)

    def wait_for(self, address: str) -> int:
        """Whole seconds this address must still wait before trying again; 0 when it may try now."""
        with self._lock:
            record = self._records.get(address)
            left = record.locked_until - self._clock() if record else 0
            return math.ceil(left) if left > 0 else 0

    def reserve(self, address: str) -> int:
        """Before a password is checked: 0, and a check is held for this address until `release`; or the
        whole seconds it must wait. Checks running count as failures to be: a burst of 40 guesses sent at
        once used to be checked in full, as the failures were only counted when each check ended."""
        now = self._clock()
        with self._lock:
            record = self._records.get(address)
            if record is not None and now < record.locked_until:
                return math.ceil(record.locked_until - now)
            if record is None:
                record = self._records[address] = _Record()
            elif self._forgotten(record, now):
                record.failures = 0
            # After the pause, one more guess at a time (each failure doubles the next pause).
            if record.checking >= max(1, self.FREE_FAILURES - record.failures):
                return 1
            record.checking += 1
            return 0

    def release(self, address: str) -> None:
        """The check `reserve` held has ended (counted by `failed` or `succeeded`, or it broke off)."""
        with self._lock:
            record = self._records.get(address)
            if record is not None and record.checking:
                record.checking -= 1

    def failed(self, address: str) -> int:
        """Count a wrong password; the seconds this address must now wait (0: it may try again)."""
        now = self._clock()
        with self._lock:
            record = self._records.get(address)
            if record is None:
                record = self._records[address] = _Record()
            elif self._forgotten(record, now):
                record.failures = 0
            record.failures += 1
            record.last_failure = now
            if record.failures >= self.FREE_FAILURES:
                doublings = min(record.failures - self.FREE_FAILURES, 20)  # 2**20 is far past the cap
                record.locked_until = now + min(self.FIRST_WAIT * 2**doublings, self.LONGEST_WAIT)
            wait = record.locked_until - now
            if len(self._records) > self._max_addresses:
                self._make_room(now)
            return math.ceil(wait) if wait > 0 else 0

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._records.pop(address, None)

    def _forgotten(self, record: _Record, now: float) -> bool:
        return now >= record.locked_until and now - record.last_failure > self.FORGET_AFTER

    def _make_room(self, now: float) -> None:
        """Drop the forgotten records; if there are still too many, the oldest failures go first,
        a tenth of them at once so that a flood of new addresses does not sort on every failure."""
        for address in [a for a, r in self._records.items() if self._forgotten(r, now) and not r.checking]:
            del self._records[address]
        excess = len(self._records) - self._max_addresses * 9 // 10
        if len(self._records) > self._max_addresses:
            oldest = sorted(self._records, key=lambda a: self._records[a].last_failure)[:excess]
            for address in oldest:
                del self._records[address]
