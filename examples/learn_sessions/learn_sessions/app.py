"""The learn-sessions app: the JSON API, the HTML pages, one store.

Run it with uvicorn (``make demo-app`` does)::

    uvicorn learn_sessions.app:create_app --factory --port 3333

``create_app`` reads the settings from the environment (see README.md).
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import AsyncIterator, Optional

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learn_sessions.accounts import Accounts, FileSender
from learn_sessions.api import Api
from learn_sessions.database import Database
from learn_sessions.sessions import Sessions
from learn_sessions.settings import Settings
from learn_sessions.web import Pages


def create_app(settings: Optional[Settings] = None) -> Starlette:
    """The ASGI app (a uvicorn ``--factory``: each worker makes its own)."""
    settings = settings or Settings.from_env()
    sessions = Sessions(settings)
    database = Database(settings.users_db)
    accounts = Accounts(settings, database, sessions.now, FileSender(settings.otp_file))
    routes = Api(accounts, sessions).routes() + Pages(accounts, sessions).routes()
    if settings.test_clock:
        routes.append(Route("/__test__/clock", _clock_mover(sessions), methods=["POST"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        sessions.close()  # flush and release the file when the worker stops

    return Starlette(routes=routes, lifespan=lifespan)


def _clock_mover(sessions: Sessions):  # type: ignore[no-untyped-def]
    """``POST /__test__/clock {"advanceSeconds": n}``: moves the manual
    clock of the store and the app (only with ``TEST_CLOCK=1``), so that
    tests of expiry and rate-limit windows never sleep."""

    async def advance(request: Request) -> Response:
        try:
            seconds = json.loads(await request.body())["advanceSeconds"]
            assert sessions.clock is not None
            sessions.clock.advance(float(seconds))
        except (ValueError, KeyError, TypeError):
            return Response("advanceSeconds: a number of seconds", status_code=400)
        return Response(status_code=204)

    return advance
