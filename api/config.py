"""Where cardflow finds its database, and the one place the service and keys are wired."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from api.errors import ConfigurationError as ConfigurationError
from api.errors import KeyMissing as KeyMissing
from api.errors import KeysDisagree as KeysDisagree
from api.errors import NoDatabase as NoDatabase
from api.keys import SqlKeys
from api.limits import DEFAULT_RATES, Kind, Rate
from ledger import grants
from ledger.audit import Audit
from ledger.binding import Binding, bind, person_check
from ledger.checkpoints import DEFAULT_EVERY, DEFAULT_EVERY_ENTRIES, Cadence
from ledger.group import DEFAULT_LINGER, DEFAULT_MOST
from ledger.note import NoteError, Signer, Verifier
from ledger.sql import SqlLedger, normalise_url
from ledger.sql.schema import permission_denied
from ledger.store import RECEIPT_WINDOW
from ledger.witnessing import Witness
from workflow.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from workflow.ports import RefusalBound
from workflow.service import CardService

DATABASE_URL_ENV: Final = "CARDFLOW_DATABASE_URL"
DEFAULT_DATABASE_URL: Final = "sqlite:///cardflow.db"
READ_DATABASE_URL_ENV: Final = "CARDFLOW_READ_DATABASE_URL"
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
WITNESSES_ENV: Final = "CARDFLOW_WITNESSES"
DESK_TIME_ZONE_ENV: Final = "CARDFLOW_DESK_TIME_ZONE"
DEFAULT_DESK_TIME_ZONE: Final = "Asia/Shanghai"
DEFAULT_REQUEST_SECONDS: Final = 30.0
_OFF: Final = "off"
_MOST_IN_A_GROUP: Final = 1000
_LONGEST_LINGER_MS: Final = 100
_DAY: Final = 24 * 60 * 60


class Settings(BaseSettings):
    """Every setting cardflow reads from its environment, each ``CARDFLOW_<NAME>``; an
    unset or empty variable takes the default. Read at start-up and by each command."""

    model_config = SettingsConfigDict(
        env_prefix="CARDFLOW_", env_ignore_empty=True, extra="ignore", frozen=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    read_database_url: str | None = None
    idempotency_hours: float = Field(RECEIPT_WINDOW / timedelta(hours=1), gt=0, le=24 * 366)
    policy: Path | None = None
    sweep_every: float | None = Field(None, gt=0, le=_LONGEST_SWEEP_INTERVAL)
    person_key_file: Path | None = None
    log_key_file: Path | None = None
    log_key: SecretStr | None = None
    log_name: str = DEFAULT_LOG_NAME
    checkpoint_entries: int = Field(DEFAULT_EVERY_ENTRIES, ge=1)
    checkpoint_seconds: int = Field(int(DEFAULT_EVERY.total_seconds()), ge=1)
    rate_writes: str | None = None
    rate_expensive_reads: str | None = None
    refusal_notes: str | None = None
    request_seconds: str | None = None
    witnesses: str | None = None
    group_commit_most: int = Field(DEFAULT_MOST, ge=1, le=_MOST_IN_A_GROUP)
    group_commit_linger_ms: float = Field(DEFAULT_LINGER * 1000, ge=0, le=_LONGEST_LINGER_MS)
    desk_idle_seconds: int = Field(15 * 60, ge=1, le=_DAY)
    desk_absolute_seconds: int = Field(8 * 60 * 60, ge=1, le=7 * _DAY)
    desk_time_zone: str = DEFAULT_DESK_TIME_ZONE

    @field_validator("desk_time_zone")
    @classmethod
    def _a_zone(cls, name: str) -> str:
        """A zone the desk can show times in, found now rather than at the first page."""
        try:
            ZoneInfo(name)
        except (KeyError, ValueError, OSError):
            raise ValueError("not a known time zone") from None
        return name


def _said(env: str) -> str | None:
    """What the settings hold for ``env`` (a ``CARDFLOW_`` variable given as text, parsed
    by the function that reads it)."""
    value = getattr(settings(), env.removeprefix("CARDFLOW_").lower())
    return None if value is None else str(value)


_HINTS: Final = {
    "idempotency_hours": "give a number of hours above 0, at most a year",
    "sweep_every": "give a number of seconds above 0, at most a day",
    "checkpoint_entries": "give a whole number above 0",
    "checkpoint_seconds": "give a whole number above 0",
    "group_commit_most": f"give a whole number from 1 to {_MOST_IN_A_GROUP}",
    "group_commit_linger_ms": f"give milliseconds from 0 to {_LONGEST_LINGER_MS}",
    "desk_time_zone": f"give a time zone of the IANA database, as {DEFAULT_DESK_TIME_ZONE}",
    "desk_idle_seconds": "give a whole number of seconds from 1 to a day",
    "desk_absolute_seconds": "give a whole number of seconds from 1 to a week",
}
_SECRET_SETTINGS: Final = frozenset({"log_key"})


def settings() -> Settings:
    """The settings in the environment now; ``ConfigurationError`` naming the variable
    and saying what it takes (a secret's value is never repeated)."""
    try:
        return Settings()
    except ValidationError as unusable:
        wrong = unusable.errors()[0]
        field = str(wrong["loc"][0]) if wrong["loc"] else ""
        env = f"CARDFLOW_{field.upper()}"
        said = "" if field in _SECRET_SETTINGS else f" is {wrong.get('input')!r}"
        raise ConfigurationError(f"{env}{said}: {_HINTS.get(field, wrong['msg'])}") from None


def database_url(explicit: str | None = None) -> str:
    """The URL given, else ``$CARDFLOW_DATABASE_URL``, else ``cardflow.db`` here."""
    return explicit or settings().database_url


def read_database_url(explicit: str | None = None) -> str | None:
    """The read-only URL given, else ``$CARDFLOW_READ_DATABASE_URL``, else none: search,
    history and the feed then read from the primary."""
    return explicit or settings().read_database_url


def redacted(url: str) -> str:
    """The database URL fit to print: its password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def receipt_window() -> timedelta:
    """How long an idempotency key answers retries: ``$CARDFLOW_IDEMPOTENCY_HOURS``, else a day."""
    return timedelta(hours=settings().idempotency_hours)


def writing_ledger(url: str) -> SqlLedger:
    """The ledger at ``url`` as a process that appends opens it: its receipt window, and
    its group commit (``$CARDFLOW_GROUP_COMMIT_MOST`` requests a transaction at most,
    gathered for up to ``$CARDFLOW_GROUP_COMMIT_LINGER_MS`` when writers arrive together)."""
    said = settings()
    return SqlLedger(
        url,
        receipt_window=receipt_window(),
        group_most=said.group_commit_most,
        group_linger=said.group_commit_linger_ms / 1000,
    )


def region_policy() -> Policy:
    """The policy in the TOML file ``$CARDFLOW_POLICY`` names, else the seeds' defaults."""
    path = settings().policy
    if path is None:
        return DEFAULT_POLICY
    try:
        return load_policy(path)
    except PolicyError as unusable:
        raise ConfigurationError(f"{POLICY_ENV}: {unusable}") from None


def sweep_every() -> float | None:
    """How often ``serve`` sweeps the deadlines, in seconds: ``$CARDFLOW_SWEEP_EVERY``,
    else never (sweep with ``cardflow sweep`` from a scheduler instead)."""
    return settings().sweep_every


def desk_time_zone() -> ZoneInfo:
    """The zone the desk shows times in: ``$CARDFLOW_DESK_TIME_ZONE``, else China's
    (``Asia/Shanghai``); the ledger keeps every time in UTC whatever it is."""
    return ZoneInfo(settings().desk_time_zone)


def desk_sessions() -> tuple[timedelta, timedelta]:
    """How long a desk session lasts, idle and in all: ``$CARDFLOW_DESK_IDLE_SECONDS`` and
    ``$CARDFLOW_DESK_ABSOLUTE_SECONDS`` (``api.desk.sessions``)."""
    said = settings()
    idle = timedelta(seconds=said.desk_idle_seconds)
    absolute = timedelta(seconds=said.desk_absolute_seconds)
    if idle > absolute:
        raise ConfigurationError(
            f"CARDFLOW_DESK_IDLE_SECONDS is {said.desk_idle_seconds}: give at most "
            f"CARDFLOW_DESK_ABSOLUTE_SECONDS ({said.desk_absolute_seconds})"
        )
    return idle, absolute


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where one of the process's keys comes from: a file, named by ``env`` or the default
    one in the working directory, or (``path`` ``None``) the text of ``env`` itself."""

    env: str
    path: Path | None
    named: bool = False

    def __str__(self) -> str:
        if self.path is None:
            return f"${self.env}"
        how = f"named by ${self.env}" if self.named else f"the default file, ${self.env} unset"
        return f"{self.path.absolute()} ({how})"


def rate_limits() -> dict[Kind, Rate | None]:
    """Each kind's rate per key, ``<per minute>/<burst>`` (``$CARDFLOW_RATE_WRITES``,
    ``$CARDFLOW_RATE_EXPENSIVE_READS``), ``off`` for none, else ``api.limits``' defaults."""
    rates = dict(DEFAULT_RATES)
    for kind, env in RATE_ENV.items():
        said = _said(env)
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
    said = _said(REFUSAL_NOTES_ENV)
    if not said:
        return RefusalBound()
    if said.strip().lower() == _OFF:
        return RefusalBound(most=None)
    most, seconds = _pair(REFUSAL_NOTES_ENV, said, "notes/seconds, as 10/3600")
    return RefusalBound(most=most, window=timedelta(seconds=seconds))


def request_seconds() -> float | None:
    """How long one request's long read may run before it is stopped (503):
    ``$CARDFLOW_REQUEST_SECONDS``, ``off`` for no bound, else 30 seconds."""
    said = _said(REQUEST_SECONDS_ENV)
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


def witnesses() -> list[Witness]:
    """The witnesses asked to cosign each checkpoint: ``$CARDFLOW_WITNESSES``, each
    ``<URL>=<witness key>`` (as ``cardflow witness init`` prints the key), separated by
    commas or spaces; none if unset."""
    said = _said(WITNESSES_ENV) or ""
    try:
        return [Witness.parse(given) for given in said.replace(",", " ").split()]
    except NoteError as unusable:
        raise ConfigurationError(f"{WITNESSES_ENV}: {unusable}") from None


def person_key_source() -> KeySource:
    """The file the person key is read from: ``$CARDFLOW_PERSON_KEY_FILE``, else
    ``cardflow.person-key`` in the working directory."""
    named = settings().person_key_file
    return KeySource(PERSON_KEY_ENV, named or Path(DEFAULT_PERSON_KEY_FILE), named is not None)


def log_key_source() -> KeySource:
    """Where the log key is read from: ``$CARDFLOW_LOG_KEY`` itself (a secret an
    orchestrator injects), else the file ``$CARDFLOW_LOG_KEY_FILE`` names, else
    ``cardflow.log-key`` in the working directory."""
    given = settings()
    if given.log_key is not None:
        return KeySource(LOG_KEY_TEXT_ENV, None)
    named = given.log_key_file
    return KeySource(LOG_KEY_ENV, named or Path(DEFAULT_LOG_KEY_FILE), named is not None)


def make_keys() -> list[KeySource]:
    """Make each key file that is missing -- the person key (32 random bytes as hex) and
    the log key (an Ed25519 signer key named ``$CARDFLOW_LOG_NAME``, else
    ``cardflow/ledger``) -- readable by its owner only, never replacing one; the files
    made. Only ``cardflow init``, and ``demo`` or ``serve`` on a new embedded database,
    make keys: every other command uses the keys the database is bound to."""
    name = settings().log_name
    made = []
    for source, make in (
        (person_key_source(), lambda: secrets.token_hex(_PERSON_KEY_BYTES)),
        (log_key_source(), lambda: str(Signer.generate(name))),
    ):
        if source.path is not None and _create_secret(source, make):
            made.append(source)
    return made


def person_key() -> bytes:
    """The secret the ledger's person references are made with (``person_key_source``).

    It lives outside the database on purpose: ID numbers are few enough to guess, so a
    reference made without a secret would name its person to anyone holding the ledger.
    Lose it and new references no longer match old ones; keep it with the backups. It is
    never made here: a command that finds people by their ID number must use the key the
    database was made with (``bound_runtime`` checks it), never a new one.
    """
    source = person_key_source()
    text = _read_secret(source)
    try:
        key = bytes.fromhex(text)
    except ValueError as unusable:
        raise ConfigurationError(f"{source.env}: {source.path} is not a key: {unusable}") from None
    if len(key) < _PERSON_KEY_BYTES:
        raise ConfigurationError(
            f"{source.env}: {source.path} holds {len(key)} bytes; a key is at least "
            f"{_PERSON_KEY_BYTES}, as hex"
        )
    return key


def log_signer() -> Signer:
    """The key checkpoints are signed with, a signer key as ``PRIVATE+KEY+<name>+...``
    (``log_key_source``); never made here.

    The key is outside the database so that whoever can rewrite the database cannot sign
    what they wrote. Its public half is what supervisors check checkpoints with
    (``cardflow audit key``, ``GET /v1/ledger/key``).
    """
    source = log_key_source()
    try:
        return Signer.parse(_read_secret(source))
    except NoteError as unusable:
        raise ConfigurationError(f"{source.env}: not a signer key: {unusable}") from None


def _create_secret(source: KeySource, make: Callable[[], str]) -> bool:
    """Write ``make()`` to ``source``'s file for its owner only, if there is none yet;
    whether it was written here (another process may have made it first)."""
    assert source.path is not None
    try:
        with os.fdopen(
            os.open(source.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w"
        ) as out:
            out.write(make() + "\n")
    except FileExistsError:
        return False
    except OSError as cannot:
        raise ConfigurationError(f"{source.env}: cannot create {source.path}: {cannot}") from None
    return True


def _read_secret(source: KeySource) -> str:
    if source.path is None:
        secret = settings().log_key
        assert secret is not None, "a source without a path is the key itself"
        return secret.get_secret_value().strip()
    if not source.path.exists():
        raise KeyMissing(
            f"{source.env}: there is no key at {source.path}, and this command makes none: "
            "run it where the database's keys are, or name their file (`cardflow init` "
            "makes the keys of a new database)"
        )
    try:
        return source.path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as unusable:
        raise ConfigurationError(f"{source.env}: {source.path} is not a key: {unusable}") from None


def checkpoint_cadence() -> Cadence:
    """How often checkpoints are signed: ``$CARDFLOW_CHECKPOINT_ENTRIES`` new entries or
    ``$CARDFLOW_CHECKPOINT_SECONDS`` since the last one, whichever comes first."""
    given = settings()
    return Cadence(
        entries=given.checkpoint_entries, every=timedelta(seconds=given.checkpoint_seconds)
    )


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a process runs on: the use cases and the API keys over one database, and
    with a read URL, ``reader``: the same use cases over a read-only ledger there, which
    search, history and the feed read through."""

    service: CardService
    audit: Audit
    keys: SqlKeys
    ledger: SqlLedger
    reader: CardService | None = None

    def close(self) -> None:
        self.ledger.dispose()
        if self.reader is not None and isinstance(self.reader.ledger, SqlLedger):
            self.reader.ledger.dispose()


def open_runtime(
    url: str, *, read_url: str | None = None, first_run: bool = False, existing: bool = False
) -> Runtime:
    """The use cases, the audit and the API keys on the database at ``url``, its schema
    created if missing, run with the keys the database is bound to (``bind_keys``).

    Keys are read, never made, except that with ``first_run`` (``demo`` and ``serve``) a
    new embedded database -- a SQLite file that holds no entry and is bound to no key
    yet -- gets the keys that are missing (``make_keys``), so the quick start needs no
    ``cardflow init``. With ``existing`` (a command that only reads, or changes what is
    there), a SQLite file that is not there is ``NoDatabase``, not made. With
    ``read_url``, the reader is opened there as well (``open_reader``).
    """
    if existing:
        refuse_missing_file(url)
    asked = witnesses()
    ledger = writing_ledger(url)
    try:
        ledger.create_schema()
        if first_run and ledger.dialect == "sqlite" and _unused(ledger):
            make_keys()
        person, signer = person_key(), log_signer()
        bind_keys(ledger, person, signer)
    except BaseException:
        ledger.dispose()
        raise
    keys = SqlKeys(ledger.engine)
    policy, bound = region_policy(), refusal_bound()
    service = CardService(ledger, policy=policy, person_key=person, refusal_bound=bound)
    reader = None
    if read_url is not None:
        try:
            reading = open_reader(read_url, ledger)
        except BaseException:
            ledger.dispose()
            raise
        reader = CardService(reading, policy=policy, person_key=person, refusal_bound=bound)
    audit = Audit(ledger, signer=signer, cadence=checkpoint_cadence(), witnesses=asked)
    return Runtime(service, audit, keys, ledger, reader)


def open_reader(url: str, primary: SqlLedger) -> SqlLedger:
    """A read-only ledger on ``url`` (a streaming replica of ``primary``'s database, or
    the same database through a role that may only read): no schema is created and no
    key bound there. ``ConfigurationError`` if it cannot be read, or holds another
    ledger than ``primary`` (a key bound there that the primary is not bound to)."""
    refuse_missing_file(url)
    reading = SqlLedger(url, read_only=True)
    said = f"{READ_DATABASE_URL_ENV} {redacted(reading.url)}"
    try:
        theirs = {(key.kind, key.value, key.first_size) for key in reading.bound_keys()}
    except DBAPIError as refused:
        reading.dispose()
        raise ConfigurationError(
            f"{said} cannot be read as a cardflow ledger: {grants.database_said(refused)}"
        ) from None
    ours = {(key.kind, key.value, key.first_size) for key in primary.bound_keys()}
    if not theirs or not theirs <= ours:
        reading.dispose()
        raise ConfigurationError(
            f"{said} holds another ledger than the primary's (its keys are not the ones "
            "the primary is bound to): give a replica of the primary's database"
        )
    return reading


def _unused(ledger: SqlLedger) -> bool:
    return ledger.tip().size == 0 and not ledger.bound_keys()


def bind_keys(ledger: SqlLedger, person: bytes, signer: Signer) -> Binding:
    """Check this process's keys against the ones ``ledger``'s database is bound to,
    recording them first if it is bound to none (its owner's first use); ``KeysDisagree``
    naming the key that differs and where it came from, so no process ever opens a
    second live card for one person or signs a checkpoint with a second key."""
    mine = person_check(person)
    try:
        binding = bind(ledger, log=signer.verifier(), person=mine, now=datetime.now(UTC))
    except DBAPIError as refused:
        if not permission_denied(refused):
            raise
        raise ConfigurationError(
            "the database is bound to no keys yet, and this role may not bind them: its "
            "owner runs `cardflow init` (or the first `cardflow serve`) with the owner's URL"
        ) from None
    except NoteError as unusable:
        raise ConfigurationError(
            f"a log key the database is bound to is unreadable: {unusable}"
        ) from None
    if binding.person != mine:
        raise KeysDisagree(
            f"the person key from {person_key_source()} is not the key this database's "
            "person references were made with (its check value differs): run where the "
            "database's keys are, or name their file"
        )
    log = signer.verifier()
    if binding.log.current != log:
        retired = any(verifier == log for _, verifier in binding.log.keys)
        why = (
            "was rotated out of this database"
            if retired
            else "is not the key this database's checkpoints are signed with"
        )
        raise KeysDisagree(
            f"the log key {log} from {log_key_source()} {why}; the database is bound to "
            f"{binding.log.current}: run where that key is, or name its file"
        )
    return binding


@dataclass(frozen=True, slots=True)
class Initialised:
    """What ``cardflow init`` did: the key files it made, the log's verifier key, and
    whether it bound the database to the keys (else they were bound already)."""

    made: list[KeySource]
    verifier: Verifier
    bound: bool


def initialise(url: str) -> Initialised:
    """Create the schema, make the keys that are missing if the database at ``url`` is
    bound to none yet, and bind it to the keys; ``KeysDisagree`` if it is bound to others
    already, ``KeyMissing`` if it is bound and a key is not here (no key is made then)."""
    ledger = writing_ledger(url)
    try:
        ledger.create_schema()
        before = len(ledger.bound_keys())
        made = [] if before else make_keys()
        signer = log_signer()
        bind_keys(ledger, person_key(), signer)
        return Initialised(made, signer.verifier(), len(ledger.bound_keys()) > before)
    finally:
        ledger.dispose()


@contextmanager
def runtime_for_command(
    url: str, *, read_url: str | None = None, first_run: bool = False, existing: bool = False
) -> Iterator[Runtime]:
    """A runtime for one command's lifetime, its connections closed at the end."""
    runtime = open_runtime(url, read_url=read_url, first_run=first_run, existing=existing)
    try:
        yield runtime
    finally:
        runtime.close()


def refuse_missing_file(url: str) -> None:
    """``NoDatabase`` if ``url`` names a SQLite file that is not there."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise NoDatabase(
            f"there is no database at {parsed.database} (`cardflow init` or `cardflow demo` "
            "makes one)"
        )
