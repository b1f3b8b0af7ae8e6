"""``strikevote serve``: the vote server (DESIGN.md §11) under uvicorn; ``--demo`` sets up a small open vote.

With ``--workers N`` uvicorn runs N worker processes sharing the database; the database is migrated once,
here, before they start.  SIGTERM (or Ctrl-C) stops accepting connections and lets in-flight requests, casts
included, finish before the process exits (uvicorn's graceful shutdown, at most ``--drain`` seconds).
"""

from __future__ import annotations

import os
import secrets
import signal
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strikevote.cli.common import DEFAULT_DB, EXIT_USAGE, DbOption, database, fail, handled, out_console
from strikevote.web.app import ENV_BUNDLES, ENV_DB, ENV_PUBLIC_URL, ENV_SECRET
from strikevote.web.mail_loop import ENV_MAIL

DEMO_OFFICIAL = "committee"
DEMO_LINKS = 3


def serve(
    db: DbOption = DEFAULT_DB,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes sharing the database.", min=1, max=64)] = 1,
    public_url: Annotated[
        str | None,
        typer.Option(help="The URL members reach the server at (links, Secure cookies under https)."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Set up a small open vote on SQLite in a temporary directory and serve it."
        ),
    ] = False,
    bundle_cache: Annotated[
        Path | None, typer.Option(help="Directory for published bundles offered for download.")
    ] = None,
    drain: Annotated[
        int, typer.Option(help="Seconds in-flight requests get to finish after SIGTERM.", min=1)
    ] = 30,
    access_log: Annotated[bool, typer.Option(help="Log each request line (never a body).")] = True,
    mail: Annotated[
        bool,
        typer.Option(
            help="Run the mail sender in the background: confirmations, reminders (credential letters are "
            "sent by `strikevote mail send --store`, which holds the credential authority's store)."
        ),
    ] = True,
) -> None:
    """Serve the JSON API, the booth, the public pages and the committee console."""
    import uvicorn

    console = out_console()
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise fail("serve", f"--public-url {public_url!r}: must start with http:// or https://", EXIT_USAGE)
    url = (public_url or f"http://{host}:{port}").rstrip("/")
    if demo:
        db = _demo(console, url)
    with handled("serve"), database(db, create=True):
        pass  # migrated once, before any worker starts
    os.environ[ENV_DB] = db
    os.environ[ENV_SECRET] = os.environ.get(ENV_SECRET) or secrets.token_urlsafe(32)
    if public_url:
        os.environ[ENV_PUBLIC_URL] = url
    if bundle_cache is not None:
        os.environ[ENV_BUNDLES] = str(bundle_cache.resolve())
    os.environ[ENV_MAIL] = "1" if mail else "0"
    console.print(
        f"strikevote serving on {url}  (API docs {url}/api/docs; {workers} worker(s))", highlight=False
    )
    # uvicorn drains, then re-raises the signal it caught: this handler turns that into a clean exit (0).
    signal.signal(signal.SIGTERM, _drained)
    uvicorn.run(
        "strikevote.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=drain,
        # a worker busy importing on a loaded machine is not dead: the default 5 s restarts it in a loop
        timeout_worker_healthcheck=60,
        access_log=access_log,
        server_header=False,
        log_level="info",
    )


def _drained(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _demo(console: Console, url: str) -> str:
    from strikevote.db.engine import open_db
    from strikevote.demo.live import booth_link, open_vote
    from strikevote.services.credentials import Letter
    from strikevote.services.officials import add_official

    work = Path(tempfile.mkdtemp(prefix="strikevote-demo-"))
    db_url = f"sqlite:///{work / 'strikevote.db'}"
    with handled("serve --demo"):
        sm = open_db(db_url)
        live = open_vote(sm, work / "private")
        password = secrets.token_urlsafe(12)
        add_official(sm, DEMO_OFFICIAL, password, datetime.now(UTC))
        bind = sm.kw.get("bind")
        if bind is not None:
            bind.dispose()
    console.print(f"[bold]Demo vote[/bold] {live.vote_id} is open (files in {work}).")
    console.print("Members' booth links (each is one member's letter; the credential is after the #):")
    by_local: dict[str, list[Letter]] = {}
    for letter in live.letters:
        by_local.setdefault(letter.local_id, []).append(letter)
    for local, letters in by_local.items():
        for letter in letters[:DEMO_LINKS]:
            console.print(
                f"  local {local}: {booth_link(url, live.vote_id, letter)}", highlight=False, soft_wrap=True
            )
    console.print(f"Public board and turnout: {url}/votes/{live.vote_id}", highlight=False)
    console.print(
        f"Committee console: {url}/console  (username {DEMO_OFFICIAL}, password {password})", highlight=False
    )
    return db_url
