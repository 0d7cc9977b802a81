"""Two-factor log-in for a decision role in a real browser (issue #12 part 3): the township
deputy secretary logs in with the password, is held on the security page, enrols an
authenticator and only then reaches the accountability pages; the next log-in needs the code."""

import base64

from django_otp.oath import totp
from playwright.sync_api import expect


def _code(secret: str) -> str:
    return f"{totp(base64.b32decode(secret)):06d}"


def test_a_deputy_enrols_and_is_refused_until_then(live_server, page, cast, settings):
    settings.JIANNUO_TWO_FACTOR_REQUIRED = True
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "deputy_a")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/security/**")
    expect(page.locator("#two-factor-required")).to_be_visible()
    # Any other page sends the deputy back here.
    page.goto(live_server.url + "/accountability/")
    page.wait_for_url("**/accounts/security/**")
    page.get_by_role("button", name="设置双因素登录").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("input[name=token]", "000000")
    page.get_by_role("button", name="开启").click()
    expect(page.locator(".errorlist")).to_be_visible()
    page.wait_for_timeout(2100)  # django-otp slows down guessing after a wrong code
    page.fill("input[name=token]", _code(secret))
    page.get_by_role("button", name="开启").click()
    page.wait_for_url("**/accountability/")
    expect(page.locator("h1")).to_contain_text("责任追究")
    # Log out; the next log-in asks for the code.
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "deputy_a")
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("button[type=submit]")
    expect(page.locator("form.card")).to_contain_text("请输入身份验证器应用显示的 6 位验证码")
    assert "/accounts/login/" in page.url
