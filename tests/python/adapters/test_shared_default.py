"""The adapters open their store in shared mode by default, so that the
other worker processes of a server, and admin commands (``manage.py
clearsessions``), open the same file beside them; ``"shared": False`` in
the options gives an exclusive store (another process then gets
``StoreLocked``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
from flask import Flask
from starlette.testclient import TestClient

import coatcheck
import coatcheck.flask as ccf
import coatcheck.starlette as ccs

from .conftest import open_in_another_process
from .test_flask import _CLOCK, make_app
from .test_starlette import plain_app

CASES = [(None, "ok"), (False, "locked")]


def options_with(shared: Optional[bool]) -> Dict[str, Any]:
    options: Dict[str, Any] = {"sweep_interval": None}
    if shared is not None:
        options["shared"] = shared
    return options


@pytest.mark.parametrize("shared, other_process", CASES)
def test_django(
    django_store: coatcheck.Store, tmp_path: Path, shared: Optional[bool], other_process: str
) -> None:
    from django.test import Client, override_settings

    path = tmp_path / "sessions.redb"
    with override_settings(COATCHECK_PATH=path, COATCHECK_OPTIONS=options_with(shared)):
        c = Client()
        c.get("/write", {"k": "v"})
        assert c.get("/read").json() == {"k": "v"}
        # manage.py clearsessions (or another worker) beside this process.
        assert open_in_another_process(path) == other_process


@pytest.fixture
def flask_app(clock: coatcheck.ManualClock) -> Iterator[Flask]:
    _CLOCK.append(clock)
    app = make_app()
    yield app
    interface = app.session_interface
    assert isinstance(interface, ccf.SessionInterface)
    interface.close()


@pytest.mark.parametrize("shared, other_process", CASES)
def test_flask(
    flask_app: Flask, tmp_path: Path, shared: Optional[bool], other_process: str
) -> None:
    path = tmp_path / "sessions.redb"
    flask_app.config.update(COATCHECK_PATH=str(path), COATCHECK_OPTIONS=options_with(shared))
    with flask_app.test_client() as c:
        c.get("/write", query_string={"k": "v"})
        assert c.get("/read").json == {"k": "v"}
        # Another worker process (or a flask command) beside this one.
        assert open_in_another_process(path) == other_process


@pytest.mark.parametrize("shared, other_process", CASES)
def test_starlette(tmp_path: Path, shared: Optional[bool], other_process: str) -> None:
    path = tmp_path / "sessions.redb"
    middleware = ccs.SessionMiddleware(plain_app(), store=path, store_options=options_with(shared))
    try:
        with TestClient(middleware) as c:
            assert c.get("/write", params={"k": "v"}).json() == {"k": "v"}
            # Another uvicorn worker process beside this one.
            assert open_in_another_process(path) == other_process
    finally:
        middleware.close()
