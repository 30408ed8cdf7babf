"""Where cardflow finds its database, and the one place a service is wired to a ledger."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from ledger.sql import SqlLedger
from workflow.service import CardService

DATABASE_URL_ENV: Final = "CARDFLOW_DATABASE_URL"
DEFAULT_DATABASE_URL: Final = "sqlite:///cardflow.db"


def database_url(explicit: str | None = None) -> str:
    """The URL given, else ``$CARDFLOW_DATABASE_URL``, else ``cardflow.db`` here."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def open_service(url: str) -> CardService:
    """A service on the ledger at ``url``, its schema created if missing."""
    ledger = SqlLedger(url)
    ledger.create_schema()
    return CardService(ledger)


@contextmanager
def service_for_command(url: str) -> Iterator[CardService]:
    """A service for one command's lifetime, its connections closed at the end."""
    service = open_service(url)
    try:
        yield service
    finally:
        assert isinstance(service.ledger, SqlLedger)
        service.ledger.dispose()
