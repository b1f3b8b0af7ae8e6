"""Errors of the web front end: one JSON shape for the API, friendly pages in the member's language for
the rest.  Never a traceback, never the request body."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from strikevote.services.errors import NotFound, ServiceError, StateError

log = logging.getLogger("strikevote.web")


class ApiError(Exception):
    """A refusal of the API: HTTP status, stable reason code, one line of detail."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.headers = status, error, detail, headers


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def api_error(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    from strikevote.web.pages import error_page

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return api_error(exc.status, exc.error, exc.detail, exc.headers)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        if _is_api(request):
            return api_error(404, "not-found", str(exc))
        return error_page(request, 404)

    @app.exception_handler(StateError)
    async def _state(request: Request, exc: StateError) -> Response:
        if _is_api(request):
            code = "not-published" if "/bundle/" in request.url.path else "wrong-state"
            return api_error(409, code, str(exc))
        return error_page(request, 409, str(exc))

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        if _is_api(request):
            return api_error(409, "refused", str(exc))
        return error_page(request, 409, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        )
        if _is_api(request):
            return api_error(422, "bad-request", where or "invalid request")
        return error_page(request, 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code not in (404,):
            code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
            return api_error(exc.status_code, code, str(exc.detail), dict(exc.headers or {}) or None)
        return error_page(request, 404)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        if _is_api(request):
            return api_error(500, "internal", "internal error")
        return error_page(request, 500)
