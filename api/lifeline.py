"""A ``serve --workers N`` worker ends with its supervisor, however the supervisor died.

uvicorn's supervisor stops its workers when it is told to stop; killed outright (SIGKILL,
the OOM killer) it tells them nothing, and they would go on serving the port it bound,
so that a restart finds the port taken. Each worker therefore asks the kernel for a
SIGTERM when its parent dies (Linux's ``PR_SET_PDEATHSIG``) and, on every system, watches
its parent's pid: a SIGTERM makes uvicorn stop listening and finish what it was doing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from typing import Final

import structlog

log = structlog.get_logger()

SUPERVISOR_PID_ENV: Final = "CARDFLOW_SUPERVISOR_PID"
"""The pid of the ``cardflow serve`` process that started the workers."""
WATCH_EVERY: Final = 0.5
"""Seconds between looks at whether the supervisor is still the worker's parent."""
_PR_SET_PDEATHSIG: Final = 1


def mark_supervisor() -> None:
    """Called by ``cardflow serve`` before it starts workers: they inherit the mark."""
    os.environ[SUPERVISOR_PID_ENV] = str(os.getpid())


def bind_to_supervisor() -> bool:
    """In a worker of ``cardflow serve``, end this process when the supervisor dies;
    whether this process is such a worker (a server of one process is its own
    supervisor and has nothing to watch)."""
    marked = os.environ.get(SUPERVISOR_PID_ENV, "")
    if not marked.isdigit() or int(marked) == os.getpid():
        return False
    supervisor = int(marked)
    _ask_kernel_for_sigterm()
    if os.getppid() != supervisor:  # the supervisor died before the request was made
        _end("the supervisor had already gone")
    threading.Thread(
        target=_watch, args=(supervisor,), name="cardflow-lifeline", daemon=True
    ).start()
    return True


def _ask_kernel_for_sigterm() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        log.warning("parent-death signal refused", errno=ctypes.get_errno())


def _watch(supervisor: int) -> None:
    while os.getppid() == supervisor:
        threading.Event().wait(WATCH_EVERY)
    _end("the supervisor is gone")


def _end(why: str) -> None:
    log.warning("worker stopping", why=why, pid=os.getpid())
    os.kill(os.getpid(), signal.SIGTERM)
