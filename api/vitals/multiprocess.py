"""The folder ``serve --workers N`` gives its workers for their counts, so that a scrape of
any one of them answers for them all (``prometheus_client``'s multiprocess mode).

Each worker writes its counters to files of its own there; a scrape reads every file.
The folder is emptied when the server starts, so counts begin again with the server as
they do with one process, and one that ``serve`` made is removed when it stops. This
module imports no ``prometheus_client``: the mode is chosen by the environment each
worker starts with, before it imports the library.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
"""Where the workers' count files go; ``prometheus_client`` reads it at import."""


def counts_folder() -> Path | None:
    """The folder the process's counts are kept in, if they are shared with others."""
    given = os.environ.get(MULTIPROCESS_ENV)
    return Path(given) if given else None


@contextmanager
def shared_counts(workers: int) -> Iterator[Path | None]:
    """For the server's life, the folder its workers share their counts in: the one
    ``PROMETHEUS_MULTIPROC_DIR`` names (made if missing), else, for more than one
    worker, a new one made here and removed afterwards; ``None`` for one worker with
    none named (its counts stay in the process). The count files found in it (a
    previous server's) are removed first."""
    given = counts_folder()
    if given is None and workers <= 1:
        yield None
        return
    folder = given or Path(tempfile.mkdtemp(prefix="cardflow-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(folder)
    try:
        yield folder
    finally:
        if given is None:
            del os.environ[MULTIPROCESS_ENV]
            shutil.rmtree(folder, ignore_errors=True)
