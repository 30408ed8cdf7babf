"""Checks of the citizen ID number, which is also the social security number.

GB 11643-1999: six digits of region code, eight of birth date (YYYYMMDD), three of
sequence (odd for men, even for women), and a check character computed by
ISO 7064 MOD 11-2 over the first seventeen (``X`` stands for 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from workflow.errors import InvalidIdentity

_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARACTERS: Final = "10X98765432"
_PROVINCE_CODES: Final = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
        71,
        81,
        82,
        83,
    }
)


@dataclass(frozen=True, slots=True)
class CitizenId:
    """What a valid citizen ID number says about its holder."""

    number: str
    region: str
    birth_date: date
    sequence: str

    @property
    def sex(self) -> str:
        return "male" if int(self.sequence) % 2 else "female"


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first seventeen digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def parse_citizen_id(number: str, *, today: date) -> CitizenId:
    """Validate an 18-character citizen ID number, naming the first check it fails."""
    candidate = number.strip().upper()
    if len(candidate) != 18:
        raise InvalidIdentity(
            "length", f"a citizen ID number has 18 characters, not {len(candidate)}"
        )
    if not candidate[:17].isdigit() or not (candidate[17].isdigit() or candidate[17] == "X"):
        raise InvalidIdentity(
            "characters", "a citizen ID number is 17 digits followed by a digit or X"
        )
    if int(candidate[:2]) not in _PROVINCE_CODES:
        raise InvalidIdentity(
            "region", f"{candidate[:2]} is not the code of a province-level region"
        )
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        raise InvalidIdentity(
            "birth_date", "the birth date in the ID number is not a real date"
        ) from None
    if born > today or born.year < 1900:
        raise InvalidIdentity(
            "birth_date", "the birth date in the ID number is in the future or before 1900"
        )
    expected = check_character(candidate[:17])
    if candidate[17] != expected:
        raise InvalidIdentity(
            "check_character", "the check character does not match (ISO 7064 MOD 11-2)"
        )
    return CitizenId(candidate, candidate[:6], born, candidate[14:17])
