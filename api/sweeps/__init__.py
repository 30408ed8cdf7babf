"""cardflow's own deadline steps, taken on request."""

from __future__ import annotations
