"""strikevote's strong decryption proofs, one row per trustee per local election

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Belenios' decryption proof does not bind the ciphertext (DESIGN.md §12); every trustee also publishes strong
proofs (``crypto/strong_decryption.py``), stored next to its PartialDecryption event and published in the
bundle as ``locals/<id>.proofs.json``.  Public data only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decryption_proofs",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.PrimaryKeyConstraint("election_id", "owner"),
    )


def downgrade() -> None:
    op.drop_table("decryption_proofs")
