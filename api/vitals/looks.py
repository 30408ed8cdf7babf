"""A blocking look at the database answered within a bound: an operator's probe must hear
"no answer" in time, not hang with the database it asks about."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


async def within(seconds: float, look: Callable[[], T]) -> T:
    """``look()``, run in a worker thread; ``TimeoutError`` if it has not answered in
    ``seconds``. The thread is left to finish on its own (a connection cannot be pulled
    out of a driver's wait), so the answer is on time whatever the database does."""
    with anyio.fail_after(seconds):
        return await anyio.to_thread.run_sync(look, abandon_on_cancel=True)
