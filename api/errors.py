"""What the HTTP edge itself can refuse, apart from the rules and the ledger.

::

    ApiError
    ├── ConfigurationError      a setting in the environment that cardflow cannot use
    │   ├── NoDatabase          no database where the URL points, and the command makes none
    │   ├── KeyMissing          a key this process needs is not where it was told to look
    │   └── KeysDisagree        this process's keys are not the ones the database is bound to
    ├── Unauthenticated         no credentials, or credentials that name no live key
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


class KeyMissing(ConfigurationError):
    """A key this process needs is not where it looks, and this command makes none."""


class KeysDisagree(ConfigurationError):
    """This process's person key or log key is not the one the database is bound to."""


class Unauthenticated(ApiError):
    """No credentials, or credentials that name no live key: answered with 401."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownKey(ApiError, LookupError):
    """No API key has that id."""
