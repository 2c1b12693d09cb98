"""The routes every test server has (see ../README.md)."""

import os

from django.http import HttpRequest, JsonResponse
from django.urls import path


def login(request: HttpRequest) -> JsonResponse:
    request.session["user"] = "ada"
    request.session.cycle_key()  # what django.contrib.auth.login does
    return JsonResponse({"pid": os.getpid()})


def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"pid": os.getpid(), "user": request.session.get("user")})


def write(request: HttpRequest) -> JsonResponse:
    for key, value in request.GET.items():
        request.session[key] = value
    return JsonResponse({"pid": os.getpid(), "user": request.session.get("user")})


def read(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dict(request.session.items()))


def logout(request: HttpRequest) -> JsonResponse:
    request.session.flush()
    return JsonResponse({"pid": os.getpid()})


urlpatterns = [
    path("login", login),
    path("whoami", whoami),
    path("write", write),
    path("read", read),
    path("logout", logout),
]
