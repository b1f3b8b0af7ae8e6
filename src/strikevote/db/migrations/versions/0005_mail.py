"""mail: the durable outbox's states, the recipients of confirmations and reminders, members' language

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

``outbox`` gains what the sender needs to resume after a crash without sending twice (kind, Message-ID, claim,
attempts, next attempt, server reply); ``mail_recipients`` maps a public credential to the member it was issued
to, read only to address confirmations and reminders; ``members.language`` picks the letters' language;
``votes.mail_settings`` keeps the vote file's ``[mail]`` and ``[reminders]`` blocks (no password).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("votes", sa.Column("mail_settings", sa.Text(), nullable=True))
    op.add_column("members", sa.Column("language", sa.String(length=8), server_default="en", nullable=False))
    op.create_table(
        "mail_recipients",
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("credential", sa.String(length=700), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.PrimaryKeyConstraint("election_id", "credential"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="credential", nullable=False))
        batch.add_column(sa.Column("language", sa.String(length=8), server_default="en", nullable=False))
        batch.add_column(sa.Column("tracker", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("batch", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.create_unique_constraint("uq_outbox_message_id", ["message_id"])
        batch.create_index("ix_outbox_vote_status", ["vote_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_vote_status")
        batch.drop_constraint("uq_outbox_message_id", type_="unique")
        for column in (
            "last_error",
            "sent_at",
            "claimed_at",
            "claim",
            "next_attempt_at",
            "attempts",
            "message_id",
            "batch",
            "tracker",
            "language",
            "kind",
        ):
            batch.drop_column(column)
    op.drop_table("mail_recipients")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("votes") as batch:
        batch.drop_column("mail_settings")
