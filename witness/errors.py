"""What a witness refuses, each refusal the status ``tlog-witness`` gives it (the HTTP
status lives in ``witness.http``, not here).

::

    WitnessError            (raised as itself: a witness that cannot run as configured)
    ├── Malformed           the request is not an add-checkpoint body        (400)
    ├── UnknownLog          no log of the checkpoint's origin is followed    (404)
    ├── Unverified          no signature of the log's keys holds on it       (403)
    ├── SizeConflict        the old size is not the size of the one held     (409)
    ├── RootConflict        one size, another root: the log forked           (409)
    └── BadProof            the consistency proof does not hold              (422)
"""

from __future__ import annotations


class WitnessError(Exception):
    """Root of the witness's errors."""


class Malformed(WitnessError):
    """The request is not an old size, a consistency proof, a blank line and a note."""


class UnknownLog(WitnessError):
    """The checkpoint's origin is not the origin of a log this witness follows."""


class Unverified(WitnessError):
    """No signature on the checkpoint holds under a key of the log of its origin."""


class SizeConflict(WitnessError):
    """The old size is not the size of the latest checkpoint cosigned: ``held`` is."""

    def __init__(self, held: int) -> None:
        super().__init__(f"the latest checkpoint cosigned for this log is of {held} entries")
        self.held = held


class RootConflict(WitnessError):
    """The checkpoint has the size of the one held, and another root."""


class BadProof(WitnessError):
    """The consistency proof does not lead from the checkpoint held to the one sent."""
