"""What the HTTP edge itself can refuse, apart from the rules and the ledger.

::

    ApiError
    ├── ConfigurationError      a setting in the environment that cardflow cannot use
    │   └── NoDatabase          no database where the URL points, and the command makes none
    ├── Unauthenticated         no credentials, or credentials that name no live key
    ├── RateLimited             the key has used up its requests of one kind for now
    ├── WorkStopped             a long read stopped before it was done
    │   ├── PastDeadline        past the server's deadline for one request
    │   └── ClientGone          its client closed the connection
    └── UnknownKey (LookupError) no API key has that id

The HTTP status of each, and which never reach HTTP, live in ``api/problems/``.
"""

from __future__ import annotations


class ApiError(Exception):
    """Root of the errors ``api/`` raises itself."""


class ConfigurationError(ApiError):
    """A setting in the environment that cardflow cannot use."""


class NoDatabase(ConfigurationError):
    """There is no database where the URL points, and this command makes none."""


class Unauthenticated(ApiError):
    """No credentials, or credentials that name no live key: answered with 401."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RateLimited(ApiError):
    """The key has used up its requests of ``kind`` for now: answered with 429 and
    ``Retry-After: <retry_after>``."""

    def __init__(self, kind: str, retry_after: int, per_minute: float) -> None:
        self.kind = kind
        self.retry_after = retry_after
        self.detail = (
            f"this key has made its {kind} requests for now ({per_minute:g} a minute); "
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
