"""Citizen ID numbers (GB 11643-1999, ISO 7064 MOD 11-2)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.errors import InvalidIdentity
from workflow.identity import check_character, parse_citizen_id

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
