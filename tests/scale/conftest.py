"""Servers a test starts are stopped when it ends, whatever it did, before its database
goes."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.scale.servers import Server


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def backend_url(request) -> str:
    """A fresh database on each backend."""
    if not sys.platform.startswith("linux"):
        pytest.skip("kills process groups and reads /proc")
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def servers(tmp_path) -> Iterator[list[Server]]:
    """The servers a test starts; each is stopped at the end."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
