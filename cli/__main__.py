"""``python -m cli`` runs the ``cardflow`` command."""

from __future__ import annotations

from cli.main import main

main()
