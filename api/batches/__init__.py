"""Many cards in one request, each item answered on its own."""

from __future__ import annotations
