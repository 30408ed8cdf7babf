"""Identity numbers: citizen ID numbers (GB 11643-1999, ISO 7064 MOD 11-2), residence
permit numbers of Hong Kong, Macao and Taiwan residents, and foreign permanent residence
ID numbers, new and legacy."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.definition import DOCUMENTS, EVIDENCE
from workflow.errors import InvalidIdentity
from workflow.identity import (
    LOOKS,
    IdentityNumber,
    IdKind,
    NumberShape,
    check_character,
    parse_citizen_id,
    parse_identity_number,
)
from workflow.rules import check_document

TODAY = date(2026, 3, 2)


def numbered(first17: str) -> str:
    return first17 + check_character(first17)


class TestCheckCharacter:
    """The check character follows ISO 7064 MOD 11-2."""

    @pytest.mark.parametrize(
        ("first17", "expected"),
        [
            ("11010519491231002", "X"),  # the standard's own example
            ("44052418800101001", "4"),
        ],
    )
    def test_known_answers(self, first17, expected):
        assert check_character(first17) == expected


class TestParse:
    """A valid number parses; an invalid one names the check it fails."""

    def test_valid_number(self):
        parsed = parse_citizen_id("11010519491231002x", today=TODAY)
        assert parsed.number == "11010519491231002X"
        assert parsed.birth_date == date(1949, 12, 31)
        assert parsed.region == "110105"
        assert parsed.sex == "female"

    @pytest.mark.parametrize(
        ("number", "check"),
        [
            ("1101051949123100", "length"),
            ("11010519491231002Y", "characters"),
            ("1101051949123100AX", "characters"),
            (numbered("99010519491231002"), "region"),
            (numbered("11010519490230002"), "birth_date"),
            (numbered("11010520300101002"), "birth_date"),
            (numbered("11010518890101002"), "birth_date"),
            ("110105194912310021", "check_character"),
        ],
    )
    def test_each_check(self, number, check):
        with pytest.raises(InvalidIdentity) as refused:
            parse_citizen_id(number, today=TODAY)
        assert refused.value.check == check

    def test_the_refusal_never_repeats_the_number(self):
        with pytest.raises(InvalidIdentity) as refused:
            parse_citizen_id("110105194912310021", today=TODAY)
        assert "110105194912310021" not in str(refused.value)

    @given(
        birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
        sequence=st.integers(min_value=0, max_value=999),
        position=st.integers(min_value=0, max_value=16),
        delta=st.integers(min_value=1, max_value=9),
    )
    def test_any_single_digit_typo_is_caught(self, birth, sequence, position, delta):
        first17 = f"310104{birth:%Y%m%d}{sequence:03d}"
        valid = numbered(first17)
        assert parse_citizen_id(valid, today=TODAY).birth_date == birth
        typo = list(valid)
        typo[position] = str((int(typo[position]) + delta) % 10)
        with pytest.raises(InvalidIdentity):
            parse_citizen_id("".join(typo), today=TODAY)


CHECK_CHARACTERS = "0123456789X"
MAINLAND_PROVINCES = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
    42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71,
]  # fmt: skip
PROVINCES = [*MAINLAND_PROVINCES, 81, 82, 83]
# Both forms of one holder's foreign permanent residence ID number: Kazakhstan (KAZ, 398),
# accepted in Beijing (11), born 31 December 1990. The legacy one is the example of the
# National Immigration Administration's adaptation rules; the new one carries its fields.
LEGACY_EXAMPLE = "KAZ110090123105"
NEW_EXAMPLE = "911398199012310021"
# A legacy number's two-digit year is read in the last century from this day on.
LEGACY_WINDOW_START = date(1926, 3, 3)


def refusal(number: str) -> InvalidIdentity:
    with pytest.raises(InvalidIdentity) as refused:
        parse_identity_number(number, today=TODAY)
    return refused.value


def parsed_or_refused(number: str) -> IdentityNumber | InvalidIdentity:
    try:
        return parse_identity_number(number, today=TODAY)
    except InvalidIdentity as refused:
        return refused


def other_check_character(valid: str, shift: int) -> str:
    """``valid`` with its check character replaced by a different one."""
    index = CHECK_CHARACTERS.index(valid[-1])
    return valid[:-1] + CHECK_CHARACTERS[(index + shift) % 11]


class TestKinds:
    """Each kind of identity number is recognised and its birth date read."""

    def test_citizen(self):
        parsed = parse_identity_number(" 11010519491231002x ", today=TODAY)
        assert parsed == IdentityNumber("11010519491231002X", IdKind.CITIZEN, date(1949, 12, 31))
        assert not parsed.foreign

    @pytest.mark.parametrize("region", ["810000", "820000", "830000"])
    def test_residence_permit(self, region):
        number = numbered(f"{region}19940823002")
        parsed = parse_identity_number(number, today=TODAY)
        assert parsed.kind is IdKind.RESIDENCE_PERMIT
        assert parsed.birth_date == date(1994, 8, 23)
        assert not parsed.foreign

    def test_known_residence_permit_numbers(self):
        for number in ("810000199408230021", "830000199201300022"):
            assert parse_identity_number(number, today=TODAY).kind is IdKind.RESIDENCE_PERMIT

    def test_foreign_permanent_residence(self):
        parsed = parse_identity_number(NEW_EXAMPLE, today=TODAY)
        assert parsed.kind is IdKind.FOREIGN_PERMANENT_RESIDENCE
        assert parsed.birth_date == date(1990, 12, 31)
        assert parsed.foreign

    def test_legacy_foreign_permanent_residence(self):
        parsed = parse_identity_number(LEGACY_EXAMPLE.lower(), today=TODAY)
        assert parsed == IdentityNumber(
            LEGACY_EXAMPLE, IdKind.FOREIGN_PERMANENT_RESIDENCE, date(1990, 12, 31)
        )
        assert parsed.foreign

    def test_both_forms_of_one_holder_agree(self):
        legacy = parse_identity_number(LEGACY_EXAMPLE, today=TODAY)
        new = parse_identity_number(NEW_EXAMPLE, today=TODAY)
        assert (legacy.kind, legacy.birth_date) == (new.kind, new.birth_date)

    def test_kinds_are_named_in_snake_case(self):
        assert [str(kind) for kind in IdKind] == [
            "citizen",
            "residence_permit",
            "foreign_permanent_residence",
        ]


class TestLegacyBirthDate:
    """A legacy number's YYMMDD falls in the latest century that does not make it future."""

    def test_today_is_this_century(self):
        parsed = parse_identity_number("USA1100260302" + "00", today=TODAY)
        assert parsed.birth_date == TODAY

    def test_tomorrow_is_last_century(self):
        parsed = parse_identity_number("USA1100260303" + "00", today=TODAY)
        assert parsed.birth_date == date(1926, 3, 3)

    def test_leap_day_of_2000(self):
        parsed = parse_identity_number("FRA3100000229" + "17", today=TODAY)
        assert parsed.birth_date == date(2000, 2, 29)

    def test_the_last_two_digits_are_not_verified(self):
        for last_two in ("00", "05", "99"):
            number = LEGACY_EXAMPLE[:13] + last_two
            assert parse_identity_number(number, today=TODAY).birth_date == date(1990, 12, 31)


class TestEachCheck:
    """An invalid number names the first check it fails and the kind it was taken for."""

    @pytest.mark.parametrize(
        ("number", "check"),
        [
            ("", "length"),
            ("1101051949123100", "length"),
            ("11010519491231002", "length"),
            ("11010519491231002XX", "length"),
            ("KAZ11009012310", "length"),
            ("11010519491231002Y", "characters"),
            ("1101051949123100AX", "characters"),
            ("11010519491231002\u00b2", "characters"),
            ("\uff11\uff11010519491231002X", "characters"),
            (numbered("20010519491231002"), "region"),
            (numbered("80010519491231002"), "region"),
            (numbered("00010519491231002"), "region"),
            (numbered("11010519490230002"), "birth_date"),
            (numbered("11010520260303002"), "birth_date"),
            (numbered("11010518991231002"), "birth_date"),
            ("110105194912310021", "check_character"),
        ],
    )
    def test_citizen(self, number, check):
        assert refusal(number).check == check

    @pytest.mark.parametrize(
        ("number", "check"),
        [
            ("81000019940823002Y", "characters"),
            ("8100001994082300X2", "characters"),
            (numbered("81000119940823002"), "region"),
            (numbered("81010019940823002"), "region"),
            (numbered("82123419940823002"), "region"),
            (numbered("83000119940823002"), "region"),
            (numbered("81000019940230002"), "birth_date"),
            (numbered("82000020260303002"), "birth_date"),
            (numbered("83000018991231002"), "birth_date"),
            ("810000199408230022", "check_character"),
        ],
    )
    def test_residence_permit(self, number, check):
        refused = refusal(number)
        assert refused.check == check
        assert "residence permit" in refused.detail

    @pytest.mark.parametrize(
        ("number", "check"),
        [
            ("91139819901231002Y", "characters"),
            ("9113981990123100A1", "characters"),
            (numbered("90039819901231002"), "region"),
            (numbered("99939819901231002"), "region"),
            (numbered("97239819901231002"), "region"),
            (numbered("91100019901231002"), "nationality"),
            (numbered("91139819900229002"), "birth_date"),
            (numbered("91139820260303002"), "birth_date"),
            (numbered("91139818991231002"), "birth_date"),
            ("911398199012310022", "check_character"),
        ],
    )
    def test_foreign_permanent_residence(self, number, check):
        refused = refusal(number)
        assert refused.check == check
        assert "a foreign permanent residence ID number" in refused.detail

    @pytest.mark.parametrize(
        ("number", "check"),
        [
            ("110105491231002", "characters"),
            ("KA1110090123105", "characters"),
            ("KAZ11009012310X", "characters"),
            ("ÄÖÜ110090123105", "characters"),
            ("KAZ990090123105", "region"),
            ("KAZ000090123105", "region"),
            ("KAZ110090023105", "birth_date"),
            ("KAZ110090133105", "birth_date"),
            ("KAZ110001023005", "birth_date"),
        ],
    )
    def test_legacy_foreign_permanent_residence(self, number, check):
        refused = refusal(number)
        assert refused.check == check
        assert "legacy (15-character) foreign permanent residence ID number" in refused.detail

    def test_a_first_generation_citizen_id_is_told_it_is_not_accepted(self):
        assert "first-generation citizen ID number is not accepted" in (
            refusal("110105491231002").detail
        )

    def test_length_names_the_accepted_lengths(self):
        detail = refusal("1101051949123100").detail
        assert "18 characters" in detail
        assert "15 for a legacy foreign permanent residence ID number" in detail
        assert "not 16" in detail

    @pytest.mark.parametrize(
        "number",
        [
            "810001199408230021",
            "110105194912310021",
            "911000199012310021",
            "KAZ990090123105",
            "KAZ110090023105",
        ],
    )
    def test_the_refusal_never_repeats_the_number(self, number):
        assert number not in str(refusal(number))


class TestAgeOn:
    """Age is counted in completed years."""

    holder = parse_identity_number(numbered("11010519900302002"), today=TODAY)

    def test_birthday_today(self):
        assert self.holder.age_on(date(2026, 3, 2)) == 36

    def test_birthday_tomorrow(self):
        assert self.holder.age_on(date(2026, 3, 1)) == 35

    def test_day_of_birth(self):
        assert self.holder.age_on(date(1990, 3, 2)) == 0

    def test_leap_day_birthday_comes_on_the_first_of_march_in_common_years(self):
        leap = parse_identity_number("KAZ110000022900", today=TODAY)
        assert leap.age_on(date(2026, 2, 28)) == 25
        assert leap.age_on(date(2026, 3, 1)) == 26
        assert leap.age_on(date(2024, 2, 29)) == 24

    def test_before_birth_is_an_error(self):
        with pytest.raises(ValueError, match="before the holder's birth date"):
            self.holder.age_on(date(1990, 3, 1))


births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
shifts = st.integers(min_value=1, max_value=10)


class TestProperties:
    """Every well-formed number parses; a wrong check character is always caught."""

    @staticmethod
    def assert_valid_then_caught(valid: str, kind: IdKind, birth: date, shift: int) -> None:
        parsed = parse_identity_number(valid, today=TODAY)
        assert (parsed.number, parsed.kind, parsed.birth_date) == (valid, kind, birth)
        refused = refusal(other_check_character(valid, shift))
        assert refused.check == "check_character"

    @given(
        province=st.sampled_from(MAINLAND_PROVINCES),
        rest_of_region=st.integers(min_value=0, max_value=9999),
        birth=births,
        sequence=sequences,
        shift=shifts,
    )
    def test_citizen(self, province, rest_of_region, birth, sequence, shift):
        valid = numbered(f"{province}{rest_of_region:04d}{birth:%Y%m%d}{sequence:03d}")
        self.assert_valid_then_caught(valid, IdKind.CITIZEN, birth, shift)

    @given(
        region=st.sampled_from(["810000", "820000", "830000"]),
        birth=births,
        sequence=sequences,
        shift=shifts,
    )
    def test_residence_permit(self, region, birth, sequence, shift):
        valid = numbered(f"{region}{birth:%Y%m%d}{sequence:03d}")
        self.assert_valid_then_caught(valid, IdKind.RESIDENCE_PERMIT, birth, shift)

    @given(
        province=st.sampled_from(PROVINCES),
        nationality=st.integers(min_value=1, max_value=999),
        birth=births,
        sequence=sequences,
        shift=shifts,
    )
    def test_foreign_permanent_residence(self, province, nationality, birth, sequence, shift):
        valid = numbered(f"9{province}{nationality:03d}{birth:%Y%m%d}{sequence:03d}")
        self.assert_valid_then_caught(valid, IdKind.FOREIGN_PERMANENT_RESIDENCE, birth, shift)

    @given(
        nationality=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
        province=st.sampled_from(PROVINCES),
        authority=st.integers(min_value=0, max_value=99),
        birth=st.dates(min_value=LEGACY_WINDOW_START, max_value=TODAY),
        last_two=st.integers(min_value=0, max_value=99),
    )
    def test_legacy_foreign_permanent_residence(
        self, nationality, province, authority, birth, last_two
    ):
        # Structure only: no check digit is verified, so there is none to break.
        valid = f"{nationality}{province}{authority:02d}{birth:%y%m%d}{last_two:02d}"
        parsed = parse_identity_number(valid, today=TODAY)
        assert (parsed.kind, parsed.birth_date) == (IdKind.FOREIGN_PERMANENT_RESIDENCE, birth)

    @given(number=st.text(max_size=20) | st.from_regex(r"[0-9A-Z]{15}|[0-9X]{18}", fullmatch=True))
    def test_anything_else_is_refused_by_name(self, number):
        outcome = parsed_or_refused(number)
        if isinstance(outcome, InvalidIdentity):
            assert outcome.check in {
                "length",
                "characters",
                "region",
                "nationality",
                "birth_date",
                "check_character",
            }
            if len(number.strip()) >= 15:
                assert number.strip().upper() not in outcome.detail


SHAPED: dict[NumberShape, str] = {
    NumberShape.CITIZEN: "11010519491231002X",
    NumberShape.HONG_KONG: numbered("81000019900101001"),
    NumberShape.MACAO: numbered("82000019900101001"),
    NumberShape.TAIWAN: numbered("83000019900101001"),
    NumberShape.FOREIGN: NEW_EXAMPLE,
    NumberShape.LEGACY_FOREIGN: LEGACY_EXAMPLE,
}
"""A valid number of every shape."""


class TestDocuments:
    """Each identity document carries numbers of given shapes, from one table; an
    application naming a document that does not carry the number given is refused,
    saying what each looks like and never repeating the number."""

    @pytest.mark.parametrize(("shape", "number"), SHAPED.items())
    def test_each_number_has_its_shape(self, shape, number):
        assert parse_identity_number(number, today=TODAY).shape is shape

    def test_the_table_is_the_evidence_choices(self):
        assert tuple(DOCUMENTS) == EVIDENCE["identity_document"].choices

    def test_every_shape_is_carried_by_some_document(self):
        assert set().union(*(d.carries for d in DOCUMENTS.values())) == set(NumberShape)

    @pytest.mark.parametrize("document", DOCUMENTS)
    @pytest.mark.parametrize(("shape", "number"), SHAPED.items())
    def test_every_document_with_every_shape(self, document, shape, number):
        identity = parse_identity_number(number, today=TODAY)
        evidence = {"identity_document": document}
        if shape in DOCUMENTS[document].carries:
            check_document(evidence, identity)
            return
        with pytest.raises(InvalidIdentity) as refused:
            check_document(evidence, identity)
        detail = refused.value.detail
        assert refused.value.check == "document"
        assert detail.startswith(f"{DOCUMENTS[document].says} ({document}) carries ")
        assert LOOKS[shape] in detail
        assert number not in detail
        assert identity.number[6:14] not in detail  # not even the birth date
        fitting = [key for key, d in DOCUMENTS.items() if shape in d.carries]
        assert detail.endswith(f"({' or '.join(fitting)})")

    @pytest.mark.parametrize(
        ("document", "number", "says"),
        [
            ("resident_id_card", SHAPED[NumberShape.HONG_KONG], "Hong Kong resident's"),
            ("passport", SHAPED[NumberShape.CITIZEN], "a citizen ID number"),
        ],
    )
    def test_the_cases_the_issue_names(self, document, number, says):
        with pytest.raises(InvalidIdentity, match=says):
            check_document(
                {"identity_document": document}, parse_identity_number(number, today=TODAY)
            )
