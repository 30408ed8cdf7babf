"""The lifecycle and its rules over HTTP, as the definition states them."""

from __future__ import annotations
