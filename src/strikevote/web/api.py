"""The JSON API under ``/api/v1`` (DESIGN.md §11).  Thin: each route parses, calls a service, answers.

Every refusal is ``{"error": <reason code>, "detail": "..."}``.  Casting answers 201 only after
``services.ballotbox.cast`` has verified the ballot and committed it; its reason codes are those of
:class:`~strikevote.services.errors.BallotRejected`, plus ``too-large`` (413), ``unsupported-media-type``
(415), ``not-found`` (404) and ``bad-request`` (422) for requests that never reach the ballot box.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import anyio
import anyio.to_thread
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from strikevote.services import ballotbox, public
from strikevote.services.bundle import bundle_file
from strikevote.services.errors import BallotRejected
from strikevote.web.deps import AppState
from strikevote.web.errors import ApiError
from strikevote.web.security import DOCUMENT_CSP, is_json_content_type

MAX_BALLOT_BYTES: Final = 64 * 1024
STATUS: Final = {
    "invalid": 422,
    "wrong-election": 422,
    "unknown-credential": 403,
    "revote": 409,
    "duplicate": 409,
    "closed": 409,
    "not-open-yet": 409,
    "busy": 503,
}

router = APIRouter(prefix="/api/v1", tags=["votes"])


class ErrorOut(BaseModel):
    error: str = Field(description="stable reason code")
    detail: str


class VoteSummaryOut(BaseModel):
    id: str
    union: str
    title: str
    state: str


class ElectionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    local: str
    name: str
    uuid: str
    fingerprint: str
    eligible: int
    question: str


class PublicVoteOut(BaseModel):
    """vote.json (DESIGN.md §3) as it stands, each election with its local's question, and the state."""

    model_config = ConfigDict(extra="allow")
    format: str
    id: str
    union: str
    title: str
    kind: str
    group: str
    revote: str
    window: dict[str, str]
    locals: list[dict[str, Any]]
    elections: list[ElectionOut]
    state: str


class ReceiptOut(BaseModel):
    tracker: str = Field(description="the smart ballot tracker: base64 SHA-256 of the ballot as cast")
    local: str
    height: int = Field(description="the Ballot event's height on the local's board")


class BoardEntryOut(BaseModel):
    tracker: str
    height: int
    cast_at: datetime


class BoardPageOut(BaseModel):
    local: str
    ballots: list[BoardEntryOut]
    next_after: int | None = Field(description="pass as ?after= for the next page; null on the last page")


class TrackerOut(BaseModel):
    local: str
    height: int
    cast_at: datetime


class CredentialOut(BaseModel):
    local: str
    listed: bool = Field(description="always true: an unlisted credential is a 404 unknown-credential")


class LocalTurnoutOut(BaseModel):
    local: str
    name: str
    eligible: int
    ballots: int = Field(description="members who have voted")
    turnout: float


class TotalTurnoutOut(BaseModel):
    eligible: int
    ballots: int
    turnout: float


class TurnoutOut(BaseModel):
    vote: str
    state: str
    at: datetime
    locals: list[LocalTurnoutOut]
    total: TotalTurnoutOut


# Every route can answer these (the 422 replaces FastAPI's default schema, which is not the shape our validation
# errors have; 503 when the database is down or restarting, with Retry-After).
ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorOut, "description": "no such vote"},
    422: {"model": ErrorOut, "description": "bad-request: a parameter is missing or out of range"},
    503: {"model": ErrorOut, "description": "unavailable: the database is unavailable (see Retry-After)"},
}


@router.get("/votes", response_model=list[VoteSummaryOut], responses={503: ERRORS[503]})
def list_votes(request: Request) -> list[VoteSummaryOut]:
    state = AppState.of(request)
    return [
        VoteSummaryOut(id=v.id, union=v.union, title=v.title, state=v.state)
        for v in public.list_votes(state.db)
    ]


@router.get("/votes/{vote}", response_model=PublicVoteOut, responses=ERRORS)
def get_vote(vote: str, request: Request) -> Any:
    return public.public_definition(AppState.of(request).db, vote)


@router.get(
    "/votes/{vote}/locals/{local}/election",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "election.json, raw"}, **ERRORS},
)
def get_election(vote: str, local: str, request: Request) -> Response:
    raw = public.election_json(AppState.of(request).db, vote, local)
    return Response(raw.encode("utf-8"), media_type="application/json")


@router.get(
    "/votes/{vote}/locals/{local}/archive",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the .bel archive"},
        **ERRORS,
    },
)
def get_archive(vote: str, local: str, request: Request) -> StreamingResponse:
    chunks = public.archive_chunks(AppState.of(request).db, vote, local)
    return StreamingResponse(
        chunks,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{_safe_name(local)}.bel"'},
    )


@router.post(
    "/votes/{vote}/ballots",
    status_code=201,
    response_model=ReceiptOut,
    responses={
        403: {"model": ErrorOut, "description": "unknown-credential"},
        404: {"model": ErrorOut, "description": "no such vote"},
        409: {"model": ErrorOut, "description": "revote, duplicate, closed, not-open-yet"},
        413: {"model": ErrorOut, "description": "too-large: over 64 KiB"},
        415: {"model": ErrorOut, "description": "unsupported-media-type: not application/json"},
        422: {"model": ErrorOut, "description": "invalid, wrong-election, bad-request"},
        503: {"model": ErrorOut, "description": "busy, unavailable (see Retry-After)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "one Belenios ballot, exactly as belenios-tool writes it (at most 64 KiB)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def cast_ballot(vote: str, request: Request) -> JSONResponse:
    if not is_json_content_type(request.headers.get("content-type")):
        raise ApiError(415, "unsupported-media-type", "the ballot must be sent as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BALLOT_BYTES):
        raise ApiError(413, "too-large", f"a ballot is at most {MAX_BALLOT_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():  # the declared length is not trusted: count what arrives
        body += chunk
        if len(body) > MAX_BALLOT_BYTES:
            raise ApiError(413, "too-large", f"a ballot is at most {MAX_BALLOT_BYTES} bytes")
    raw = _ballot_text(bytes(body))
    state = AppState.of(request)
    try:
        # At most ``cast_slots`` casts of this process at once (each holds a database connection while it
        # verifies); the others wait here, in the event loop, instead of in threads queued on the pool.
        receipt = await anyio.to_thread.run_sync(
            ballotbox.cast, state.db, vote, raw, datetime.now(UTC), limiter=state.cast_slots()
        )
    except BallotRejected as exc:
        headers = {"retry-after": "1"} if exc.reason == "busy" else None
        raise ApiError(STATUS.get(exc.reason, 422), exc.reason, _detail(exc), headers) from None
    return JSONResponse(
        {"tracker": receipt.tracker, "local": receipt.local_id, "height": receipt.height}, status_code=201
    )


def _ballot_text(body: bytes) -> str:
    """The body as text, checked to be one JSON object before the ballot box parses it for real."""
    try:
        raw = body.decode("utf-8")
        obj = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(422, "invalid", "the body is not a JSON document in UTF-8") from None
    if not isinstance(obj, dict):
        raise ApiError(422, "invalid", "a ballot is a JSON object")
    # The ballot box looks the election up by this field: a number here would reach the database as one.
    if not isinstance(obj.get("election_uuid"), str):
        raise ApiError(422, "invalid", "the ballot has no election_uuid string")
    return raw


def _detail(exc: BallotRejected) -> str:
    text = str(exc)
    prefix = f"ballot rejected ({exc.reason}): "
    return text[len(prefix) :] if text.startswith(prefix) else text


@router.get("/votes/{vote}/board", response_model=BoardPageOut, responses=ERRORS)
def get_board(
    vote: str,
    request: Request,
    local: Annotated[str, Query(description="the local whose board to list")],
    after: Annotated[int, Query(description="list ballots above this height", ge=-1)] = -1,
    limit: Annotated[int, Query(ge=1, le=public.BOARD_PAGE_MAX)] = 100,
) -> BoardPageOut:
    page = public.board_page(AppState.of(request).db, vote, local, after, limit)
    return BoardPageOut(
        local=page.local,
        ballots=[BoardEntryOut(tracker=e.tracker, height=e.height, cast_at=e.cast_at) for e in page.entries],
        next_after=page.next_after,
    )


# Trackers are base64: they may hold '/', hence the path converter.
@router.get("/votes/{vote}/board/{tracker:path}", response_model=TrackerOut, responses=ERRORS)
def get_tracker(vote: str, tracker: str, request: Request) -> TrackerOut:
    e = public.find_tracker(AppState.of(request).db, vote, tracker)
    return TrackerOut(local=e.local, height=e.height, cast_at=e.cast_at)


@router.get(
    "/votes/{vote}/locals/{local}/credentials/{credential}",
    response_model=CredentialOut,
    responses={**ERRORS, 404: {"model": ErrorOut, "description": "not-found, or unknown-credential"}},
)
def get_credential(
    vote: str,
    local: str,
    credential: Annotated[str, Path(description="a public credential, encoded as in the ballots")],
    request: Request,
) -> CredentialOut:
    """Whether a public credential is on the local's list: the booth asks before it encrypts, to catch a
    mistyped credential early.  The public credentials are public anyway (they are in the archive)."""
    if not public.credential_listed(AppState.of(request).db, vote, local, credential):
        raise ApiError(404, "unknown-credential", "this credential is not on the local's list")
    return CredentialOut(local=local, listed=True)


@router.get("/votes/{vote}/turnout", response_model=TurnoutOut, responses=ERRORS)
def get_turnout(vote: str, request: Request) -> TurnoutOut:
    t = public.turnout(AppState.of(request).db, vote)
    return turnout_out(t)


def turnout_out(t: public.Turnout) -> TurnoutOut:
    return TurnoutOut(
        vote=t.vote,
        state=t.state,
        at=t.at,
        locals=[
            LocalTurnoutOut(
                local=x.local, name=x.name, eligible=x.eligible, ballots=x.ballots, turnout=x.turnout
            )
            for x in t.locals
        ],
        total=TotalTurnoutOut(eligible=t.eligible, ballots=t.ballots, turnout=t.turnout),
    )


@router.get(
    "/votes/{vote}/bundle/{file:path}",
    response_class=FileResponse,
    responses={409: {"model": ErrorOut, "description": "not-published"}, **ERRORS},
)
def get_bundle_file(vote: str, file: str, request: Request) -> FileResponse:
    state = AppState.of(request)
    path = bundle_file(state.db, vote, file, state.bundle_cache)
    media = {
        ".json": "application/json",
        ".html": "text/html; charset=utf-8",
        ".bel": "application/octet-stream",
    }.get(path.suffix, "application/octet-stream")
    headers = {"content-security-policy": DOCUMENT_CSP} if path.suffix == ".html" else None
    return FileResponse(path, media_type=media, headers=headers)


def _safe_name(local: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in local)[:64]
