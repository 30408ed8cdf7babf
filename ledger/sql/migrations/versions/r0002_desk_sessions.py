"""The supervisor's desk's sessions (``api.desk.sessions``): one row a signed-in browser,
kept beside the ledger, never in it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

revision: Final = "0002"
down_revision: Final = "0001"
branch_labels: Final = None
depends_on: Final = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "desk_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("csrf_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("seen_at", _TIME, nullable=False),
        sa.Index("desk_sessions_key", "key_id"),
        sa.Index("desk_sessions_seen", "seen_at"),
    )


def downgrade() -> None:
    op.drop_table("desk_sessions")
