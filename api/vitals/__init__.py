"""The service's vital signs for its operators: alive, ready to serve, and its counts."""

from __future__ import annotations
