"""``ledger.group``: concurrent appends gathered into batches, each caller answered alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from ledger.append import Request
from ledger.errors import VersionConflict
from ledger.group import GroupCommit, Outcome
from tests.contract.helpers import draft


def request(card: str) -> Request:
    return Request([draft(card, 1)])


class Recorder:
    """A commit that records its batches, holds the first until released, and answers
    each request with its card id (or a refusal for cards named ``bad*``)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()
        self.first = threading.Event()

    def __call__(self, requests: Sequence[Request]) -> list[Outcome]:
        cards = [r.drafts[0].card_id for r in requests]
        self.batches.append(cards)
        if len(self.batches) == 1:
            self.first.set()
            assert self.release.wait(10)
        return [
            VersionConflict(card, expected=1, actual=2) if card.startswith("bad") else [card]  # type: ignore[list-item]
            for card in cards
        ]


def together(group: GroupCommit, cards: list[str]) -> list[object]:
    def one(card: str) -> object:
        try:
            return group.append(request(card))
        except Exception as error:
            return error

    with ThreadPoolExecutor(len(cards)) as pool:
        return list(pool.map(one, cards))


def waiting(group: GroupCommit) -> int:
    with group._lock:
        return len(group._waiting)


def test_requests_that_arrive_during_a_commit_go_together_into_the_next():
    recorder = Recorder()
    group = GroupCommit(recorder, most=64, linger=0)
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(group.append, request("first"))
        assert recorder.first.wait(5)
        rest = [pool.submit(group.append, request(f"c{i}")) for i in range(8)]
        while waiting(group) < 8:
            time.sleep(0.001)
        recorder.release.set()
        assert first.result(5) == ["first"]
        assert [f.result(5) for f in rest] == [[f"c{i}"] for i in range(8)]
    assert recorder.batches[0] == ["first"]
    assert sorted(recorder.batches[1]) == sorted(f"c{i}" for i in range(8))
    assert len(recorder.batches) == 2


def test_a_batch_holds_at_most_most():
    recorder = Recorder()
    group = GroupCommit(recorder, most=3, linger=0)
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(group.append, request("first"))
        assert recorder.first.wait(5)
        rest = [pool.submit(group.append, request(f"c{i}")) for i in range(7)]
        while waiting(group) < 7:
            time.sleep(0.001)
        recorder.release.set()
        first.result(5)
        for future in rest:
            future.result(5)
    assert [len(batch) for batch in recorder.batches] == [1, 3, 3, 1]


def test_each_caller_gets_its_own_refusal():
    recorder = Recorder()
    recorder.release.set()
    group = GroupCommit(recorder)
    results = together(group, ["ok1", "bad", "ok2"])
    assert results[0] == ["ok1"]
    assert results[2] == ["ok2"]
    assert isinstance(results[1], VersionConflict)


def test_a_commit_that_raises_fails_every_request_of_its_batch():
    calls: list[int] = []

    def broken_once(requests: Sequence[Request]) -> list[Outcome]:
        calls.append(len(requests))
        if len(calls) == 1:
            raise OSError("the database went away")
        return [[r.drafts[0].card_id] for r in requests]  # type: ignore[misc]

    group = GroupCommit(broken_once)
    assert isinstance(together(group, ["c0"])[0], OSError)
    assert group.append(request("after")) == ["after"]  # the lead was given back


def test_a_lone_caller_never_lingers():
    recorder = Recorder()
    recorder.release.set()
    group = GroupCommit(recorder, linger=5.0)
    started = time.perf_counter()
    for i in range(3):
        assert group.append(request(f"c{i}")) == [f"c{i}"]
    assert time.perf_counter() - started < 2.0


def test_after_a_crowded_batch_the_leader_lingers_for_more():
    recorder = Recorder()
    group = GroupCommit(recorder, most=64, linger=0.5)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(group.append, request("first"))
        assert recorder.first.wait(5)
        two = [pool.submit(group.append, request(f"c{i}")) for i in range(2)]
        while waiting(group) < 2:
            time.sleep(0.001)
        recorder.release.set()
        first.result(5)
        for future in two:
            future.result(5)
        # the batch of two was crowded: the next leader waits up to 0.5 s for company
        late = [pool.submit(group.append, request(f"late{i}")) for i in range(2)]
        for future in late:
            future.result(5)
    assert sorted(recorder.batches[2]) == ["late0", "late1"]


@pytest.mark.parametrize(
    ("most", "linger", "said"), [(0, 0.0, "at least one"), (1, -1.0, "negative")]
)
def test_bounds_are_checked(most, linger, said):
    with pytest.raises(ValueError, match=said):
        GroupCommit(lambda rs: [], most=most, linger=linger)
