"""The views measured: one that reads the session, one that changes one key,
one that never touches it; ``/login`` makes the session they use."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

PAYLOAD = {
    "_auth_user_id": "4242",
    "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
    "cart": ["sku-1001", "sku-2002", "sku-3003"],
    "theme": "dark",
    "visits": 17,
    "last_search": "waterproof jacket size M",
}


def login(request: HttpRequest) -> HttpResponse:
    request.session.update(PAYLOAD)
    return HttpResponse("in")


def read(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"cart": request.session.get("cart"), "theme": request.session.get("theme")})


def write(request: HttpRequest) -> JsonResponse:
    visits = int(request.session.get("visits", 0)) + 1
    request.session["visits"] = visits
    return JsonResponse({"visits": visits})


def nosession(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"cart": None, "theme": None})


urlpatterns = [
    path("login", login),
    path("read", read),
    path("write", write),
    path("nosession", nosession),
]
