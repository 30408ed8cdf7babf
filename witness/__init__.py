"""A witness: cosigns the checkpoints of the logs it follows, once each is shown
consistent with the last one it cosigned (C2SP ``tlog-witness``, ``cosignature/v1``)."""

from __future__ import annotations
