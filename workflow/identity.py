"""Checks of the identity numbers an insured person may hold; the number is also the
social security number.

Citizen ID number (GB 11643-1999)
    Six digits of region code, eight of birth date (YYYYMMDD), three of sequence (odd for
    men, even for women), and a check character computed by ISO 7064 MOD 11-2 over the
    first seventeen (``X`` stands for 10).

Residence permit number of Hong Kong, Macao and Taiwan residents
    The structure and check character of the citizen ID number, with the region code
    810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan) and nothing finer.

Foreign permanent residence ID number, issued since 1 December 2023
    Eighteen characters: ``9``, two digits of the province-level region whose authority
    accepted the application, three of nationality (ISO 3166-1 numeric), eight of birth
    date (YYYYMMDD), three of sequence and the citizen ID number's MOD 11-2 check
    character. Source: the National Immigration Administration's rules for adapting
    systems to the new card (新版外国人永久居留身份证机读信息规则, 2023), as republished
    at http://www.eastcoms.com/service/pro/840.html.

Legacy foreign permanent residence ID number, on the 2004 and 2017 cards
    Fifteen characters, "three Latin letters and twelve digits" (same source): three
    letters of nationality (ISO 3166-1 alpha-3), four digits of the accepting authority,
    the first two of them its province-level region, six of birth date (YYMMDD), then two
    more digits. The layout is read off the example the adaptation rules give,
    ``KAZ110090123105``, whose fields are those of ``911398199012310021`` (Kazakhstan,
    Beijing, born 31 December 1990); the example is quoted at
    https://blog.csdn.net/weixin_47180815/article/details/134553563, and the two are paired
    in the tests of https://github.com/howardli/CredentialKit.

    The last character is said to be a check digit, but no published description of how
    it is computed was found. CredentialKit computes it with the ICAO 9303 7-3-1 method
    over the first fourteen characters; the one published example agrees, which one time
    in ten happens by chance, and that is not enough to refuse a holder's number on. So
    cardflow checks the structure of a legacy number only, and accepts any last two
    digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
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
_RESIDENCE_PERMIT_PROVINCES: Final = frozenset({"81", "82", "83"})
_RESIDENCE_PERMIT_REGIONS: Final = frozenset({"810000", "820000", "830000"})
_EARLIEST_BIRTH_YEAR: Final = 1900


class IdKind(StrEnum):
    """Which kind of identity number an insured person holds."""

    CITIZEN = "citizen"
    RESIDENCE_PERMIT = "residence_permit"
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"


_CALLED: Final = {
    IdKind.CITIZEN: "a citizen ID number",
    IdKind.RESIDENCE_PERMIT: "a residence permit number of a Hong Kong, Macao or Taiwan resident",
    IdKind.FOREIGN_PERMANENT_RESIDENCE: "a foreign permanent residence ID number",
}
_LEGACY_CALLED: Final = "a legacy (15-character) foreign permanent residence ID number"


class NumberShape(StrEnum):
    """What an identity number looks like, finely enough to tell which document carries it."""

    CITIZEN = "citizen"
    HONG_KONG = "hong_kong_residence_permit"
    MACAO = "macao_residence_permit"
    TAIWAN = "taiwan_residence_permit"
    FOREIGN = "foreign_permanent_residence"
    LEGACY_FOREIGN = "legacy_foreign_permanent_residence"


LOOKS: Final[dict[NumberShape, str]] = {
    NumberShape.CITIZEN: "a citizen ID number (18 characters beginning with a province's code)",
    NumberShape.HONG_KONG: "a Hong Kong resident's residence permit number (18 characters "
    "beginning 810000)",
    NumberShape.MACAO: "a Macao resident's residence permit number (18 characters beginning "
    "820000)",
    NumberShape.TAIWAN: "a Taiwan resident's residence permit number (18 characters beginning "
    "830000)",
    NumberShape.FOREIGN: "a foreign permanent residence ID number (18 characters beginning with 9)",
    NumberShape.LEGACY_FOREIGN: "a legacy foreign permanent residence ID number (three letters "
    "and twelve digits)",
}
"""Each shape in words a refusal can use: what the number looks like, never the number."""

_PERMIT_SHAPES: Final = {
    "810000": NumberShape.HONG_KONG,
    "820000": NumberShape.MACAO,
    "830000": NumberShape.TAIWAN,
}


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


@dataclass(frozen=True, slots=True)
class IdentityNumber:
    """A valid identity number of any kind, normalised (stripped, upper case)."""

    number: str
    kind: IdKind
    birth_date: date

    @property
    def foreign(self) -> bool:
        """Whether the holder is a foreigner with permanent residence in China."""
        return self.kind is IdKind.FOREIGN_PERMANENT_RESIDENCE

    @property
    def shape(self) -> NumberShape:
        """What the number looks like: which kind, and for a residence permit, whose."""
        if self.kind is IdKind.CITIZEN:
            return NumberShape.CITIZEN
        if self.kind is IdKind.RESIDENCE_PERMIT:
            return _PERMIT_SHAPES[self.number[:6]]
        return NumberShape.LEGACY_FOREIGN if len(self.number) == 15 else NumberShape.FOREIGN

    def age_on(self, day: date) -> int:
        """The holder's age in completed years on ``day``.

        A holder born on 29 February turns a year older on 1 March in common years.
        """
        if day < self.birth_date:
            raise ValueError("the day is before the holder's birth date")
        birthday_to_come = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - birthday_to_come


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


def parse_identity_number(number: str, *, today: date) -> IdentityNumber:
    """Classify and validate an identity number; raise InvalidIdentity naming the first
    failing check.

    Fifteen characters make a legacy foreign permanent residence ID number; of eighteen,
    one starting with 9 is a foreign permanent residence ID number, one starting with 81,
    82 or 83 a residence permit number, and any other a citizen ID number. The refusal's
    detail says which kind the number was taken for and never repeats the number.
    """
    candidate = number.strip().upper()
    if len(candidate) == 15:
        return _parse_legacy_foreign(candidate, today)
    if len(candidate) != 18:
        raise InvalidIdentity(
            "length",
            "an identity number has 18 characters (15 for a legacy foreign permanent "
            f"residence ID number), not {len(candidate)}",
        )
    if candidate.startswith("9"):
        kind = IdKind.FOREIGN_PERMANENT_RESIDENCE
    elif candidate[:2] in _RESIDENCE_PERMIT_PROVINCES:
        kind = IdKind.RESIDENCE_PERMIT
    else:
        kind = IdKind.CITIZEN
    return _parse_eighteen(candidate, kind, today)


def _parse_eighteen(candidate: str, kind: IdKind, today: date) -> IdentityNumber:
    """Validate an 18-character number already judged to be of ``kind``."""
    called = _CALLED[kind]
    if not _digits(candidate[:17]) or not (_digits(candidate[17]) or candidate[17] == "X"):
        raise InvalidIdentity("characters", f"{called} is 17 digits followed by a digit or X")
    if kind is IdKind.FOREIGN_PERMANENT_RESIDENCE:
        if int(candidate[1:3]) not in _PROVINCE_CODES:
            raise InvalidIdentity(
                "region",
                f"{called} has the code of a province-level region as its second and "
                "third digits, and these are not one",
            )
        if candidate[3:6] == "000":
            raise InvalidIdentity(
                "nationality",
                f"{called} has a nationality code (ISO 3166-1 numeric) as its fourth to "
                "sixth digits, and 000 is not one",
            )
    elif kind is IdKind.RESIDENCE_PERMIT:
        if candidate[:6] not in _RESIDENCE_PERMIT_REGIONS:
            raise InvalidIdentity(
                "region",
                f"{called} begins with 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan)",
            )
    elif int(candidate[:2]) not in _PROVINCE_CODES:
        raise InvalidIdentity(
            "region",
            f"{called} begins with the code of a province-level region, and this one does not",
        )
    try:
        born = date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    except ValueError:
        raise InvalidIdentity(
            "birth_date", f"the birth date in {called} is not a real date"
        ) from None
    if born > today or born.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidIdentity(
            "birth_date",
            f"the birth date in {called} is in the future or before {_EARLIEST_BIRTH_YEAR}",
        )
    if candidate[17] != check_character(candidate[:17]):
        raise InvalidIdentity(
            "check_character",
            f"the check character of {called} does not match (ISO 7064 MOD 11-2)",
        )
    return IdentityNumber(candidate, kind, born)


def _parse_legacy_foreign(candidate: str, today: date) -> IdentityNumber:
    """Validate the structure of a 15-character legacy foreign permanent residence ID number.

    Its last character is not verified: see the module's docstring for why.
    """
    if not (candidate[:3].isascii() and candidate[:3].isalpha() and _digits(candidate[3:])):
        raise InvalidIdentity(
            "characters",
            f"{_LEGACY_CALLED} is three letters followed by twelve digits "
            "(a 15-digit first-generation citizen ID number is not accepted)",
        )
    if int(candidate[3:5]) not in _PROVINCE_CODES:
        raise InvalidIdentity(
            "region",
            f"{_LEGACY_CALLED} has the code of a province-level region as its fourth and "
            "fifth characters, and these are not one",
        )
    born = _latest_past_date(
        int(candidate[7:9]), int(candidate[9:11]), int(candidate[11:13]), today
    )
    if born is None:
        raise InvalidIdentity(
            "birth_date", f"the birth date in {_LEGACY_CALLED} is not a real date"
        )
    return IdentityNumber(candidate, IdKind.FOREIGN_PERMANENT_RESIDENCE, born)


def _latest_past_date(two_digit_year: int, month: int, day: int, today: date) -> date | None:
    """The date with that two-digit year in the latest century that does not put it after
    ``today``, or None if it is not a real date in either century that could hold it."""
    century = today.year - today.year % 100
    for year in (century + two_digit_year, century - 100 + two_digit_year):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _digits(text: str) -> bool:
    """Whether ``text`` is made only of the ASCII digits 0 to 9."""
    return text.isascii() and text.isdigit()
