"""A Flask app on coatcheck.flask for the real-server tests
(``gunicorn -w 2 flask_site:app``); routes in README.md."""

import os
from typing import Any, Dict

from flask import Flask, request, session

import coatcheck.flask as ccf

app = Flask(__name__)
app.config["COATCHECK_PATH"] = os.environ["COATCHECK_TEST_STORE"]
ccf.SessionInterface(app)


@app.get("/login")
def login() -> Dict[str, Any]:
    ccf.login("ada")
    session["user"] = "ada"
    return {"pid": os.getpid()}


@app.get("/whoami")
def whoami() -> Dict[str, Any]:
    return {"pid": os.getpid(), "user": session.get("user")}


@app.get("/write")
def write() -> Dict[str, Any]:
    for key, value in request.args.items():
        session[key] = value
    return {"pid": os.getpid(), "user": session.get("user")}


@app.get("/read")
def read() -> Dict[str, Any]:
    return dict(session)


@app.get("/logout")
def logout() -> Dict[str, Any]:
    ccf.logout()
    return {"pid": os.getpid()}
