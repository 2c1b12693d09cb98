"""The main journeys of the learn-sessions pages in headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright; it never downloads a
browser). Each journey saves screenshots under tests/app/screenshots/
(gitignored) for a person to look at."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from conftest import Server, start_python

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery"
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The Python app, serving the pages (one for this module)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test-app` installs Debian's chromium")
    server = start_python(tmp_path_factory.mktemp("learn-sessions-web"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # A non-persistent launch runs on a fresh, temporary user-data dir.
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def new_person() -> Dict[str, str]:
    name = "p" + uuid.uuid4().hex[:10]
    return {"name": name, "email": f"{name}@example.com", "displayName": name.title()}


def sign_up(page: Page, web: Server, person: Dict[str, str], keep: bool = False) -> None:
    page.goto(web.base_url + "/signup")
    page.fill("input[name=displayName]", person["displayName"])
    page.fill("input[name=name]", person["name"])
    page.fill("input[name=email]", person["email"])
    page.fill("input[name=password]", PASSWORD)
    if keep:
        page.check("input[name=keepSignedIn]")
    page.click("button:has-text('Sign up')")
    expect(page).to_have_url(web.base_url + "/users")


def sign_in(page: Page, web: Server, login: str, password: str = PASSWORD, keep: bool = False) -> None:
    page.goto(web.base_url + "/signin")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    if keep:
        page.check("input[name=keepSignedIn]")
    page.click("main button:has-text('Sign in')")


def test_sign_up_shows_the_users_list_with_a_welcome(web: Server, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    person = new_person()
    page.goto(web.base_url + "/")
    expect(page).to_have_url(web.base_url + "/signin")
    shot(page, "01-sign-in-page")
    sign_up(page, web, person)
    expect(page.get_by_test_id("flash-success")).to_contain_text("Welcome")
    expect(page.get_by_test_id("user-row").filter(has_text=person["email"])).to_have_count(1)
    expect(page.get_by_test_id("me")).to_have_text(person["displayName"])
    shot(page, "02-signed-up-users-list")
    cookie = next(c for c in context.cookies() if c["name"] == "sessionId")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("sessionId") == -1, "not readable by scripts"
    # Reloading shows the flash only once.
    page.reload()
    expect(page.get_by_test_id("flash-success")).to_have_count(0)
    context.close()


def test_a_wrong_password_flashes_an_error(web: Server, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, web, "nobody-" + uuid.uuid4().hex[:6], "not the password")
    expect(page).to_have_url(web.base_url + "/signin")
    expect(page.get_by_test_id("flash-error")).to_contain_text("not right")
    shot(page, "03-sign-in-refused")
    context.close()


def test_two_devices_and_logging_out_the_other_bounces_it_to_sign_in(
    web: Server, browser: Browser
) -> None:
    laptop = browser.new_context()
    phone = browser.new_context(user_agent=FIREFOX_ON_WINDOWS)
    person = new_person()
    on_laptop, on_phone = laptop.new_page(), phone.new_page()
    sign_up(on_laptop, web, person)
    sign_in(on_phone, web, person["email"])
    expect(on_phone).to_have_url(web.base_url + "/users")

    on_laptop.goto(web.base_url + "/devices")
    rows = on_laptop.get_by_test_id("device-row")
    expect(rows).to_have_count(2)
    expect(on_laptop.locator("tr[data-current=yes]")).to_contain_text("Chrome on Linux")
    phone_row = rows.filter(has_text="Firefox on Windows")
    expect(phone_row).to_contain_text("127.0.0.1")
    shot(on_laptop, "04-your-devices-two")

    phone_row.get_by_role("button", name="Log out this device").click()
    expect(on_laptop.get_by_test_id("flash-success")).to_contain_text("signed out")
    expect(on_laptop.get_by_test_id("device-row")).to_have_count(1)
    shot(on_laptop, "05-your-devices-one")

    on_phone.goto(web.base_url + "/devices")
    expect(on_phone).to_have_url(web.base_url + "/signin")
    expect(on_phone.get_by_test_id("flash-info")).to_contain_text("signed out on this device")
    shot(on_phone, "06-phone-bounced-to-sign-in")
    laptop.close()
    phone.close()


def test_log_out_all_other_devices(web: Server, browser: Browser) -> None:
    person = new_person()
    contexts = [browser.new_context() for _ in range(3)]
    pages = [c.new_page() for c in contexts]
    sign_up(pages[0], web, person)
    for page in pages[1:]:
        sign_in(page, web, person["name"])
    pages[0].goto(web.base_url + "/devices")
    expect(pages[0].get_by_test_id("device-row")).to_have_count(3)
    pages[0].click("button:has-text('Log out all other devices')")
    expect(pages[0].get_by_test_id("flash-success")).to_contain_text("Signed out 2 other devices")
    for page in pages[1:]:
        page.goto(web.base_url + "/users")
        expect(page).to_have_url(web.base_url + "/signin")
    pages[0].goto(web.base_url + "/users")
    expect(pages[0]).to_have_url(web.base_url + "/users")
    for context in contexts:
        context.close()


def latest_code(web: Server, email: str) -> str:
    assert web.otp_file is not None
    lines = [json.loads(line) for line in web.otp_file.read_text().splitlines() if line]
    return str([entry["otp"] for entry in lines if entry["email"] == email][-1])


def test_reset_a_password_and_every_other_device_is_signed_out(web: Server, browser: Browser) -> None:
    person = new_person()
    old_device, new_device = browser.new_context(), browser.new_context()
    on_old, on_new = old_device.new_page(), new_device.new_page()
    sign_up(on_old, web, person)

    on_new.goto(web.base_url + "/signin")
    on_new.click("a:has-text('Forgot your password?')")
    on_new.fill("input[name=email]", person["email"])
    on_new.click("button:has-text('Send me a code')")
    expect(on_new.get_by_test_id("flash-success")).to_contain_text("We sent a 6-digit code")
    shot(on_new, "07-reset-form")
    on_new.fill("input[name=otp]", latest_code(web, person["email"]))
    on_new.fill("input[name=newPassword]", "a brand new passphrase")
    on_new.click("button:has-text('Set the new password')")
    expect(on_new).to_have_url(web.base_url + "/users")
    expect(on_new.get_by_test_id("flash-success")).to_contain_text("Every other device was signed out")
    shot(on_new, "08-password-changed")

    on_old.goto(web.base_url + "/users")
    expect(on_old).to_have_url(web.base_url + "/signin")
    sign_in(on_old, web, person["name"], PASSWORD)
    expect(on_old.get_by_test_id("flash-error")).to_be_visible()
    sign_in(on_old, web, person["name"], "a brand new passphrase")
    expect(on_old).to_have_url(web.base_url + "/users")
    old_device.close()
    new_device.close()


def launch_profile(playwright: Playwright, profile: Path) -> BrowserContext:
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )


@pytest.mark.parametrize("keep", [True, False], ids=["kept", "plain"])
def test_keep_me_signed_in_survives_a_browser_restart_and_a_plain_session_does_not(
    web: Server, playwright: Playwright, tmp_path: Path, keep: bool
) -> None:
    person = new_person()
    profile = tmp_path / "profile"  # a fresh user-data dir, kept across the restart
    browser = launch_profile(playwright, profile)
    page = browser.new_page()
    sign_up(page, web, person)
    page.click("header button:has-text('Sign out')")
    expect(page).to_have_url(web.base_url + "/signin")
    sign_in(page, web, person["name"], keep=keep)
    expect(page).to_have_url(web.base_url + "/users")
    browser.close()

    browser = launch_profile(playwright, profile)
    page = browser.new_page()
    page.goto(web.base_url + "/users")
    expected: Any = "/users" if keep else "/signin"
    expect(page).to_have_url(web.base_url + expected)
    shot(page, f"09-after-restart-{'kept' if keep else 'plain'}")
    browser.close()
