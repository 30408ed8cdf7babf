"""Region policy: the windows and periods that vary from city to city.

Rules that hold everywhere live in ``workflow.definition``; the numbers a city sets for
itself live here, in a named, versioned ``Policy`` loaded from a TOML file::

    region = "shenzhen"
    version = "2026-1"

    [windows]
    activation_days = 300      # collected, the financial function must be active by then
    collection_days = 180      # produced, the card must be collected by then
    temporary_loss_days = 5    # a temporary loss report lapses after this

    [claims]
    backdating_hours = 72      # a channel may say a step happened at most this long
                               # before cardflow records it

    [pin]
    initial = "123456"         # the PIN a new card is issued with
    must_change = true         # a bank outlet activates only once it is changed

Without a file, ``DEFAULT_POLICY`` holds the seeds' values (seed 000: initial PIN
123456, changed at the bank; seed 001: 300 days to activate the financial function).
The seeds name no collection window, no validity for a temporary loss report and no limit
on how long after the fact a channel may report a step; the defaults for those are
cardflow's own (the 72 hours let a hospital that was offline send its day) and every
region should set them.

Every ledger entry records the label of the policy it was decided under
(``shenzhen/2026-1+<digest>``): the digest covers every value, so a changed window can
never be recorded under an old version.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from workflow.errors import PolicyError as PolicyError

_NAME: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
_MAX_DAYS: Final = 3660
_MAX_BACKDATING_HOURS: Final = 24 * 31


class Window(StrEnum):
    """A period a policy sets, each starting at a step of the card's life."""

    ACTIVATION = "activation_window"
    """From collection to the financial function's activation at a bank outlet."""
    COLLECTION = "collection_window"
    """From production to collection."""
    TEMPORARY_LOSS = "temporary_loss_validity"
    """From a temporary loss report to its lapse, unless it is made formal."""


@dataclass(frozen=True, slots=True)
class Policy:
    """One region's windows and PIN rule; ``label`` names it on every entry."""

    region: str = "default"
    version: str = "1"
    activation_days: int = 300
    collection_days: int = 180
    temporary_loss_days: int = 5
    initial_pin: str = "123456"
    pin_must_change: bool = True
    backdating_hours: int = 72
    """How long before cardflow records a step its channel may say it happened. Deadlines
    run from when cardflow recorded the step, never from the time a channel claims."""

    def __post_init__(self) -> None:
        for what, name in (("region", self.region), ("version", self.version)):
            if not name or len(name) > 32 or not set(name) <= _NAME:
                raise PolicyError(
                    f"the policy's {what} {name!r} must be 1 to 32 of a-z, 0-9, '-', '_', '.'"
                )
        for window in Window:
            days = self.days(window)
            if not 1 <= days <= _MAX_DAYS:
                raise PolicyError(f"{window} is {days} days: give 1 to {_MAX_DAYS}")
        if not 0 <= self.backdating_hours <= _MAX_BACKDATING_HOURS:
            raise PolicyError(
                f"backdating_hours is {self.backdating_hours}: give 0 to {_MAX_BACKDATING_HOURS}"
            )
        if not (self.initial_pin.isdigit() and 4 <= len(self.initial_pin) <= 12):
            raise PolicyError("the initial PIN is 4 to 12 digits")

    def days(self, window: Window) -> int:
        return {
            Window.ACTIVATION: self.activation_days,
            Window.COLLECTION: self.collection_days,
            Window.TEMPORARY_LOSS: self.temporary_loss_days,
        }[window]

    def window(self, window: Window) -> timedelta:
        return timedelta(days=self.days(window))

    @property
    def backdating(self) -> timedelta:
        """The furthest back a channel may claim a step happened, from when it is recorded."""
        return timedelta(hours=self.backdating_hours)

    def as_dict(self) -> dict[str, Any]:
        """The policy as ``/v1/workflow`` shows it and the digest covers it."""
        return {
            "region": self.region,
            "version": self.version,
            "windows": {str(window): self.days(window) for window in Window},
            "claims": {"backdating_hours": self.backdating_hours},
            "pin": {"initial": self.initial_pin, "must_change": self.pin_must_change},
        }

    @property
    def digest(self) -> str:
        encoded = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()

    @property
    def label(self) -> str:
        """What an entry records: ``<region>/<version>+<first 12 hex digits of the digest>``."""
        return f"{self.region}/{self.version}+{self.digest[:12]}"


DEFAULT_POLICY: Final = Policy()


def load_policy(path: Path) -> Policy:
    """The policy in the TOML file at ``path``; a value left out keeps its default."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as unreadable:
        raise PolicyError(f"cannot read the policy file {path}: {unreadable.strerror}") from None
    except tomllib.TOMLDecodeError as malformed:
        raise PolicyError(f"the policy file {path} is not TOML: {malformed}") from None
    known = {"region": str, "version": str, "windows": dict, "claims": dict, "pin": dict}
    _only(document, known, f"the policy file {path}")
    windows = document.get("windows", {})
    _only(
        windows,
        {"activation_days": int, "collection_days": int, "temporary_loss_days": int},
        "[windows]",
    )
    claims = document.get("claims", {})
    _only(claims, {"backdating_hours": int}, "[claims]")
    pin = document.get("pin", {})
    _only(pin, {"initial": str, "must_change": bool}, "[pin]")
    return Policy(
        region=document.get("region", DEFAULT_POLICY.region),
        version=document.get("version", DEFAULT_POLICY.version),
        activation_days=windows.get("activation_days", DEFAULT_POLICY.activation_days),
        collection_days=windows.get("collection_days", DEFAULT_POLICY.collection_days),
        temporary_loss_days=windows.get("temporary_loss_days", DEFAULT_POLICY.temporary_loss_days),
        initial_pin=pin.get("initial", DEFAULT_POLICY.initial_pin),
        pin_must_change=pin.get("must_change", DEFAULT_POLICY.pin_must_change),
        backdating_hours=claims.get("backdating_hours", DEFAULT_POLICY.backdating_hours),
    )


def _only(table: dict[str, Any], known: Mapping[str, type], where: str) -> None:
    """Refuse keys ``where`` does not know, and values of the wrong type."""
    for key, value in table.items():
        if key not in known:
            raise PolicyError(f"{where} has {key!r}; it knows {', '.join(sorted(known))}")
        wanted = known[key]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            kind = "an integer" if wanted is int else f"a {wanted.__name__}"
            raise PolicyError(f"{where}: {key} must be {kind}")
