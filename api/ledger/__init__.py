"""The ledger over HTTP: the feed, proofs, checkpoints, the key and the full check."""

from __future__ import annotations
