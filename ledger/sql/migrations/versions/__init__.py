"""The ledger schema's revisions, oldest first; each says what it changes and is never
edited once released."""

from __future__ import annotations
