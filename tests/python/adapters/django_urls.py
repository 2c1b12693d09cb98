"""Views of the Django tests: each does one thing to ``request.session``."""

from __future__ import annotations

import threading
from typing import Optional

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

#: Set by a test to make two requests overlap (see test_django.py).
BARRIER: Optional[threading.Barrier] = None


def noop(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing")


def read(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dict(request.session.items()))


def write(request: HttpRequest) -> JsonResponse:
    for key, value in request.GET.items():
        request.session[key] = value
    return JsonResponse(dict(request.session.items()))


def remove(request: HttpRequest, key: str) -> HttpResponse:
    del request.session[key]
    return HttpResponse("removed")


def add_to_cart(request: HttpRequest, item: str) -> JsonResponse:
    cart = request.session.setdefault("cart", [])
    cart.append(item)  # changed in place, as Django's docs allow
    request.session.modified = True
    return JsonResponse({"cart": cart})


def expire_in(request: HttpRequest, seconds: int) -> HttpResponse:
    request.session["x"] = 1
    request.session.set_expiry(seconds)
    return HttpResponse("ok")


def overlap(request: HttpRequest, key: str) -> HttpResponse:
    """Loads the session, waits until the other request has loaded it too,
    then changes its own key: the two saves overlap."""
    request.session.get("anything")
    assert BARRIER is not None
    BARRIER.wait(timeout=10)
    request.session[key] = "done"
    return HttpResponse("ok")


def do_login(request: HttpRequest) -> HttpResponse:
    user = authenticate(request, username=request.GET["u"], password=request.GET["p"])
    if user is None:
        return HttpResponse("no", status=403)
    login(request, user)
    return HttpResponse("in")


def do_logout(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponse("out")


def devices(request: HttpRequest) -> JsonResponse:
    session = request.session
    return JsonResponse(
        {
            "this": session.coatcheck_id,  # type: ignore[attr-defined]
            "ids": [s.id for s in session.coatcheck_sessions()],  # type: ignore[attr-defined]
        }
    )


def logout_others(request: HttpRequest) -> JsonResponse:
    ended = request.session.coatcheck_logout_other_devices()  # type: ignore[attr-defined]
    return JsonResponse({"ended": ended})


urlpatterns = [
    path("noop", noop),
    path("read", read),
    path("write", write),
    path("remove/<str:key>", remove),
    path("cart/<str:item>", add_to_cart),
    path("expire/<int:seconds>", expire_in),
    path("overlap/<str:key>", overlap),
    path("login", do_login),
    path("logout", do_logout),
    path("devices", devices),
    path("logout-others", logout_others),
]
