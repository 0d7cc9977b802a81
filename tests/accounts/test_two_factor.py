"""Two-factor log-in is required for decision roles when JIANNUO_TWO_FACTOR_REQUIRED is on
(the default in production): enrolment, the code at log-in, refusal without it (issue #12)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiannuo.accounts import twofactor

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"


@pytest.fixture
def required(settings):
    settings.JIANNUO_TWO_FACTOR_REQUIRED = True


def code_for(device):
    device.refresh_from_db()
    device.throttle_reset()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(username, otp=""):
    c = Client()
    r = c.post(
        reverse("accounts:login"), {"username": username, "password": PASSWORD, "otp_token": otp}
    )
    return c, r


def test_the_default_is_on_in_production_and_off_in_the_demo(monkeypatch):
    import importlib

    import jiannuo.settings as s

    monkeypatch.delenv("JIANNUO_TWO_FACTOR_REQUIRED", raising=False)
    monkeypatch.setenv("JIANNUO_ENV", "demo")
    assert importlib.reload(s).JIANNUO_TWO_FACTOR_REQUIRED is False
    monkeypatch.setenv("JIANNUO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("AUDIT_KEY", "k" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://jiannuo.example")
    monkeypatch.setenv("ALLOWED_HOSTS", "jiannuo.example")
    assert importlib.reload(s).JIANNUO_TWO_FACTOR_REQUIRED is True
    monkeypatch.setenv("JIANNUO_ENV", "demo")
    importlib.reload(s)


@pytest.mark.parametrize("who", ["secretary_a", "deputy_a", "assessor_a", "district"])
def test_a_decision_role_without_the_second_factor_is_refused(cast, tree, required, who):
    c, r = login(who)
    assert r.status_code == 302  # the password is right…
    # …but every page sends them to enrol, and the API refuses the session.
    r = c.get(reverse("accountability:index"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:security"))
    assert c.get(reverse("core:todo")).status_code == 302
    assert c.get("/api/v1/accountability/cases").status_code == 403
    page = c.get(reverse("accounts:security"))
    assert page.status_code == 200 and 'id="two-factor-required"' in page.content.decode()


@pytest.mark.parametrize("who", ["staff_a", "branch", "voter"])
def test_other_roles_are_not_held_to_it(cast, required, who):
    c, _r = login(who)
    assert c.get(reverse("core:todo")).status_code == 200


def test_enrolment_on_the_security_page_opens_the_session(cast, required):
    c, _r = login("deputy_a")
    r = c.post(reverse("accounts:totp_start"), {"next": "/accountability/"})
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert 'id="totp-secret"' in page and "<svg" in page
    device = TOTPDevice.objects.get(user=cast.deputy_a, confirmed=False)
    # A wrong code is refused and the session stays closed.
    r = c.post(reverse("accounts:security"), {"token": "000000", "next": "/accountability/"})
    assert r.status_code == 400
    assert c.get(reverse("core:todo")).status_code == 302
    r = c.post(
        reverse("accounts:security"), {"token": code_for(device), "next": "/accountability/"}
    )
    assert r.status_code == 302 and r["Location"] == "/accountability/"
    assert c.get(reverse("core:todo")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_with_a_device_the_log_in_needs_the_code(cast, required):
    device = TOTPDevice.objects.create(user=cast.secretary_a, name="t", confirmed=True)
    _c, r = login("secretary_a")
    assert r.status_code == 200  # asked for the code
    c, r = login("secretary_a", otp=code_for(device))
    assert r.status_code == 302
    assert c.get(reverse("accountability:index")).status_code == 200


def test_a_session_from_before_enrolment_verifies_on_the_security_page(cast, required):
    device = TOTPDevice.objects.create(user=cast.district, name="t", confirmed=True)
    c = Client()
    c.force_login(cast.district)  # an old session, not verified
    assert c.get(reverse("core:todo")).status_code == 302
    r = c.post(reverse("accounts:security"), {"token": code_for(device)})
    assert r.status_code == 302
    assert c.get(reverse("core:todo")).status_code == 200


def test_off_the_demo_logs_in_with_the_password_alone(cast, settings):
    settings.JIANNUO_TWO_FACTOR_REQUIRED = False
    assert not twofactor.required_for(cast.deputy_a)
    c, _r = login("deputy_a")
    assert c.get(reverse("accountability:index")).status_code == 200
