"""The FastAPI application of ``strikevote serve`` (DESIGN.md §11).

``create_app(db_url, public_url)`` builds it; uvicorn's worker processes build theirs with
:func:`app_from_env` (``uvicorn strikevote.web.app:app_from_env --factory``), from the environment that
``strikevote serve`` sets: ``STRIKEVOTE_DB``, ``STRIKEVOTE_PUBLIC_URL``, ``STRIKEVOTE_SECRET_KEY`` (signs the
console's cookies; the same in every worker; never on a command line), ``STRIKEVOTE_BUNDLE_CACHE`` and
``STRIKEVOTE_CAST_CONCURRENCY``.

Background loops (e.g. the mail outbox sender) are registered on ``AppState.background`` before the server
starts: each is started in the lifespan and cancelled at shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

from strikevote.web import api, console, errors, pages
from strikevote.web.deps import AppState
from strikevote.web.mail_loop import mail_enabled, mail_loop
from strikevote.web.security import SecurityHeaders, Signer

STATIC: Final = Path(__file__).parent / "static"
ENV_DB, ENV_PUBLIC_URL, ENV_SECRET, ENV_BUNDLES = (
    "STRIKEVOTE_DB",
    "STRIKEVOTE_PUBLIC_URL",
    "STRIKEVOTE_SECRET_KEY",
    "STRIKEVOTE_BUNDLE_CACHE",
)
# Casts handled at once per worker process (default 3).  More only queue on the GIL: a cast holding its
# election's row lock then waits for the others' verification, and every cast of that local waits behind it.
ENV_CAST_CONCURRENCY: Final = "STRIKEVOTE_CAST_CONCURRENCY"
DEFAULT_CAST_CONCURRENCY: Final = 3


def _swagger_assets() -> Path | None:
    try:
        import fastapi_offline
    except ImportError:  # pragma: no cover - a dependency; the docs page then says so
        return None
    return Path(fastapi_offline.__file__).parent / "static"


def _cast_concurrency() -> int:
    raw = os.environ.get(ENV_CAST_CONCURRENCY)
    if not raw:
        return DEFAULT_CAST_CONCURRENCY
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise ValueError(f"{ENV_CAST_CONCURRENCY}={raw!r}: expected a whole number from 1 to 256")
    return int(raw)


def default_bundle_cache(db_url: str) -> Path:
    """Where published bundles are written for download: per database, so two servers never mix votes."""
    digest = hashlib.sha256(db_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "strikevote-bundles" / digest


def create_app(
    db_url: str,
    public_url: str | None,
    *,
    secret_key: str | None = None,
    bundle_cache: Path | None = None,
    migrate: bool = True,
    background: list[Callable[[AppState], Coroutine[Any, Any, None]]] | None = None,
) -> FastAPI:
    from sqlalchemy.orm import sessionmaker

    from strikevote.db.engine import make_engine, open_db

    db = open_db(db_url) if migrate else sessionmaker(make_engine(db_url), expire_on_commit=False)
    state = AppState(
        db=db,
        public_url=public_url.rstrip("/") if public_url else None,
        signer=Signer(
            secret_key or secrets.token_urlsafe(32),
            secure=bool(public_url and public_url.startswith("https:")),
        ),
        bundle_cache=bundle_cache or default_bundle_cache(db_url),
        background=list(background or []),
        cast_concurrency=_cast_concurrency(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(loop(state)) for loop in state.background]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            bind = db.kw.get("bind")
            if bind is not None:
                bind.dispose()

    app = FastAPI(
        title="strikevote",
        summary="Verifiable union votes on the Belenios protocol: public definition, boards, ballot casting",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.strikevote = state
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(console.router)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    assets = _swagger_assets()
    if assets is not None:
        app.mount("/api/docs/assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        # Swagger UI from our own origin, started by /static/api-docs.js: no inline script, CSP unchanged.
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>strikevote API</title><link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">'
            '</head><body><main id="swagger-ui"></main>'
            '<script src="/api/docs/assets/swagger-ui-bundle.js"></script>'
            '<script src="/static/api-docs.js"></script></body></html>'
        )

    app.add_middleware(SecurityHeaders)
    return app


def app_from_env() -> FastAPI:
    """The factory of uvicorn's worker processes (the database was migrated by ``strikevote serve``)."""
    cache = os.environ.get(ENV_BUNDLES)
    return create_app(
        os.environ[ENV_DB],
        os.environ.get(ENV_PUBLIC_URL) or None,
        secret_key=os.environ.get(ENV_SECRET) or None,
        bundle_cache=Path(cache) if cache else None,
        migrate=False,
        background=[mail_loop] if mail_enabled() else [],
    )
