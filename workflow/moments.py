"""Moments as the rules speak of them: the day it is in China, and a time written in a
refusal's words the way the ledger writes it in an entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

CHINA_STANDARD_TIME: Final = timezone(timedelta(hours=8), "CST")
"""The zone an applicant's age and an ID number's birth date are counted in."""


def china_date(moment: datetime) -> date:
    """The day ``moment`` falls on in China: the day an age is counted on."""
    return moment.astimezone(CHINA_STANDARD_TIME).date()


def timestamp(moment: datetime) -> str:
    """RFC 3339, UTC, microseconds, ``Z``: so a time in a message reads as it does in
    the entries a supervisor compares it with."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
