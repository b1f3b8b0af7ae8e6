"""What routes share: the application's state (database, public URL, cookie signer, templates)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from strikevote.web.security import Signer


@dataclass
class AppState:
    db: sessionmaker[Session]
    public_url: str | None
    signer: Signer
    bundle_cache: Path
    # Background loops started with the server and cancelled at shutdown (e.g. the mail outbox sender):
    # each is an ``async`` function taking the state and running until cancelled.
    background: list[Callable[[AppState], Coroutine[Any, Any, None]]] = field(default_factory=list)

    @staticmethod
    def of(request: Request) -> AppState:
        state: AppState = request.app.state.strikevote
        return state

    def base_url(self, request: Request) -> str:
        return (self.public_url or str(request.base_url)).rstrip("/")
