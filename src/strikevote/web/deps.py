"""What routes share: the application's state (database, public URL, cookie signer, templates)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
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
    cast_concurrency: int = 3  # web.app.DEFAULT_CAST_CONCURRENCY
    _cast_limiter: anyio.CapacityLimiter | None = None

    def cast_slots(self) -> anyio.CapacityLimiter:
        """Made on first use, inside the event loop that will use it."""
        if self._cast_limiter is None:
            self._cast_limiter = anyio.CapacityLimiter(self.cast_concurrency)
        return self._cast_limiter

    @staticmethod
    def of(request: Request) -> AppState:
        state: AppState = request.app.state.strikevote
        return state

    def base_url(self, request: Request) -> str:
        return (self.public_url or str(request.base_url)).rstrip("/")
