"""``cardflow demo`` tells each card's whole story, on the story's clock, and counts what
it did from what the ledger gained."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

import cli.demo
from cli.demo import DAYS_AGO, ENDINGS, Demo, Said, Told, run_demo
from ledger.store import REFUSAL
from tests.cli.helpers import cardflow
from tests.contract.helpers import open_card
from workflow.states import Channel, Event, State


@pytest.fixture
def shown(service, audit, clock) -> tuple[Demo, list[str]]:
    open_card(service, steps=())  # the demo runs on a ledger that holds a card already
    lines: list[str] = []
    demo = run_demo(service, audit, say=lines.append, now=clock(), rng=random.Random(7))
    return demo, lines


def attempt_line(tale: Told, said: Said) -> str:
    return (
        f"  day {said.day:>3}  {tale.label(said.card_id)}  {said.event:<21} via {said.channel}"
        f"{said.how}"
    )


class TestWholeStories:
    """Each story's lines cover every entry ``cardflow history`` shows for its cards."""

    def test_every_entry_of_every_card_is_told(self, shown, service):
        demo, _ = shown
        for tale in demo.told:
            for card_id in tale.cards:
                entries = service.history(card_id, refusals=True)
                recorded = Counter(
                    (entry.event, entry.kind == REFUSAL, entry.occurred_at) for entry in entries
                )
                told = Counter(
                    (str(said.event), said.refused, said.at)
                    for said in tale.attempts
                    if said.card_id == card_id
                )
                assert told == recorded, (tale.story.title, tale.label(card_id))

    def test_every_card_the_run_touched_is_in_a_story(self, shown, service):
        demo, _ = shown
        gained = service.feed(after=1, limit=1000)
        assert sorted(entry.seq for entry in gained) == sorted(e.seq for e in demo.written)
        touched = {entry.card_id for entry in gained}
        assert touched == {card_id for tale in demo.told for card_id in tale.cards}
        assert len(touched) == 13

    def test_each_attempt_is_printed_on_its_card(self, shown):
        demo, lines = shown
        for tale in demo.told:
            for said in tale.attempts:
                assert attempt_line(tale, said) in lines
            for card_id in tale.cards:
                assert any(
                    line.startswith(f"  card {tale.label(card_id)} {card_id}: ") for line in lines
                )

    def test_a_reissue_says_which_card_each_step_is_on(self, shown):
        demo, _lines = shown
        (tale,) = [tale for tale in demo.told if len(tale.cards) == 2]
        lost, replacement = tale.cards
        reissues = [said for said in tale.attempts if said.event is Event.REISSUE]
        assert [said.card_id for said in reissues] == [lost, replacement]
        assert "replaced by card B" in reissues[0].how
        assert "in place of card A" in reissues[1].how
        after = tale.attempts[tale.attempts.index(reissues[1]) + 1 :]
        assert after
        assert all(said.card_id == replacement for said in after)

    def test_a_refused_application_is_on_no_card(self, shown):
        demo, _ = shown
        applications = [
            said
            for tale in demo.told
            for said in tale.attempts
            if said.refused and said.card_id is None
        ]
        assert applications
        assert all(said.event is Event.APPLY for said in applications)
        assert all("no card opened" in said.how for said in applications)


class TestTheStorysClock:
    """A refusal carries the time of the attempt on the story's clock, as a step does."""

    def test_refusals_are_noted_on_their_day(self, shown, clock):
        demo, _ = shown
        start = clock() - timedelta(days=DAYS_AGO)
        refusals = [entry for entry in demo.written if entry.kind == REFUSAL]
        assert refusals
        days = sorted((entry.occurred_at - start).days for entry in refusals)
        told = sorted(
            said.day
            for tale in demo.told
            for said in tale.attempts
            if said.refused and said.card_id is not None
        )
        assert days == told
        assert max(days) < DAYS_AGO


class TestCardsLeftBehind:
    """A card that ends neither activated, cancelled nor replaced is explained."""

    def test_each_is_explained(self, shown, service):
        demo, lines = shown
        behind = 0
        for tale in demo.told:
            for card_id in tale.cards:
                card = service.card(card_id)
                if card.state in ENDINGS:
                    continue
                behind += 1
                assert tale.why.get(card_id), (tale.story.title, card.state)
                header = f"  card {tale.label(card_id)} {card_id}: {card.state} "
                assert any(line.startswith(header) and tale.why[card_id] in line for line in lines)
        assert behind == 5  # a child's card reported lost, three returned, one not reviewed

    def test_the_states_they_stay_in(self, shown, service):
        demo, _ = shown
        states = Counter(
            service.card(card_id).state for tale in demo.told for card_id in tale.cards
        )
        assert states[State.RETURNED] == 3
        assert states[State.APPLIED] == 1
        assert states[State.REPORTED_LOST] == 1


class TestSummary:
    """The summary states the counts the run measured, and what a surprise is."""

    def test_counts(self, shown):
        demo, _ = shown
        first, outcome = demo.summary()
        refused = [said for tale in demo.told for said in tale.attempts if said.refused]
        noted = sum(entry.kind == REFUSAL for entry in demo.written)
        assert first == (
            f"9 stories told: 13 cards opened, {len(demo.written)} entries written, "
            f"{len(refused)} refusals ({noted} noted on their card, "
            f"{len(refused) - noted} applications refused, which open no card)"
        )
        assert (len(demo.written), len(refused), noted) == (77, 15, 9)
        assert outcome == "every attempt came out as its story says"

    def test_a_surprise_is_an_attempt_that_came_out_otherwise(
        self, service, audit, clock, monkeypatch
    ):
        story = cli.demo.STORIES[1]
        wrong = replace(story.moves[1], refused=True, note="a review the story thinks refused")
        monkeypatch.setattr(
            cli.demo,
            "STORIES",
            (replace(story, moves=(story.moves[0], wrong, *story.moves[2:])),),
        )
        monkeypatch.setattr(cli.demo, "NAMES", cli.demo.NAMES[:1])
        lines: list[str] = []
        demo = run_demo(service, audit, say=lines.append, now=clock())
        assert demo.surprises == 1
        assert any(
            "UNEXPECTED success (a review the story thinks refused)" in line for line in lines
        )
        assert demo.summary()[1] == (
            "1 attempts came out otherwise than their story says (marked UNEXPECTED above)"
        )


class TestCommand:
    """``cardflow demo`` prints the summary; a second run adds as many again."""

    def test_prints_the_counts(self, sqlite_url):
        result = cardflow("demo", "--database-url", sqlite_url)
        assert result.exit_code == 0, result.output
        assert re.search(
            r"^9 stories told: 13 cards opened, 77 entries written, 15 refusals "
            r"\(9 noted on their card, 6 applications refused, which open no card\)$",
            result.output,
            re.MULTILINE,
        )
        again = cardflow("demo", "--database-url", sqlite_url)
        assert "9 stories told: 13 cards opened, 77 entries written" in again.output
        assert "ledger verified: 154 entries, 26 cards" in again.output
        assert Channel.SYSTEM in again.output
