"""The JSON API under ``/v1`` (the "learn-sessions" teaching API).

Every route answers JSON; a refusal is ``{"error": "..."}`` with the
status the API documents. Bodies must be JSON objects sent as
``application/json`` (which a cross-site HTML form cannot send, so the
cookie cannot be ridden by a forged form), at most 64 KiB.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from learn_sessions.accounts import AccountError, Accounts, bad_request, iso, parse_json_object
from learn_sessions.database import User
from learn_sessions.sessions import Sessions

MAX_BODY = 64 * 1024


class Api:
    def __init__(self, accounts: Accounts, sessions: Sessions) -> None:
        self.accounts = accounts
        self.sessions = sessions

    def routes(self) -> List[Route]:
        return [
            Route("/v1/user/create", self._json(self.create_user), methods=["POST"]),
            Route("/v1/user/auth", self._json(self.auth), methods=["POST"]),
            Route("/v1/user/logout", self._plain(self.logout), methods=["DELETE"]),
            Route("/v1/users", self._plain(self.users), methods=["GET"]),
            Route("/v1/user/forget-password", self._json(self.forget_password), methods=["POST"]),
            Route("/v1/user/reset-password", self._json(self.reset_password), methods=["POST"]),
        ]

    # Plumbing: read the body in the event loop, do the work in a thread
    # (argon2, SQLite and the store block), turn AccountError into JSON.

    def _json(
        self, handler: Callable[[Request, Dict[str, Any]], Response]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                raw = await _read_body(request)
                content_type = request.headers.get("content-type", "")
                if content_type.split(";")[0].strip().lower() != "application/json":
                    raise bad_request("the body must be JSON (Content-Type: application/json)")
                body = parse_json_object(raw)
                return _no_store(await run_in_threadpool(handler, request, body))
            except AccountError as error:
                return _no_store(_error(error))

        return endpoint

    def _plain(self, handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return _no_store(await run_in_threadpool(handler, request))
            except AccountError as error:
                return _no_store(_error(error))

        return endpoint

    def _unauthorized(self, request: Request) -> Response:
        response = _error(AccountError(401, "sign in first: no valid session"))
        if self.sessions.cookie_sent(request):
            response.headers.append("Set-Cookie", self.sessions.clear_cookie(request))
        return response

    def _signed_in_response(
        self, request: Request, session: Any, status: int, body: Dict[str, Any]
    ) -> Response:
        response = JSONResponse(body, status_code=status)
        response.headers.append("Set-Cookie", self.sessions.set_cookie(request, session))
        return response

    def _end_replaced(self, request: Request) -> None:
        """A new session cookie replaces the one the request came with: the
        session that cookie held (an anonymous one from the HTML pages, or
        another account's) is ended rather than left behind, unreachable."""
        current = self.sessions.current(request)
        if current is not None:
            self.sessions.store.destroy(current.token)

    # Routes

    def create_user(self, request: Request, body: Dict[str, Any]) -> Response:
        user = self.accounts.create_user(body)
        self._end_replaced(request)
        session = self.sessions.start(request, user.id, user.keep_signed_in)
        return self._signed_in_response(request, session, 201, _user_json(user))

    def auth(self, request: Request, body: Dict[str, Any]) -> Response:
        if self.sessions.signed_in(request) is not None:
            raise bad_request("already signed in: log out first")
        sign_in = self.accounts.authenticate(body, _address(request))
        self._end_replaced(request)
        session = self.sessions.start(request, sign_in.user.id, sign_in.keep_signed_in)
        return self._signed_in_response(request, session, 201, _session_json(session))

    def logout(self, request: Request) -> Response:
        current = self.sessions.signed_in(request)
        if current is None:
            return self._unauthorized(request)
        self.sessions.store.logout(current.token)
        response = Response(status_code=204)
        response.headers.append("Set-Cookie", self.sessions.clear_cookie(request))
        return response

    def users(self, request: Request) -> Response:
        current = self.sessions.signed_in(request)
        if current is None:
            return self._unauthorized(request)
        listing = []
        for user in self.accounts.db.all_users():
            entry = _user_json(user)
            if user.id == current.user:  # this request's session
                entry["sessionId"] = current.session.id
            else:  # the one used last, if any is live
                live = self.sessions.store.sessions_of(user.id)
                latest = max(live, key=lambda s: (s.last_access, s.created_at), default=None)
                entry["sessionId"] = None if latest is None else latest.id
            listing.append(entry)
        return JSONResponse(listing)

    def forget_password(self, request: Request, body: Dict[str, Any]) -> Response:
        started = self.accounts.start_recovery(body, _address(request))
        response = JSONResponse({"id": started.id})
        if self.accounts.settings.debug:
            response.headers["X-Debug-OTP"] = started.code
        return response

    def reset_password(self, request: Request, body: Dict[str, Any]) -> Response:
        user = self.accounts.reset_password(body, _address(request))
        self._end_replaced(request)
        session = self.sessions.start(request, user.id, user.keep_signed_in)
        # A new password ends every other session of the user: whoever
        # knew the old one is signed out everywhere.
        self.sessions.store.destroy_user_except(user.id, session.id)
        return self._signed_in_response(request, session, 201, _session_json(session))


def _user_json(user: User) -> Dict[str, Any]:
    return {
        "id": user.id,
        "displayName": user.display_name,
        "name": user.name,
        "email": user.email,
        "keepSignedIn": user.keep_signed_in,
        "createdAt": user.created_at,
    }


def _session_json(session: Any) -> Dict[str, Any]:
    return {"id": session.id, "userId": session.user, "startedAt": iso(session.created_at)}


def _error(error: AccountError) -> Response:
    return JSONResponse({"error": error.message}, status_code=error.status, headers=error.headers)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise bad_request(f"the body must be at most {MAX_BODY} bytes")
    chunks: List[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise bad_request(f"the body must be at most {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)

