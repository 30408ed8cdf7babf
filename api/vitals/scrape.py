"""One scrape of ``/metrics``: the counts (``api.vitals.metrics``), and the ledger's size
and latest checkpoint read at that moment, within a bound; a ledger out of reach leaves
its figures out and says ``cardflow_ledger_up 0``, and the counts are answered anyway."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from api.vitals.looks import within
from api.vitals.metrics import COUNTED
from api.vitals.multiprocess import counts_folder
from ledger.store import Ledger, SignedCheckpoint

log = structlog.get_logger()

SCRAPE_SECONDS: Final = 1.0
"""How long a scrape waits for the ledger's figures before answering without them."""


@dataclass(frozen=True, slots=True)
class LedgerFigures:
    """What the ledger held when scraped: its entries (the tree's size), and the latest
    signed checkpoint, if one is."""

    entries: int
    checkpoint: SignedCheckpoint | None


def figures_of(ledger: Ledger) -> LedgerFigures:
    """Two one-row reads: the tip, and the latest checkpoint."""
    return LedgerFigures(ledger.tip().size, ledger.latest_checkpoint())


async def read_figures(ledger: Ledger, seconds: float = SCRAPE_SECONDS) -> LedgerFigures | None:
    """The ledger's figures, or ``None`` if it did not give them within ``seconds`` (the
    database gone, say): logged by kind, never with the driver's words."""
    try:
        return await within(seconds, lambda: figures_of(ledger))
    except Exception as failed:
        log.warning(
            "metrics without the ledger", error=type(getattr(failed, "orig", failed)).__name__
        )
        return None


class LedgerGauges:
    """The ledger's figures of one scrape, as gauges (a collector of that scrape only)."""

    def __init__(self, figures: LedgerFigures | None, now: datetime) -> None:
        self.figures = figures
        self.now = now

    def collect(self) -> Iterator[Metric]:
        up = self.figures is not None
        yield GaugeMetricFamily(
            "cardflow_ledger_up", "1 if the ledger's figures were read for this scrape.", int(up)
        )
        if self.figures is None:
            return
        yield GaugeMetricFamily(
            "cardflow_ledger_entries",
            "Entries in the ledger (its tree's size).",
            self.figures.entries,
        )
        signed = self.figures.checkpoint
        if signed is None:
            return
        yield GaugeMetricFamily(
            "cardflow_checkpoint_size", "Entries the latest signed checkpoint covers.", signed.size
        )
        yield GaugeMetricFamily(
            "cardflow_checkpoint_age_seconds",
            "Seconds since the latest checkpoint was signed.",
            (self.now - signed.signed_at).total_seconds(),
        )


def exposition(
    figures: LedgerFigures | None, now: datetime, accept: str | None
) -> tuple[bytes, str]:
    """The scrape's body and its content type (text, or OpenMetrics if ``accept`` asks):
    every worker's counts when they are shared (``api.vitals.multiprocess``), else this
    process's, and the ledger's figures."""
    registry = CollectorRegistry()
    folder = counts_folder()
    if folder is not None:
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    else:
        for metric in COUNTED:
            registry.register(metric)
    registry.register(LedgerGauges(figures, now))
    encode, content_type = choose_encoder(accept or "")
    return encode(registry), content_type
