"""Times in the rules' words read as they do in the entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.entry import format_timestamp
from workflow.moments import china_date, timestamp


class TestTimestamp:
    """A time in a message is written the way the ledger writes it."""

    @pytest.mark.parametrize(
        "moment",
        [
            datetime(2026, 3, 1, 17, 5, tzinfo=UTC),
            datetime(2026, 3, 1, 17, 5, 3, 250, tzinfo=UTC),
            datetime(2026, 3, 2, 1, 5, tzinfo=timezone(timedelta(hours=8))),
        ],
    )
    def test_as_the_ledger_writes_it(self, moment):
        assert timestamp(moment) == format_timestamp(moment)

    def test_in_utc(self):
        moment = datetime(2026, 3, 2, 1, 5, tzinfo=timezone(timedelta(hours=8)))
        assert timestamp(moment) == "2026-03-01T17:05:00.000000Z"


class TestChinaDate:
    """An age is counted on the day it is in China."""

    def test_late_evening_utc_is_the_next_day(self):
        assert str(china_date(datetime(2026, 3, 1, 17, 5, tzinfo=UTC))) == "2026-03-02"
