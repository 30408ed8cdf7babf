"""Where cardflow finds its database, and the one place the service and keys are wired."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from api.keys import SqlKeys
from ledger.sql import SqlLedger
from ledger.store import RECEIPT_WINDOW
from workflow.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from workflow.service import CardService

DATABASE_URL_ENV: Final = "CARDFLOW_DATABASE_URL"
DEFAULT_DATABASE_URL: Final = "sqlite:///cardflow.db"
RECEIPT_HOURS_ENV: Final = "CARDFLOW_IDEMPOTENCY_HOURS"
POLICY_ENV: Final = "CARDFLOW_POLICY"
SWEEP_EVERY_ENV: Final = "CARDFLOW_SWEEP_EVERY"
_LONGEST_SWEEP_INTERVAL: Final = 24 * 60 * 60


class ConfigurationError(ValueError):
    """A setting in the environment that cardflow cannot use."""


def database_url(explicit: str | None = None) -> str:
    """The URL given, else ``$CARDFLOW_DATABASE_URL``, else ``cardflow.db`` here."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def receipt_window() -> timedelta:
    """How long an idempotency key answers retries: ``$CARDFLOW_IDEMPOTENCY_HOURS``, else a day."""
    said = os.environ.get(RECEIPT_HOURS_ENV)
    if said is None:
        return RECEIPT_WINDOW
    try:
        hours = float(said)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 24 * 366:
        raise ConfigurationError(
            f"{RECEIPT_HOURS_ENV} is {said!r}: give a number of hours above 0, at most a year"
        )
    return timedelta(hours=hours)


def region_policy() -> Policy:
    """The policy in the TOML file ``$CARDFLOW_POLICY`` names, else the seeds' defaults."""
    path = os.environ.get(POLICY_ENV)
    if not path:
        return DEFAULT_POLICY
    try:
        return load_policy(Path(path))
    except PolicyError as unusable:
        raise ConfigurationError(f"{POLICY_ENV}: {unusable}") from None


def sweep_every() -> float | None:
    """How often ``serve`` sweeps the deadlines, in seconds: ``$CARDFLOW_SWEEP_EVERY``,
    else never (sweep with ``cardflow sweep`` from a scheduler instead)."""
    said = os.environ.get(SWEEP_EVERY_ENV)
    if not said:
        return None
    try:
        seconds = float(said)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= _LONGEST_SWEEP_INTERVAL:
        raise ConfigurationError(
            f"{SWEEP_EVERY_ENV} is {said!r}: give a number of seconds above 0, at most a day"
        )
    return seconds


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a process runs on: the use cases and the API keys, over one database."""

    service: CardService
    keys: SqlKeys
    ledger: SqlLedger

    def close(self) -> None:
        self.ledger.dispose()


def open_runtime(url: str) -> Runtime:
    """The service and keys on the database at ``url``, its schema created if missing."""
    ledger = SqlLedger(url, receipt_window=receipt_window())
    ledger.create_schema()
    keys = SqlKeys(ledger.engine)
    keys.create_schema()
    return Runtime(CardService(ledger, policy=region_policy()), keys, ledger)


@contextmanager
def runtime_for_command(url: str) -> Iterator[Runtime]:
    """A runtime for one command's lifetime, its connections closed at the end."""
    runtime = open_runtime(url)
    try:
        yield runtime
    finally:
        runtime.close()
