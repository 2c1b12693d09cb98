"""HTTP helpers: the session cookie, the CSRF cookie, and reading tokens
from ``Cookie`` and ``Authorization`` headers.

Pure functions of their input: absent, malformed, oversized or wrongly
signed input gives ``None``, never an exception. Several cookies of the
session's name (cookie tossing from a sibling subdomain) are all candidates,
in the browser's order (``token_candidates_from_cookie_header``); a
``__Host-`` name (``CookieConfig("__Host-session")``) keeps siblings out::

    from coatcheck.http import CookieConfig, token_from_authorization

    cookies = CookieConfig(signed=True, keys=[secret_key])   # 32+ bytes
    response.headers["Set-Cookie"] = cookies.set_cookie(store.login(token, "ada"))
    token = cookies.token_from_cookie_header(request.headers.get("Cookie", ""))
    bearer = token_from_authorization(request.headers.get("Authorization", ""))

Signed cookies hold ``TOKEN.SIGNATURE`` (HMAC-SHA256 of ``NAME=TOKEN``);
new cookies are signed with the first key, any key is accepted, so keys can
be rotated without logging anyone out.
"""

from __future__ import annotations

from coatcheck._native import CookieConfig, token_from_authorization

__all__ = ["CookieConfig", "token_from_authorization"]
