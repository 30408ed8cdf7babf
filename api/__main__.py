"""``python -m api`` runs the ``cardflow`` command."""

from __future__ import annotations

from api.cli import main

main()
