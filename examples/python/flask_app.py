"""A Flask shop on coatcheck sessions: cart, login, "your devices".

    .venv/bin/python examples/python/flask_app.py       # then open http://127.0.0.1:5000

Sessions live in ``flask-sessions.redb`` next to where you run it.
"""

from __future__ import annotations

from flask import Flask, redirect, render_template_string, request, session
from werkzeug.wrappers import Response

import coatcheck.flask as ccf

app = Flask(__name__)
app.config["COATCHECK_PATH"] = "flask-sessions.redb"
ccf.SessionInterface(app)

PAGE = """
<p>{{ 'Signed in as ' + user if user else 'Anonymous' }} · cart: {{ cart }}</p>
<form method=post action=/cart><input type=hidden name=csrf_token value="{{ csrf_token() }}">
  <input name=item placeholder=item><button>Add to cart</button></form>
<form method=post action=/login><input type=hidden name=csrf_token value="{{ csrf_token() }}">
  <input name=user placeholder=name><label><input type=checkbox name=remember> keep me signed in</label>
  <button>Sign in</button></form>
{% if user %}<h3>Your devices</h3><ul>{% for s in devices %}
  <li>{{ s.meta.user_agent }} · last seen {{ s.last_access }}{{ ' (this one)' if s.id == this }}</li>
{% endfor %}</ul>
<form method=post action=/logout-others><input type=hidden name=csrf_token value="{{ csrf_token() }}">
  <button>Sign out other devices</button></form>{% endif %}
"""


@app.before_request
def check_csrf() -> tuple[str, int] | None:
    if request.method == "POST" and not ccf.verify_csrf():
        return "CSRF check failed", 403
    return None


@app.get("/")
def home() -> str:
    return render_template_string(
        PAGE,
        user=session.get("user"),
        cart=session.get("cart", []),
        devices=ccf.user_sessions(),
        this=getattr(session, "id", None),
    )


@app.post("/cart")
def add_to_cart() -> Response:
    session["cart"] = session.get("cart", []) + [request.form["item"]]
    return redirect("/")


@app.post("/login")
def login() -> Response:
    user = request.form["user"] or "guest"
    session.permanent = "remember" in request.form  # a long-lived cookie
    session["user"] = user
    ccf.login(user)  # new token, cart kept
    return redirect("/")


@app.post("/logout-others")
def logout_others() -> Response:
    ccf.logout_other_devices()
    return redirect("/")


if __name__ == "__main__":
    app.run(threaded=True)
