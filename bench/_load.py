"""A lean HTTP/1.1 load generator: ``connections`` keep-alive sockets, one request in
flight on each, for ``seconds``; every answer's status and latency.

It shares the machine with the server it drives, so it is kept cheap: asyncio streams
over raw sockets, each request's bytes made by a few string joins, an answer read as a
status line, its headers (only ``content-length`` looked at) and its body; JSON is
parsed only when the next request needs something from it (a new card's id). Run it in
a process of its own (``python -m bench._load SPEC``, printing one JSON object), so that
it never shares an interpreter lock with what it measures.

Workloads:

* ``lifecycle``: cardflow itself. Each connection applies for a card (``POST /v1/cards``,
  a new person each time) and moves it review, produce, collect, activate (``POST
  /v1/cards/{id}/transitions``), then applies again: an application is counted as
  ``apply``, every later step as ``transition``.
* ``trivial``: ``POST /trivial`` with a small JSON body (``bench/naive_app.py``).
* ``naive``: ``POST /move`` on ``bench/naive_app.py``, one UPDATE, one INSERT and one
  COMMIT a request, with the same body a transition sends.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from workflow.identity import check_character

APPLICATION: Final = {
    "identity_document": "resident_id_card",
    "registration_form": True,
    "photo": True,
    "applicant_signature": True,
}
STEPS: Final = (
    ("review", "card_center", {"information_checked": True}),
    ("produce", "issuing_bank", {"production_batch": "B-BENCH"}),
    ("collect", "card_center", {"collection_notice": "acceptance_receipt", "valid_id": True}),
    ("activate", "card_center", {"card_presented": True, "original_id": True}),
)
"""The steps after an application, with the channels a clerk key of the benchmark holds."""
CHANNELS: Final = ("card_center", "issuing_bank")


def id_number(serial: int) -> str:
    """A valid citizen ID number of its own for each ``serial`` below 25,000,000: a
    birth date from 1950 on (the first 28 days of each month, so every one is a real
    date) and a three-digit sequence number."""
    day, sequence = divmod(serial, 1000)
    year, rest = divmod(day, 12 * 28)
    month, dom = divmod(rest, 28)
    first17 = f"110105{1950 + year:04d}{month + 1:02d}{dom + 1:02d}{sequence:03d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class Spec:
    """What one run of the load generator does."""

    port: int
    workload: str
    seconds: float
    connections: int = 64
    token: str = ""
    first_serial: int = 0
    """The first person's serial number (``id_number``): each run of the lifecycle
    workload on one database starts past the ones before it."""
    host: str = "127.0.0.1"


@dataclass
class Seen:
    """What one run saw: latencies by kind of request, statuses other than 2xx."""

    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    people: int = 0

    def count(self) -> int:
        return sum(len(values) for values in self.latencies.values())


class _Requests:
    """The request bytes of one connection's workload, one after another."""

    def __init__(self, spec: Spec, lane: int) -> None:
        self.spec = spec
        self.lane = lane
        self.people = 0
        self.card: str | None = None
        self.step = 0
        auth = f"Authorization: Bearer {spec.token}\r\n" if spec.token else ""
        self.head = f"Host: {spec.host}:{spec.port}\r\n{auth}Content-Type: application/json\r\n"

    def _post(self, path: str, body: dict[str, Any]) -> bytes:
        data = json.dumps(body, separators=(",", ":")).encode()
        return (
            f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )

    def next(self) -> tuple[str, bytes]:
        """The kind and bytes of the next request."""
        workload = self.spec.workload
        if workload == "trivial":
            return "trivial", self._post("/trivial", {"ping": self.lane})
        event, channel, evidence = STEPS[self.step % len(STEPS)]
        body = {"event": event, "channel": channel, "evidence": evidence}
        if workload == "naive":
            self.step += 1
            return "transition", self._post(f"/move?card={self.lane}", body)
        if self.card is None:
            serial = self.spec.first_serial + self.lane + self.spec.connections * self.people
            self.people += 1
            applicant = {"name": "Bench Person", "id_number": id_number(serial)}
            return "apply", self._post(
                "/v1/cards",
                {"applicant": applicant, "channel": "card_center", "evidence": APPLICATION},
            )
        return "transition", self._post(f"/v1/cards/{self.card}/transitions", body)

    def answered(self, kind: str, status: int, body: bytes) -> None:
        """Move the script on from an accepted answer (an error starts a new card)."""
        if self.spec.workload != "lifecycle":
            return
        if status >= 300:
            self.card, self.step = None, 0
        elif kind == "apply":
            self.card, self.step = json.loads(body)["card_id"], 0
        else:
            self.step += 1
            if self.step == len(STEPS):
                self.card, self.step = None, 0


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def _lane(spec: Spec, lane: int, until: float, seen: Seen, script: _Requests) -> None:
    reader, writer = await asyncio.open_connection(spec.host, spec.port)
    try:
        while time.perf_counter() < until:
            kind, request = script.next()
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_answer(reader)
            seen.latencies.setdefault(kind, []).append(time.perf_counter() - started)
            if not 200 <= status < 300:
                key = f"{kind} {status}"
                seen.errors[key] = seen.errors.get(key, 0) + 1
            script.answered(kind, status, body)
    finally:
        writer.close()


async def drive(spec: Spec) -> Seen:
    """Run ``spec``'s workload on ``spec.connections`` connections for ``spec.seconds``."""
    seen = Seen()
    scripts = [_Requests(spec, lane) for lane in range(spec.connections)]
    started = time.perf_counter()
    until = started + spec.seconds
    await asyncio.gather(
        *(_lane(spec, lane, until, seen, script) for lane, script in enumerate(scripts))
    )
    seen.seconds = time.perf_counter() - started
    seen.people = max((script.people for script in scripts), default=0) * spec.connections
    return seen


def main() -> None:
    spec = Spec(**json.loads(sys.argv[1]))
    print(json.dumps(asdict(asyncio.run(drive(spec)))))


if __name__ == "__main__":
    main()
