"""Where cardflow finds its database, and the one place the service and keys are wired."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Final

from sqlalchemy.engine import make_url

from api.errors import ConfigurationError as ConfigurationError
from api.errors import NoDatabase as NoDatabase
from api.keys import SqlKeys
from api.limits import DEFAULT_RATES, Kind, Rate
from ledger import grants
from ledger.audit import Audit
from ledger.checkpoints import DEFAULT_EVERY, DEFAULT_EVERY_ENTRIES, Cadence
from ledger.note import NoteError, Signer
from ledger.sql import SqlLedger, normalise_url
from ledger.store import RECEIPT_WINDOW
from workflow.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from workflow.ports import RefusalBound
from workflow.service import CardService

DATABASE_URL_ENV: Final = "CARDFLOW_DATABASE_URL"
DEFAULT_DATABASE_URL: Final = "sqlite:///cardflow.db"
RECEIPT_HOURS_ENV: Final = "CARDFLOW_IDEMPOTENCY_HOURS"
POLICY_ENV: Final = "CARDFLOW_POLICY"
SWEEP_EVERY_ENV: Final = "CARDFLOW_SWEEP_EVERY"
PERSON_KEY_ENV: Final = "CARDFLOW_PERSON_KEY_FILE"
DEFAULT_PERSON_KEY_FILE: Final = "cardflow.person-key"
_PERSON_KEY_BYTES: Final = 32
LOG_KEY_ENV: Final = "CARDFLOW_LOG_KEY_FILE"
LOG_KEY_TEXT_ENV: Final = "CARDFLOW_LOG_KEY"
DEFAULT_LOG_KEY_FILE: Final = "cardflow.log-key"
LOG_NAME_ENV: Final = "CARDFLOW_LOG_NAME"
DEFAULT_LOG_NAME: Final = "cardflow/ledger"
CHECKPOINT_ENTRIES_ENV: Final = "CARDFLOW_CHECKPOINT_ENTRIES"
CHECKPOINT_SECONDS_ENV: Final = "CARDFLOW_CHECKPOINT_SECONDS"
_LONGEST_SWEEP_INTERVAL: Final = 24 * 60 * 60
RATE_ENV: Final[Mapping[Kind, str]] = {
    Kind.WRITE: "CARDFLOW_RATE_WRITES",
    Kind.EXPENSIVE: "CARDFLOW_RATE_EXPENSIVE_READS",
}
REFUSAL_NOTES_ENV: Final = "CARDFLOW_REFUSAL_NOTES"
REQUEST_SECONDS_ENV: Final = "CARDFLOW_REQUEST_SECONDS"
DEFAULT_REQUEST_SECONDS: Final = 30.0
_OFF: Final = "off"


def database_url(explicit: str | None = None) -> str:
    """The URL given, else ``$CARDFLOW_DATABASE_URL``, else ``cardflow.db`` here."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def redacted(url: str) -> str:
    """The database URL fit to print: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def receipt_window() -> timedelta:
    """How long an idempotency key answers retries: ``$CARDFLOW_IDEMPOTENCY_HOURS``, else a day."""
    said = os.environ.get(RECEIPT_HOURS_ENV)
    if said is None:
        return RECEIPT_WINDOW
    return timedelta(hours=_bounded(RECEIPT_HOURS_ENV, said, 24 * 366, "hours", "a year"))


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
    return _bounded(SWEEP_EVERY_ENV, said, _LONGEST_SWEEP_INTERVAL, "seconds", "a day")


def rate_limits() -> dict[Kind, Rate | None]:
    """Each kind's rate per key, ``<per minute>/<burst>`` (``$CARDFLOW_RATE_WRITES``,
    ``$CARDFLOW_RATE_EXPENSIVE_READS``), ``off`` for none, else ``api.limits``' defaults."""
    rates = dict(DEFAULT_RATES)
    for kind, env in RATE_ENV.items():
        said = os.environ.get(env)
        if not said:
            continue
        if said.strip().lower() == _OFF:
            rates[kind] = None
            continue
        per_minute, burst = _pair(env, said, "requests a minute/burst, as 120/30")
        rates[kind] = Rate(per_minute=per_minute, burst=burst)
    return rates


def refusal_bound() -> RefusalBound:
    """How many refusal notes one key may add to one card in a window:
    ``$CARDFLOW_REFUSAL_NOTES`` as ``<notes>/<seconds>`` (``off``: every one is noted),
    else ten an hour."""
    said = os.environ.get(REFUSAL_NOTES_ENV)
    if not said:
        return RefusalBound()
    if said.strip().lower() == _OFF:
        return RefusalBound(most=None)
    most, seconds = _pair(REFUSAL_NOTES_ENV, said, "notes/seconds, as 10/3600")
    return RefusalBound(most=most, window=timedelta(seconds=seconds))


def request_seconds() -> float | None:
    """How long one request's long read may run before it is stopped (503):
    ``$CARDFLOW_REQUEST_SECONDS``, ``off`` for no bound, else 30 seconds."""
    said = os.environ.get(REQUEST_SECONDS_ENV)
    if not said:
        return DEFAULT_REQUEST_SECONDS
    if said.strip().lower() == _OFF:
        return None
    return _bounded(REQUEST_SECONDS_ENV, said, 24 * 60 * 60, "seconds", "a day")


def _pair(env: str, said: str, form: str) -> tuple[int, int]:
    first, slash, second = said.strip().partition("/")
    if not (slash and first.isdigit() and second.isdigit() and int(first) and int(second)):
        raise ConfigurationError(f"{env} is {said!r}: give {form} (whole numbers above 0), or off")
    return int(first), int(second)


def _bounded(env: str, said: str, most: float, unit: str, most_words: str) -> float:
    """``said`` as a number above 0 and at most ``most``, or the error naming ``env``."""
    try:
        number = float(said)
    except ValueError:
        number = -1.0
    if not 0 < number <= most:
        raise ConfigurationError(
            f"{env} is {said!r}: give a number of {unit} above 0, at most {most_words}"
        )
    return number


def person_key(*, make: bool = True) -> bytes:
    """The secret the ledger's person references are made with, from the file
    ``$CARDFLOW_PERSON_KEY_FILE`` names (else ``cardflow.person-key`` here): 32 random
    bytes as hex, created (readable by its owner only) the first time it is missing.

    It lives outside the database on purpose: ID numbers are few enough to guess, so a
    reference made without a secret would name its person to anyone holding the ledger.
    Lose it and new references no longer match old ones; keep it with the backups. With
    ``make`` false, a missing file is an error: a command that finds people by their ID
    number must use the key the database was made with, never a new one.
    """
    path, text = _secret_file(
        PERSON_KEY_ENV,
        DEFAULT_PERSON_KEY_FILE,
        (lambda: secrets.token_hex(_PERSON_KEY_BYTES)) if make else None,
    )
    try:
        key = bytes.fromhex(text)
    except ValueError as unusable:
        raise ConfigurationError(f"{PERSON_KEY_ENV}: {path} is not a key: {unusable}") from None
    if len(key) < _PERSON_KEY_BYTES:
        raise ConfigurationError(
            f"{PERSON_KEY_ENV}: {path} holds {len(key)} bytes; a key is at least "
            f"{_PERSON_KEY_BYTES}, as hex"
        )
    return key


def log_signer(*, make: bool = True) -> Signer:
    """The key checkpoints are signed with: a signer key as ``PRIVATE+KEY+<name>+...``,
    given as ``$CARDFLOW_LOG_KEY`` itself (a secret an orchestrator injects), else from the
    file ``$CARDFLOW_LOG_KEY_FILE`` names (else ``cardflow.log-key`` here), which is made
    the first time it is missing, named ``$CARDFLOW_LOG_NAME`` (else ``cardflow/ledger``).

    The key is outside the database so that whoever can rewrite the database cannot sign
    what they wrote. Its public half is what supervisors check checkpoints with
    (``cardflow audit key``, ``GET /v1/ledger/key``).
    """
    given = os.environ.get(LOG_KEY_TEXT_ENV)
    if given:
        try:
            return Signer.parse(given)
        except NoteError as unusable:
            raise ConfigurationError(f"{LOG_KEY_TEXT_ENV}: not a signer key: {unusable}") from None
    name = os.environ.get(LOG_NAME_ENV) or DEFAULT_LOG_NAME
    try:
        _, text = _secret_file(
            LOG_KEY_ENV,
            DEFAULT_LOG_KEY_FILE,
            (lambda: str(Signer.generate(name))) if make else None,
        )
        return Signer.parse(text)
    except NoteError as unusable:
        raise ConfigurationError(f"{LOG_KEY_ENV}: not a signer key: {unusable}") from None


def checkpoint_cadence() -> Cadence:
    """How often checkpoints are signed: ``$CARDFLOW_CHECKPOINT_ENTRIES`` new entries or
    ``$CARDFLOW_CHECKPOINT_SECONDS`` since the last one, whichever comes first."""
    entries = _positive(CHECKPOINT_ENTRIES_ENV, DEFAULT_EVERY_ENTRIES)
    seconds = _positive(CHECKPOINT_SECONDS_ENV, int(DEFAULT_EVERY.total_seconds()))
    return Cadence(entries=entries, every=timedelta(seconds=seconds))


def _positive(env: str, default: int) -> int:
    said = os.environ.get(env)
    if not said:
        return default
    if not said.isdigit() or int(said) < 1:
        raise ConfigurationError(f"{env} is {said!r}: give a whole number above 0")
    return int(said)


def _secret_file(env: str, default: str, make: Callable[[], str] | None) -> tuple[Path, str]:
    """The secret in the file ``$env`` names (else ``default``), made by ``make`` and
    written for its owner only the first time it is missing (an error if there is no
    ``make``); the path and its text."""
    path = Path(os.environ.get(env) or default)
    if make is None and not path.exists():
        raise ConfigurationError(
            f"{env}: there is no key at {path}, and this command makes none: run it where "
            "the database's keys are, or name their file"
        )
    if make is not None and not path.exists():
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(make() + "\n")
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError as cannot:
            raise ConfigurationError(f"{env}: cannot create {path}: {cannot}") from None
    try:
        return path, path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as unusable:
        raise ConfigurationError(f"{env}: {path} is not a key: {unusable}") from None


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a process runs on: the use cases and the API keys, over one database."""

    service: CardService
    audit: Audit
    keys: SqlKeys
    ledger: SqlLedger

    def close(self) -> None:
        self.ledger.dispose()


def open_runtime(url: str, *, make_keys: bool = True) -> Runtime:
    """The service and keys on the database at ``url``, its schema created if missing.
    With ``make_keys`` false, the person key must exist already and no signer key is
    made (the service then signs nothing unless one exists)."""
    person = person_key(make=make_keys)
    signer = log_signer() if make_keys or _log_key_given() else None
    ledger = SqlLedger(url, receipt_window=receipt_window())
    ledger.create_schema()
    keys = SqlKeys(ledger.engine)
    service = CardService(
        ledger, policy=region_policy(), person_key=person, refusal_bound=refusal_bound()
    )
    audit = Audit(ledger, signer=signer, cadence=checkpoint_cadence())
    return Runtime(service, audit, keys, ledger)


def _log_key_given() -> bool:
    return (
        bool(os.environ.get(LOG_KEY_TEXT_ENV))
        or Path(os.environ.get(LOG_KEY_ENV) or DEFAULT_LOG_KEY_FILE).exists()
    )


@contextmanager
def runtime_for_command(url: str, *, make_keys: bool = True) -> Iterator[Runtime]:
    """A runtime for one command's lifetime, its connections closed at the end."""
    runtime = open_runtime(url, make_keys=make_keys)
    try:
        yield runtime
    finally:
        runtime.close()


@dataclass(frozen=True, slots=True)
class Inspection:
    """An existing ledger opened to be checked: its audit, which signs nothing, and how
    many entries it held when opened (what a progress bar counts up to)."""

    audit: Audit
    entries: int


@contextmanager
def inspection_for_command(url: str) -> Iterator[Inspection]:
    """The ledger at ``url`` opened to read for one command's lifetime: nothing is
    created, not even a file, and no key is read or made (an auditor's machine holds
    none); ``NoDatabase`` if there is no SQLite file there."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise NoDatabase(f"there is no database at {parsed.database}")
    ledger = SqlLedger(url)
    try:
        yield Inspection(Audit(ledger), ledger.tip().size)
    finally:
        ledger.dispose()


def make_writer(url: str, role: str, *, dry_run: bool = False) -> list[str]:
    """Give ``role`` what cardflow needs on the database at ``url`` and no more (the
    ledger's tables and the API keys'), creating the schema first if it is missing; with
    ``dry_run``, only the statements, nothing created or run. See ``grants.grant_writer``
    for the refusals."""
    return grants.grant_writer(url, role, run=not dry_run)
