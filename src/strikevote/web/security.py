"""Security of the web front end: response headers, signed session cookies, CSRF tokens, the body-size cap.

* Every response carries a Content-Security-Policy without inline script (``default-src 'self'``),
  ``frame-ancestors 'none'``, ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer`` (the
  booth's URL fragment holds a credential; no referrer ever leaves a page).  Published ``report.html`` is a
  self-contained document with its own inline ``<style>``: it is served under a stricter policy of its own
  (sandboxed, no script at all, inline style only).
* Sessions of the committee console are signed cookies (itsdangerous, HMAC-SHA1 over a timestamped payload),
  ``HttpOnly``, ``SameSite=Strict`` and ``Secure`` when the public URL or the request is https.
* Each form carries a CSRF token equal to the one in a signed cookie (double submit), compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Final

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCUMENT_CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'"
)
HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
SESSION_COOKIE: Final = "sv_session"
CSRF_COOKIE: Final = "sv_csrf"
CSRF_FIELD: Final = "csrf_token"
SESSION_MAX_AGE: Final = 8 * 3600


class SecurityHeaders:
    """ASGI middleware: the headers above on every response (a route may set its own CSP first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers.extend(h for h in HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass(frozen=True)
class Signer:
    """Signs and checks the console's cookies with the server's secret key."""

    secret: str
    secure: bool

    def _serializer(self, salt: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=salt)

    def is_secure(self, request: Request) -> bool:
        return self.secure or request.url.scheme == "https"

    def set_cookie(self, response: Response, request: Request, name: str, value: Any) -> None:
        response.set_cookie(
            name,
            self._serializer(name).dumps(value),
            max_age=SESSION_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=self.is_secure(request),
            path="/console",
        )

    def read_cookie(self, request: Request, name: str) -> Any:
        raw = request.cookies.get(name)
        if not raw:
            return None
        try:
            return self._serializer(name).loads(raw, max_age=SESSION_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/console", httponly=True, samesite="strict")

    # --- the console's session and CSRF token ----------------------------------------------------------

    def official(self, request: Request) -> str | None:
        data = self.read_cookie(request, SESSION_COOKIE)
        if isinstance(data, dict) and isinstance(data.get("u"), str):
            return str(data["u"])
        return None

    def csrf_token(self, request: Request) -> str | None:
        token = self.read_cookie(request, CSRF_COOKIE)
        return token if isinstance(token, str) else None

    def check_csrf(self, request: Request, submitted: str | None) -> bool:
        expected = self.csrf_token(request)
        return bool(expected and submitted and hmac.compare_digest(expected, submitted))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_json_content_type(value: str | None) -> bool:
    if not value:
        return False
    main = value.split(";", 1)[0].strip().lower()
    return main == "application/json"
