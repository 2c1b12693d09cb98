"""A FastAPI app on coatcheck.starlette for the real-server tests
(``uvicorn fastapi_site:app --workers 2``); routes in README.md."""

import os
from typing import Any, Dict

from fastapi import FastAPI, Request

import coatcheck.starlette as ccs

app = FastAPI()
app.add_middleware(ccs.SessionMiddleware, store=os.environ["COATCHECK_TEST_STORE"])


@app.get("/login")
async def login(request: Request) -> Dict[str, Any]:
    await ccs.login(request, "ada")
    request.session["user"] = "ada"
    return {"pid": os.getpid()}


@app.get("/whoami")
async def whoami(request: Request) -> Dict[str, Any]:
    return {"pid": os.getpid(), "user": request.session.get("user")}


@app.get("/write")
async def write(request: Request) -> Dict[str, Any]:
    request.session.update(request.query_params)
    return {"pid": os.getpid(), "user": request.session.get("user")}


@app.get("/read")
async def read(request: Request) -> Dict[str, Any]:
    return dict(request.session)


@app.get("/logout")
async def logout(request: Request) -> Dict[str, Any]:
    await ccs.logout(request)
    return {"pid": os.getpid()}
