"""What the HTTP edge itself can refuse, apart from the rules and the ledger.

::

    ApiError
    ├── ConfigurationError      a setting in the environment that cardflow cannot use
    │   ├── NoDatabase          no database where the URL points, and the command makes none
    │   ├── KeyMissing          a key this process needs is not where it was told to look
    │   └── KeysDisagree        this process's keys are not the ones the database is bound to
    ├── Unauthenticated         no credentials, or credentials that name no live key
    ├── KeyNotPermitted         a live key whose role or reads do not cover the route
    ├── ReadNotGrantable (ValueError) a key asked to be made with a read its role may not hold
    ├── RateLimited             the key (or client) has used up its requests of one kind for now
    ├── WorkStopped             a long read stopped before it was done
    │   ├── PastDeadline        past the server's deadline for one request
    │   └── ClientGone          its client closed the connection
    └── UnknownKey (LookupError) no API key has that id

The HTTP status of each, and which never reach HTTP, live in ``api/problems/``.
"""

from __future__ import annotations

from workflow.states import Channel


class ApiError(Exception):
    """Root of the errors ``api/`` raises itself."""


class ConfigurationError(ApiError):
    """A setting in the environment that cardflow cannot use."""


class NoDatabase(ConfigurationError):
    """There is no database where the URL points, and this command makes none."""


class KeyMissing(ConfigurationError):
    """A key this process needs is not where it looks, and this command makes none."""


class KeysDisagree(ConfigurationError):
    """This process's person key or log key is not the one the database is bound to."""


class Unauthenticated(ApiError):
    """No credentials, or credentials that name no live key: answered with 401."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class KeyNotPermitted(ApiError):
    """The key is live, but its role or the reads it was made with do not cover the
    route's capability (``api.access``): answered with 403, before anything is looked up."""

    def __init__(
        self,
        detail: str,
        *,
        capability: str,
        may_read: tuple[str, ...],
        permitted_channels: tuple[Channel, ...],
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.capability = capability
        self.may_read = may_read
        self.permitted_channels = permitted_channels


class ReadNotGrantable(ApiError, ValueError):
    """A key was asked to be made with a read its role may not hold."""


class RateLimited(ApiError):
    """The key has used up its requests of ``kind`` for now: answered with 429 and
    ``Retry-After: <retry_after>``."""

    def __init__(
        self, kind: str, retry_after: int, per_minute: float, *, who: str = "this key"
    ) -> None:
        self.kind = kind
        self.retry_after = retry_after
        self.detail = (
            f"{who} has made its {kind} requests for now ({per_minute:g} a minute); "
            f"try again in {retry_after} s"
        )
        super().__init__(self.detail)


class WorkStopped(ApiError):
    """A long read stopped before it was done, and answered nothing but that."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class PastDeadline(WorkStopped):
    """The request's work ran past the server's deadline for one request."""


class ClientGone(WorkStopped):
    """The request's client closed the connection: its work stops, answered to no one."""


class UnknownKey(ApiError, LookupError):
    """No API key has that id."""
