"""What a sender run renders: the vote's facts loaded once, each claimed outbox row made into its message.

Credential letters read the member's private credential from the credential authority's store, a claimed batch
at a time (:meth:`LetterRenderer.prefetch`), so the sender's memory does not grow with the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strikevote.db import models
from strikevote.mail.letters import VoteFacts, build_message, render
from strikevote.mail.settings import MailSettings
from strikevote.services import credentials
from strikevote.services.castore import CAStore, CAStoreError, StoredCredential
from strikevote.services.votes import load_vote


@dataclass(frozen=True)
class _LocalFacts:
    name: str
    question: str
    uuid: str
    fingerprint: str
    credentials_fingerprint: str


class LetterRenderer:
    """Everything a vote's letters say, loaded once per run; renders one row to bytes."""

    def __init__(self, s: Session, vote_id: str, settings: MailSettings, store: CAStore | None) -> None:
        _, defn = load_vote(s, vote_id)
        self.vote_id = vote_id
        self.settings = settings
        self.store = store
        self.facts = VoteFacts(vote_id, defn.union, defn.title, defn.opens, defn.closes, defn.timezone)
        self.credentials: dict[str, StoredCredential] = {}
        self.locals: dict[str, _LocalFacts] = {}
        for el in s.scalars(select(models.Election).where(models.Election.vote_id == vote_id)):
            local = defn.local(el.local_id)
            self.locals[el.local_id] = _LocalFacts(
                local.name,
                local.question,
                el.uuid,
                el.fingerprint,
                credentials.credentials_fingerprint(s, el),
            )

    def prefetch(self, rows: list[OutboxRow]) -> None:
        """Read the stored credentials of a claimed batch's letters at once (one store connection, not one a
        letter); only this batch's are held, so memory does not grow with the outbox."""
        self.credentials = {}
        wanted = [row.member_id for row in rows if row.kind == "credential"]
        if wanted and self.store is not None:
            self.credentials = self.store.get_many(self.vote_id, wanted)

    def message(self, row: OutboxRow, now: datetime) -> bytes:
        local = self.locals.get(row.local_id)
        fields: dict[str, Any] = {"name": row.name, "local_name": local.name if local else row.local_id}
        if row.kind == "credential":
            if self.store is None or local is None:
                raise CAStoreError("credential letters need the credential authority's store")
            stored = self.credentials.get(row.member_id) or self.store.get(self.vote_id, row.member_id)
            if stored.uuid != local.uuid:
                raise CAStoreError(f"the stored credential of '{row.member_id}' is for another election")
            fields.update(
                question=local.question,
                uuid=local.uuid,
                credential=stored.credential,
                election_fingerprint=local.fingerprint,
                credentials_fingerprint=local.credentials_fingerprint,
            )
        elif row.kind == "confirmation":
            fields["tracker"] = row.tracker or ""
        rendered = render(row.kind, row.language, self.facts, self.settings, **fields)
        return build_message(
            rendered,
            self.settings,
            row.name,
            row.email,
            row.message_id,
            now,
            automatic=row.kind != "credential",
        )


@dataclass(frozen=True)
class OutboxRow:
    """One claimed outbox row, with the member's name (what a letter needs)."""

    id: int
    member_id: str
    local_id: str
    email: str
    language: str
    kind: str
    tracker: str | None
    message_id: str
    attempts: int
    name: str
