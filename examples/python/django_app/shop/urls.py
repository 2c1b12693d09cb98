"""The shop's views: a cart, login/logout, and "your devices"."""

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import Context, Template
from django.urls import path
from django.views.decorators.http import require_POST

PAGE = Template("""
<p>{% if user.is_authenticated %}Signed in as {{ user.username }}
  <form method=post action=/logout>{% csrf_token %}<button>Sign out</button></form>
{% else %}<form method=post action=/login>{% csrf_token %}
  <input name=username value=ada> <input name=password type=password value=lovelace>
  <button>Sign in</button></form>{% endif %}</p>
<p>Cart: {{ cart|join:", "|default:"empty" }}</p>
<form method=post action=/cart>{% csrf_token %}<input name=item><button>Add</button></form>
{% if user.is_authenticated %}<h3>Your devices</h3><ul>{% for s in devices %}
  <li>{{ s.meta.user_agent|default:"?" }} from {{ s.meta.ip|default:"?" }},
      last seen {{ s.last_access }}{% if s.id == this %} (this device){% endif %}</li>{% endfor %}</ul>
<form method=post action=/logout-others>{% csrf_token %}<button>Sign out other devices</button></form>
{% endif %}
""")


def home(request: HttpRequest) -> HttpResponse:
    session = request.session
    context = {
        "user": request.user,
        "cart": session.get("cart", []),
        "devices": session.coatcheck_sessions(),
        "this": session.coatcheck_id,
        "csrf_token": request.META.get("CSRF_COOKIE"),
    }
    from django.middleware.csrf import get_token

    context["csrf_token"] = get_token(request)
    return HttpResponse(PAGE.render(Context(context)))


@require_POST
def add_to_cart(request: HttpRequest) -> HttpResponse:
    request.session["cart"] = request.session.get("cart", []) + [request.POST["item"]]
    return redirect("/")


@require_POST
def sign_in(request: HttpRequest) -> HttpResponse:
    user = authenticate(request, username=request.POST["username"], password=request.POST["password"])
    if user is not None:
        login(request, user)  # cycles the session key; the cart stays
    return redirect("/")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")


@require_POST
def logout_others(request: HttpRequest) -> HttpResponse:
    request.session.coatcheck_logout_other_devices()
    return redirect("/")


urlpatterns = [
    path("", home),
    path("cart", add_to_cart),
    path("login", sign_in),
    path("logout", sign_out),
    path("logout-others", logout_others),
]
