"""The public ceremony check-in resists guessing (issue #12.4: 9,318 guesses of a
representative's four phone digits went through in 54 s).

The second factor is now the full phone number as on the roster; failures are throttled per
name, per client address and per ceremony, and a locked name stays locked even for the right
number. The branch's paper sign-in is never throttled."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiannuo.core.clients import parse_networks
from jiannuo.signing import services
from jiannuo.signing.models import Attendance

pytestmark = pytest.mark.django_db


def post(client, ceremony, name, phone, ip="198.51.100.1"):
    return client.post(
        f"/api/v1/signing/checkin/{ceremony.checkin_code}",
        json.dumps({"name": name, "phone": phone}),
        content_type="application/json",
        HTTP_X_FORWARDED_FOR=ip,
    )


@pytest.fixture(autouse=True)
def _behind_proxy(settings):
    settings.TRUSTED_PROXIES = parse_networks("127.0.0.1")


def test_guessing_a_representatives_number_locks_the_name(ceremony, cast):
    person = cast.branch_person
    client = Client()
    wrong = [f"1370000{n:04d}" for n in range(services.CHECKIN_FAILURES_PER_NAME)]
    assert person.phone not in wrong
    for guess in wrong:
        r = post(client, ceremony, person.name, guess)
        assert r.status_code == 400 and r.json()["code"] == "no_match"
    # Locked: the right number from a fresh device is refused too, and nothing is saved.
    r = post(Client(), ceremony, person.name, person.phone, ip="198.51.100.2")
    assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
    assert not Attendance.objects.filter(person=person).exists()
    # The branch checks the person in on paper.
    services.attendance_checkin(actor=cast.branch, ceremony=ceremony, person=person)
    assert Attendance.objects.get(person=person).via == Attendance.PAPER


def test_one_client_is_stopped_after_a_few_failures_over_many_names(ceremony, cast):
    client = Client()
    for n in range(services.CHECKIN_FAILURES_PER_CLIENT):
        assert post(client, ceremony, f"某人{n}", "13700009999").status_code == 400
    person = cast.branch_person
    r = post(client, ceremony, person.name, person.phone)
    assert r.status_code == 429
    # Another villager (another address behind the same proxy) is not affected.
    r = post(Client(), ceremony, person.name, person.phone, ip="198.51.100.77")
    assert r.status_code == 201


def test_many_clients_guessing_pause_the_qr_check_in_of_the_ceremony(ceremony, cast):
    for n in range(services.CHECKIN_FAILURES_PER_CODE):
        ip = f"198.51.{n // 200}.{n % 200 + 1}"
        assert post(Client(), ceremony, f"某人{n}", "13700009999", ip=ip).status_code == 400
    person = cast.branch_person
    r = post(Client(), ceremony, person.name, person.phone, ip="203.0.113.1")
    assert r.status_code == 429 and not Attendance.objects.filter(person=person).exists()


def test_the_last_four_digits_no_longer_check_anyone_in(ceremony, cast):
    person = cast.branch_person
    r = post(Client(), ceremony, person.name, person.phone[-4:])
    assert r.status_code == 400 and r.json()["code"] == "identify"
    r = post(Client(), ceremony, person.name, person.phone)
    assert r.status_code == 201 and Attendance.objects.get(person=person).via == Attendance.QR


def test_the_page_answers_429_when_locked(ceremony, cast, client):
    url = f"/signing/checkin/{ceremony.checkin_code}/"
    person = cast.branch_person
    for _ in range(services.CHECKIN_FAILURES_PER_NAME):
        r = client.post(url, {"name": person.name, "phone": "13000000000"})
        assert r.status_code == 400
    r = client.post(url, {"name": person.name, "phone": person.phone})
    assert r.status_code == 429 and 'id="done"' not in r.text


def test_unknown_codes_count_against_the_client(ceremony, cast):
    client = Client()
    for n in range(services.CHECKIN_FAILURES_PER_CLIENT):
        r = client.post(
            f"/api/v1/signing/checkin/guess{n}",
            json.dumps({"name": "某人", "phone": "13700009999"}),
            content_type="application/json",
            HTTP_X_FORWARDED_FOR="198.51.100.9",
        )
        assert r.status_code == 400 and r.json()["code"] == "unknown_code"
    person = cast.branch_person
    assert post(client, ceremony, person.name, person.phone, ip="198.51.100.9").status_code == 429
