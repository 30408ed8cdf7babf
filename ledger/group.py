"""Group commit: concurrent appends combined into one transaction and one tree update.

Callers in a process append at once (a server's threads, each serving a request); one of
them leads: it takes the requests waiting -- those that arrived while the commit before
was in flight, at most ``most`` of them -- and commits them together through ``commit``
(the adapter's ``plan_many`` path: one lock on the tip, each request planned in order and
failing on its own, one commit). Every caller gets its own entries or its own error.
When the leader is done it hands the lead to the first caller still waiting, so nobody
waits behind more than the batch in flight and the one being gathered.

A lone caller commits at once. When the last batch held more than one request (callers
are arriving together), the leader first waits up to ``linger`` seconds, or until
``most`` are waiting, so that the next commit carries more of them.

What a batch guarantees is what one append guarantees; across processes, each process's
batches serialise on the tip like single appends do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from ledger.append import Request
from ledger.entry import Entry

Outcome = list[Entry] | Exception
"""What one request came to: the entries it wrote, or the error why it wrote nothing."""

DEFAULT_MOST: Final = 64
DEFAULT_LINGER: Final = 0.002


@dataclass(eq=False, slots=True)
class _Waiting:
    request: Request
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    outcome: Outcome | None = None


class GroupCommit:
    """Combine concurrent ``append`` calls into batches committed by ``commit``.

    ``commit`` takes the requests of one batch and returns each one's outcome in order;
    if it raises, every request of that batch gets the exception (the batch's fate is
    then its callers' to learn, as a single append's would be).
    """

    def __init__(
        self,
        commit: Callable[[Sequence[Request]], Sequence[Outcome]],
        *,
        most: int = DEFAULT_MOST,
        linger: float = DEFAULT_LINGER,
    ) -> None:
        if most < 1:
            raise ValueError("a batch holds at least one request")
        if linger < 0:
            raise ValueError("the time a batch gathers cannot be negative")
        self._commit = commit
        self.most = most
        self.linger = linger
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._waiting: list[_Waiting] = []
        self._leading = False
        self._crowded = False

    def append(self, request: Request) -> list[Entry]:
        """Commit ``request`` with whatever others arrive with it; its own entries, or
        its own error raised."""
        me = _Waiting(request)
        with self._lock:
            self._waiting.append(me)
            if self._leading:
                self._arrived.notify()
            else:
                self._leading = me.leads = True
        if not me.leads:
            me.woken.wait()
        if me.leads and me.outcome is None:
            self._lead()
        outcome = me.outcome
        if isinstance(outcome, Exception):
            raise outcome
        assert outcome is not None
        return outcome

    def _lead(self) -> None:
        with self._lock:
            if self._crowded and self.linger:
                deadline = time.monotonic() + self.linger
                while len(self._waiting) < self.most:
                    left = deadline - time.monotonic()
                    if left <= 0 or not self._arrived.wait(left):
                        break
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
        try:
            outcomes: Sequence[Outcome] = self._commit([w.request for w in batch])
        except Exception as failed:  # every request of the batch shares its fate
            outcomes = [failed] * len(batch)
        for waiting, outcome in zip(batch, outcomes, strict=True):
            waiting.outcome = outcome
        with self._lock:
            self._crowded = len(batch) > 1
            after = self._waiting[0] if self._waiting else None
            if after is None:
                self._leading = False
            else:
                after.leads = True
        for waiting in batch:
            waiting.woken.set()
        if after is not None:
            after.woken.set()
