"""Log-in hardening: lockout, password rules, two-factor, session cookies (issue 2)."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiannuo.accounts import services
from jiannuo.core.errors import ServiceError


def _login(client, username, password, otp=""):
    return client.post(
        "/accounts/login/", {"username": username, "password": password, "otp_token": otp}
    )


def test_login_lands_on_the_to_do_list(cast):
    response = _login(Client(), "branch", "pw-for-tests-1")
    assert response.status_code == 302 and response["Location"] == "/todo/"


def test_wrong_password_is_refused(cast):
    response = _login(Client(), "branch", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


def test_lockout_after_repeated_failures(cast, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "branch", "wrong")
    # Even the right password is refused while the account is locked.
    response = _login(client, "branch", "pw-for-tests-1")
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower() or "锁定" in response.content.decode()


def test_two_factor_user_needs_the_code(cast):
    device = TOTPDevice.objects.create(user=cast.secretary_a, name="t", confirmed=True)
    client = Client()
    response = _login(client, "secretary_a", "pw-for-tests-1")
    assert response.status_code == 200  # asked for the code
    response = _login(client, "secretary_a", "pw-for-tests-1", otp="000000")
    assert response.status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down guessing after a wrong code
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    response = _login(client, "secretary_a", "pw-for-tests-1", otp=code)
    assert response.status_code == 302


def test_totp_set_up_confirms_with_a_valid_code(cast):
    device = services.totp_start(actor=cast.deputy_a)
    with pytest.raises(ServiceError):
        services.totp_confirm(actor=cast.deputy_a, device=device, token="123456")
    device.refresh_from_db()
    device.throttle_reset()
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    services.totp_confirm(actor=cast.deputy_a, device=device, token=code)
    assert TOTPDevice.objects.filter(user=cast.deputy_a, confirmed=True).count() == 1


@pytest.mark.parametrize("password", ["short1", "onlyletterslong", "1234567890123", "password123"])
def test_password_rules(cast, password):
    with pytest.raises(ServiceError) as exc:
        services.user_create(
            actor=cast.district,
            username="new",
            password=password,
            unit=cast.district.roles.first().unit,
        )
    assert exc.value.code == "password"


def test_a_good_password_is_accepted_and_audited(cast, tree):
    from jiannuo.core.models import AuditEntry

    user = services.user_create(
        actor=cast.district, username="newcomer", password="Qingshan2026x", unit=tree.district
    )
    assert user.check_password("Qingshan2026x")
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_township_cannot_create_accounts_in_another_township(cast, tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=cast.secretary_b, username="x", password="Qingshan2026x", unit=tree.a1
        )


def test_session_cookie_is_http_only(cast):
    client = Client()
    _login(client, "branch", "pw-for-tests-1")
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
