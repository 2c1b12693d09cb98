"""A FastAPI shop on coatcheck sessions: cart, login, "your devices".

    .venv/bin/python examples/python/fastapi_app.py     # then open http://127.0.0.1:8000/docs

Sessions live in ``fastapi-sessions.redb`` next to where you run it.
"""

from __future__ import annotations

from typing import Any, Dict, List

from fastapi import Depends, FastAPI, HTTPException, Request

import coatcheck
import coatcheck.starlette as ccs

app = FastAPI(title="coatcheck shop")
app.add_middleware(ccs.SessionMiddleware, store="fastapi-sessions.redb")


@app.get("/")
async def home(request: Request) -> Dict[str, Any]:
    return {"user": request.session.get("user"), "cart": request.session.get("cart", [])}


@app.post("/cart/{item}")
async def add_to_cart(request: Request, item: str) -> List[str]:
    cart: List[str] = request.session.get("cart", []) + [item]
    request.session["cart"] = cart
    return cart


@app.post("/login/{user}")
async def login(request: Request, user: str) -> Dict[str, str]:
    request.session["user"] = user
    await ccs.login(request, user)  # new token, cart kept
    return {"signed_in": user}


@app.get("/devices")
async def devices(
    request: Request, sessions: List[coatcheck.Session] = Depends(ccs.user_sessions)
) -> List[Dict[str, Any]]:
    if not sessions:
        raise HTTPException(401, "sign in first")
    this = getattr(request.session, "id", None)
    return [
        {"id": s.id[:12], "user_agent": s.meta.user_agent, "last_access": s.last_access,
         "this_device": s.id == this}
        for s in sessions
    ]


@app.post("/logout-others")
async def logout_others(request: Request) -> Dict[str, int]:
    return {"signed_out": await ccs.logout_other_devices(request)}


@app.post("/logout")
async def logout(request: Request) -> Dict[str, bool]:
    await ccs.logout(request)
    return {"signed_out": True}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app)
