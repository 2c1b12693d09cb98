"""The learn-sessions API over real HTTP, against every server (see
conftest.py): each route, each status, the cookie rules, hostile bodies,
tampered cookies, enumeration, several devices, and revocation after
logout and after a password reset."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import httpx2 as httpx
import pytest

from conftest import RATE_WINDOW_SECONDS, Server, read_codes, start_cpp, start_python

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SESSION_ID = re.compile(r"^[0-9a-f]{64}$")
PASSWORD = "correct horse battery"


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def new_account(**fields: Any) -> Dict[str, Any]:
    name = unique()
    body: Dict[str, Any] = {"name": name, "email": f"{name}@example.com", "password": PASSWORD}
    body.update(fields)
    return body


def sign_up(server: Server, **fields: Any) -> Tuple[httpx.Client, Dict[str, Any], Dict[str, Any]]:
    """A client signed in as a new user: (client, the body sent, the reply)."""
    client = server.client()
    body = new_account(**fields)
    r = client.post("/v1/user/create", json=body)
    assert r.status_code == 201, r.text
    return client, body, r.json()


def sign_in(server: Server, body: Dict[str, Any], **extra: Any) -> httpx.Client:
    client = server.client()
    r = client.post(
        "/v1/user/auth", json={"name": body["name"], "password": body["password"], **extra}
    )
    assert r.status_code == 201, r.text
    return client


def set_cookie(response: httpx.Response) -> str:
    """The one ``Set-Cookie`` header for ``sessionId``."""
    values = [v for v in response.headers.get_list("set-cookie") if v.startswith("sessionId=")]
    assert len(values) == 1, response.headers
    return values[0]


def attributes(cookie: str) -> Dict[str, str]:
    parts = [p.strip() for p in cookie.split(";")]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]}


def cookie_value(client: httpx.Client) -> str:
    value = client.cookies.get("sessionId")
    assert value
    return str(value)


def users_status(server: Server, cookie: Optional[str]) -> int:
    headers = {} if cookie is None else {"Cookie": f"sessionId={cookie}"}
    with server.client() as c:
        return c.get("/v1/users", headers=headers).status_code


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def forget(server: Server, email: str) -> Tuple[str, str]:
    """Starts a recovery; returns (request id, code from X-Debug-OTP)."""
    with server.client() as c:
        r = c.post("/v1/user/forget-password", json={"email": email})
    assert r.status_code == 200, r.text
    code = r.headers.get("x-debug-otp")
    if code is None:
        pytest.skip("this server does not run with DEBUG (no X-Debug-OTP)")
    return r.json()["id"], code


# Sign-up


def test_sign_up_returns_the_user_and_a_signed_httponly_session_cookie(server: Server) -> None:
    body = new_account(displayName="Ada Lovelace")
    with server.client() as client:
        r = client.post("/v1/user/create", json=body)
        assert r.status_code == 201, r.text
        user = r.json()
        assert UUID.match(user["id"])
        assert user["displayName"] == "Ada Lovelace"
        assert (user["name"], user["email"]) == (body["name"], body["email"])
        assert user["keepSignedIn"] is False
        assert parse_time(user["createdAt"]).tzinfo is not None
        assert set(user) == {"id", "displayName", "name", "email", "keepSignedIn", "createdAt"}
        cookie = set_cookie(r)
        attrs = attributes(cookie)
        assert "httponly" in attrs and attrs["samesite"].lower() in ("lax", "strict")
        assert attrs.get("path") == "/"
        assert "secure" not in attrs  # plain HTTP, COOKIE_SECURE=auto
        token, _, signature = cookie.split(";")[0].split("=", 1)[1].partition(".")
        assert token and signature, "the cookie value is TOKEN.SIGNATURE"
        assert client.get("/v1/users").status_code == 200


def test_display_name_is_null_when_absent(server: Server) -> None:
    _, _, user = sign_up(server)
    assert user["displayName"] is None


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"name": ""},
        {"name": "   "},
        {"name": "n" * 101},
        {"name": 42},
        {"email": None},
        {"email": "not-an-email"},
        {"email": "a@b"},
        {"email": "x" * 250 + "@example.com"},
        {"email": ["a@example.com"]},
        {"displayName": "d" * 256},
        {"displayName": 7},
        {"password": None},
        {"password": 12345678},
        {"password": "short"},
        {"keepSignedIn": "yes"},
        {"keepSignedIn": 1},
    ],
    ids=repr,
)
def test_sign_up_with_an_invalid_field_is_400_without_a_cookie(
    server: Server, change: Dict[str, Any]
) -> None:
    body = new_account()
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    with server.client() as c:
        r = c.post("/v1/user/create", json=body)
        assert r.status_code == 400, r.text
        assert "set-cookie" not in r.headers
        assert isinstance(r.json()["error"], str)


HOSTILE_BODIES: List[Tuple[str, bytes, str]] = [
    ("empty", b"", "application/json"),
    ("not json", b"name=ada&password=x", "application/json"),
    ("a form", b"name=ada&email=a%40b.c&password=correcthorse", "application/x-www-form-urlencoded"),
    ("no content type", b'{"name":"ada","email":"a@b.cc","password":"correcthorse"}', ""),
    ("an array", b"[1, 2, 3]", "application/json"),
    ("a string", b'"hello"', "application/json"),
    ("null", b"null", "application/json"),
    ("a number", b"1e999", "application/json"),
    ("bad utf-8", b'{"name":"\xff\xfe","email":"a@b.cc","password":"correcthorse"}', "application/json"),
    ("truncated", b'{"name":"ada","email":"a@b.cc","pass', "application/json"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("huge", b'{"name":"' + b"a" * 200_000 + b'"}', "application/json"),
    ("nul bytes", b'{"name":"a\x00b"}\x00', "application/json"),
]


BODY_ROUTES = ["/v1/user/create", "/v1/user/auth", "/v1/user/forget-password", "/v1/user/reset-password"]


@pytest.mark.parametrize("label,raw,content_type", HOSTILE_BODIES, ids=[h[0] for h in HOSTILE_BODIES])
def test_a_body_that_is_not_a_json_object_is_400(
    server: Server, label: str, raw: bytes, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    c = server.client()
    for route in BODY_ROUTES:
        r = c.post(route, content=raw, headers=headers)
        assert r.status_code == 400, (label, route, r.status_code, r.text[:200])
        assert "set-cookie" not in r.headers
    assert c.get("/v1/users").status_code == 401, "the server is still well"


@pytest.mark.parametrize("field", ["name", "email"])
def test_name_and_email_are_unique_in_any_case(server: Server, field: str) -> None:
    _, body, _ = sign_up(server)
    again = new_account()
    again[field] = body[field].upper()
    with server.client() as c:
        r = c.post("/v1/user/create", json=again)
    assert r.status_code in (400, 409), r.text
    assert "set-cookie" not in r.headers


# Sign-in


@pytest.mark.parametrize("by", ["name", "email"])
def test_sign_in_by_name_or_email_starts_a_session(server: Server, by: str) -> None:
    _, body, user = sign_up(server)
    with server.client() as c:
        r = c.post("/v1/user/auth", json={by: body[by], "password": PASSWORD})
        assert r.status_code == 201, r.text
        started = r.json()
        assert set(started) == {"id", "userId", "startedAt"}
        assert SESSION_ID.match(started["id"])
        assert started["userId"] == user["id"]
        parse_time(started["startedAt"])
        set_cookie(r)
        listing = {u["id"]: u for u in c.get("/v1/users").json()}
        assert listing[user["id"]]["sessionId"] == started["id"]


def test_sign_in_with_a_valid_session_cookie_is_400(server: Server) -> None:
    client, body, _ = sign_up(server)
    r = client.post("/v1/user/auth", json={"name": body["name"], "password": PASSWORD})
    assert r.status_code == 400
    assert "set-cookie" not in r.headers


@pytest.mark.parametrize(
    "fields",
    [{}, {"password": PASSWORD}, {"name": "someone"}, {"name": "", "password": PASSWORD},
     {"name": 5, "password": PASSWORD}, {"name": "someone", "password": 5},
     {"name": "someone", "password": PASSWORD, "keepSignedIn": "true"}],
    ids=repr,
)  # fmt: skip
def test_sign_in_with_a_missing_or_wrong_typed_field_is_400(
    server: Server, fields: Dict[str, Any]
) -> None:
    with server.client() as c:
        r = c.post("/v1/user/auth", json=fields)
    assert r.status_code == 400
    assert "set-cookie" not in r.headers


def test_unknown_user_and_wrong_password_are_indistinguishable(server: Server) -> None:
    _, body, _ = sign_up(server)
    with server.client() as c:
        wrong_password = c.post("/v1/user/auth", json={"name": body["name"], "password": "x" * 12})
        unknown_name = c.post("/v1/user/auth", json={"name": unique(), "password": PASSWORD})
        unknown_email = c.post(
            "/v1/user/auth", json={"email": unique() + "@example.com", "password": PASSWORD}
        )
        wrong_pair = c.post(  # a real name with another user's e-mail
            "/v1/user/auth", json={"name": body["name"], "email": "x" + body["email"], "password": PASSWORD}
        )
    replies = {(r.status_code, r.content) for r in (wrong_password, unknown_name, unknown_email, wrong_pair)}
    assert len(replies) == 1, replies
    assert wrong_password.status_code == 400
    for r in (wrong_password, unknown_name, unknown_email, wrong_pair):
        assert "set-cookie" not in r.headers


# Cookies: keep me signed in


def test_keep_signed_in_gives_a_cookie_with_max_age_and_a_plain_one_none(server: Server) -> None:
    _, body, user = sign_up(server, keepSignedIn=True)
    assert user["keepSignedIn"] is True
    with server.client() as c:
        r = c.post("/v1/user/auth", json={"name": body["name"], "password": PASSWORD, "keepSignedIn": True})
        remembered = attributes(set_cookie(r))
    assert int(remembered["max-age"]) >= 7 * 24 * 3600
    with server.client() as c:
        r = c.post("/v1/user/auth", json={"name": body["name"], "password": PASSWORD, "keepSignedIn": False})
        plain = attributes(set_cookie(r))
    assert "max-age" not in plain and "expires" not in plain


def test_a_plain_session_ends_after_idle_time_and_a_remembered_one_does_not(server: Server) -> None:
    _, body, _ = sign_up(server)
    plain = sign_in(server, body)
    remembered = sign_in(server, body, keepSignedIn=True)
    server.advance_clock(2 * 3600)
    assert plain.get("/v1/users").status_code == 401
    assert remembered.get("/v1/users").status_code == 200


def test_cookie_is_secure_behind_an_https_proxy(server: Server) -> None:
    with server.client() as c:
        r = c.post("/v1/user/create", json=new_account(), headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 201
    assert "secure" in attributes(set_cookie(r))


# Tampered cookies


def tampered(value: str) -> List[Tuple[str, str]]:
    token, _, signature = value.partition(".")

    def flip(text: str, i: int) -> str:
        return text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]

    return [
        ("token only, unsigned", token),
        ("signature changed", token + "." + flip(signature, 3)),
        ("token changed", flip(token, 3) + "." + signature),
        ("truncated", value[: len(value) // 2]),
        ("last character cut", value[:-1]),
        ("signature of another cookie", unique() + "." + signature),
        ("empty", ""),
        ("garbage", "%%%;;;"),
        ("oversized", value + "A" * 8000),
        ("non-ascii", token + ".\u00e9\u00e9"),
        ("two dots", token + "." + signature + "." + signature),
    ]


def test_tampered_cookies_are_401_never_500(server: Server) -> None:
    client, _, _ = sign_up(server)
    value = cookie_value(client)
    assert users_status(server, value) == 200
    for label, bad in tampered(value):
        with server.client() as c:
            for method, route in (("GET", "/v1/users"), ("DELETE", "/v1/user/logout")):
                r = c.request(method, route, headers={b"Cookie": f"sessionId={bad}".encode()})
                assert r.status_code == 401, (label, method, r.status_code)
    assert users_status(server, value) == 200, "a refused forgery does not end the real session"


# Logout


def test_logout_ends_the_session_and_clears_the_cookie(server: Server) -> None:
    client, _, _ = sign_up(server)
    value = cookie_value(client)
    r = client.delete("/v1/user/logout")
    assert r.status_code == 204
    cleared = attributes(set_cookie(r))
    assert cleared.get("path") == "/"
    assert cleared.get("max-age") == "0" or "1970" in cleared.get("expires", "")
    assert client.get("/v1/users").status_code == 401
    assert users_status(server, value) == 401, "the old cookie is dead server-side"
    with server.client() as c:
        r = c.delete("/v1/user/logout", headers={"Cookie": f"sessionId={value}"})
        assert r.status_code == 401


def test_logout_without_a_session_is_401(server: Server) -> None:
    with server.client() as c:
        assert c.delete("/v1/user/logout").status_code == 401


# The user list


def test_users_needs_a_session(server: Server) -> None:
    assert users_status(server, None) == 401


def test_users_lists_everyone_without_secrets(server: Server) -> None:
    client, body, me = sign_up(server, displayName="Me")
    other_client, other_body, other = sign_up(server)
    assert other_client.delete("/v1/user/logout").status_code == 204
    r = client.get("/v1/users")
    assert r.status_code == 200
    listing = {u["id"]: u for u in r.json()}
    cookie = cookie_value(client)
    entry = listing[me["id"]]
    assert set(entry) == {"id", "displayName", "name", "email", "createdAt", "keepSignedIn", "sessionId"}
    assert entry["displayName"] == "Me" and entry["name"] == body["name"]
    assert SESSION_ID.match(entry["sessionId"])
    assert listing[other["id"]]["sessionId"] is None, "no live session: null"
    text = r.text
    token = cookie.partition(".")[0]
    for secret in (PASSWORD, cookie, token, "argon2", other_body["password"]):
        assert secret not in text
    for key in ("password", "passwordHash", "token", "otp", "hash"):
        assert key not in entry


# Several devices


def test_several_devices_each_have_a_session_and_logout_ends_only_one(server: Server) -> None:
    first, body, user = sign_up(server)
    second = sign_in(server, body)
    third = sign_in(server, body)
    for c in (first, second, third):
        assert c.get("/v1/users").status_code == 200
    assert second.delete("/v1/user/logout").status_code == 204
    assert second.get("/v1/users").status_code == 401
    assert first.get("/v1/users").status_code == 200
    assert third.get("/v1/users").status_code == 200


# Password recovery


def test_forget_password_writes_the_code_to_the_otp_file(server: Server) -> None:
    _, body, _ = sign_up(server)
    request_id, code = forget(server, body["email"])
    assert UUID.match(request_id)
    assert re.fullmatch(r"[0-9A-Za-z]{6}", code)
    assert {"email": body["email"], "otp": code} in read_codes(server)


def test_without_debug_the_code_goes_only_to_the_otp_file(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if server.kind == "given":
        pytest.skip("starts a server of its own")
    start = start_python if server.kind == "python" else start_cpp
    quiet = start(tmp_path_factory.mktemp(f"quiet-{server.kind}"), DEBUG="0")
    try:
        _, body, _ = sign_up(quiet)
        r = quiet.client().post("/v1/user/forget-password", json={"email": body["email"]})
        assert r.status_code == 200
        assert "x-debug-otp" not in r.headers
        codes = read_codes(quiet)
        assert [c["email"] for c in codes] == [body["email"]]
        assert codes[0]["otp"] not in r.text
    finally:
        quiet.close_clients()
        quiet.stop()


def test_forget_password_for_an_unknown_user_is_400(server: Server) -> None:
    with server.client() as c:
        r = c.post("/v1/user/forget-password", json={"email": unique() + "@example.com"})
    assert r.status_code == 400


def test_forget_password_while_a_recovery_is_pending_is_400(server: Server) -> None:
    _, body, _ = sign_up(server)
    forget(server, body["email"])
    with server.client() as c:
        r = c.post("/v1/user/forget-password", json={"email": body["email"]})
    assert r.status_code == 400
    assert "x-debug-otp" not in r.headers


def reset(server: Server, request_id: str, code: str, password: str = "a new passphrase") -> httpx.Response:
    with server.client() as c:
        return c.post(
            "/v1/user/reset-password", json={"id": request_id, "otp": code, "newPassword": password}
        )


def test_reset_password_signs_in_and_ends_every_other_session(server: Server) -> None:
    first, body, user = sign_up(server)
    second = sign_in(server, body, keepSignedIn=True)
    request_id, code = forget(server, body["email"])
    r = reset(server, request_id, code)
    assert r.status_code == 201, r.text
    started = r.json()
    assert set(started) == {"id", "userId", "startedAt"} and started["userId"] == user["id"]
    new_cookie = set_cookie(r).split(";")[0].split("=", 1)[1]
    assert users_status(server, new_cookie) == 200
    assert first.get("/v1/users").status_code == 401, "logged out everywhere"
    assert second.get("/v1/users").status_code == 401, "remembered devices too"
    with server.client() as c:
        old = c.post("/v1/user/auth", json={"name": body["name"], "password": PASSWORD})
        assert old.status_code == 400
        new = c.post("/v1/user/auth", json={"name": body["name"], "password": "a new passphrase"})
        assert new.status_code == 201


def test_a_code_works_once(server: Server) -> None:
    _, body, _ = sign_up(server)
    request_id, code = forget(server, body["email"])
    assert reset(server, request_id, code).status_code == 201
    again = reset(server, request_id, code, "yet another passphrase")
    assert again.status_code == 400
    assert "set-cookie" not in again.headers


def test_a_wrong_code_is_400_and_a_few_wrong_codes_spend_the_request(server: Server) -> None:
    _, body, _ = sign_up(server)
    request_id, code = forget(server, body["email"])
    wrong = "000000" if code != "000000" else "111111"
    r = reset(server, request_id, wrong)
    assert r.status_code == 400 and "set-cookie" not in r.headers
    assert reset(server, request_id, code).status_code == 201, "one wrong guess is forgiven"

    server.advance_clock(RATE_WINDOW_SECONDS + 1)
    _, body, _ = sign_up(server)
    request_id, code = forget(server, body["email"])
    for _ in range(5):
        assert reset(server, request_id, wrong).status_code == 400
    assert reset(server, request_id, code).status_code == 400, "guessing is not open-ended"


@pytest.mark.parametrize(
    "fields",
    [{"id": str(uuid.uuid4()), "otp": "123456", "newPassword": "a new passphrase"},
     {"id": "not-a-uuid", "otp": "123456", "newPassword": "a new passphrase"},
     {"otp": "123456", "newPassword": "a new passphrase"},
     {"id": str(uuid.uuid4()), "newPassword": "a new passphrase"},
     {"id": str(uuid.uuid4()), "otp": "1234567", "newPassword": "a new passphrase"},
     {"id": str(uuid.uuid4()), "otp": 123456, "newPassword": "a new passphrase"},
     {"id": str(uuid.uuid4()), "otp": "123456"}],
    ids=repr,
)  # fmt: skip
def test_reset_without_a_pending_request_or_with_bad_fields_is_400(
    server: Server, fields: Dict[str, Any]
) -> None:
    with server.client() as c:
        r = c.post("/v1/user/reset-password", json=fields)
    assert r.status_code == 400
    assert "set-cookie" not in r.headers


def test_an_expired_code_is_400_and_a_new_request_can_be_made(server: Server) -> None:
    _, body, _ = sign_up(server)
    request_id, code = forget(server, body["email"])
    server.advance_clock(16 * 60)
    assert reset(server, request_id, code).status_code == 400
    second_id, second_code = forget(server, body["email"])
    assert second_id != request_id
    assert reset(server, second_id, second_code).status_code == 201


# Rate limits


def test_sign_in_is_rate_limited_per_account(server: Server) -> None:
    _, body, _ = sign_up(server)
    statuses = []
    with server.client() as c:
        for _ in range(8):
            statuses.append(c.post("/v1/user/auth", json={"name": body["name"], "password": "wrong guess"}).status_code)
        limited = c.post("/v1/user/auth", json={"name": body["name"], "password": PASSWORD})
    assert statuses[0] == 400 and statuses[-1] == 429, statuses
    assert limited.status_code == 429, "even the right password waits"
    assert int(limited.headers["retry-after"]) >= 1
    assert "error" in limited.json()
    server.advance_clock(RATE_WINDOW_SECONDS + 1)
    sign_in(server, body)


def test_sign_in_is_rate_limited_per_address(server: Server) -> None:
    statuses = []
    with server.client() as c:
        for _ in range(40):
            r = c.post("/v1/user/auth", json={"name": unique(), "password": "wrong guess"})
            statuses.append(r.status_code)
            if r.status_code == 429:
                break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}, statuses


def test_password_recovery_is_rate_limited(server: Server) -> None:
    _, body, _ = sign_up(server)
    statuses = []
    with server.client() as c:
        for _ in range(6):
            statuses.append(c.post("/v1/user/forget-password", json={"email": body["email"]}).status_code)
    assert statuses[0] == 200 and statuses[-1] == 429, statuses
