"""Made-up people for tests: valid citizen ID numbers, a new one for every call.

A person holds one live card at most, so every test that opens many cards opens them
for many people.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Final

from workflow.identity import check_character

_SERIALS: Final = count()
_FIRST_BIRTHDAY: Final = date(1950, 1, 1)


def citizen_id(region: str = "110105") -> str:
    """A valid 18-digit citizen ID number no earlier call returned."""
    serial = next(_SERIALS)
    born = _FIRST_BIRTHDAY + timedelta(days=serial // 999)
    first17 = f"{region}{born:%Y%m%d}{serial % 999 + 1:03d}"
    return first17 + check_character(first17)
