"""Cards over HTTP: apply, read, move one step, read the history, search."""

from __future__ import annotations
