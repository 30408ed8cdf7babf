"""The ledger's schema as Alembic migrations: ``env.py``, the revision template, and
``versions/``, one revision a module. ``ledger.sql.migrate`` runs them, configured in
code (no ``alembic.ini``)."""

from __future__ import annotations
