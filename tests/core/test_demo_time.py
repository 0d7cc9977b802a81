"""The demo tells its story in time (issue #14): whatever day it is built on, the current
year's letters were signed that spring, progress follows up to today, deadlines come after the
signing, and the previous year is closed with results confirmed in its December — so nothing of
the closed year nags in a to-do list. One demo build per chosen day (a build is slow)."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import resolve, reverse
from django.utils import timezone

from jiannuo.core.todo import items_for
from jiannuo.demo import current_year, load
from jiannuo.evaluation.models import YearResult
from jiannuo.opinions.models import Opinion
from jiannuo.pledges.models import JointMeeting, Letter, PledgeItem
from jiannuo.signing.models import Signature, SignedLetter
from jiannuo.supervision.models import Adjustment, Inspection, InspectionFinding, Progress
from jiannuo.supervision.todo import supervision_items


def _local(moment) -> date:
    return timezone.localdate(moment)


def _todo_letters(user, today) -> set[int]:
    """Letters the user's to-do items (and supervision reminders as of ``today``) point at."""
    out = set()
    for item in [*items_for(user), *supervision_items(user, today=today)]:
        kwargs = resolve(item.url.split("?")[0]).kwargs
        if "letter_id" in kwargs:
            out.add(int(kwargs["letter_id"]))
    return out


def _check_story(today: date) -> int:
    year = current_year(today)
    closed = year - 1
    # Nothing stamped after today.
    moments = [
        *Signature.objects.values_list("at", flat=True),
        *SignedLetter.objects.exclude(signed_at=None).values_list("signed_at", flat=True),
        *Letter.objects.exclude(approved_at=None).values_list("approved_at", flat=True),
        *Progress.objects.values_list("recorded_at", flat=True),
        *YearResult.objects.exclude(confirmed_at=None).values_list("confirmed_at", flat=True),
        *Opinion.objects.values_list("created_at", flat=True),
        *JointMeeting.objects.values_list("recorded_at", flat=True),
        *Inspection.objects.values_list("created_at", flat=True),
    ]
    assert moments and max(_local(m) for m in moments) <= today
    # Both years' letters were signed in spring (February to May) of their year.
    signed = SignedLetter.objects.exclude(signed_at=None).select_related("letter")
    years = {s.letter.year for s in signed}
    assert {closed, year} <= years
    for s in signed:
        day = _local(s.signed_at)
        assert day.year == s.letter.year and 2 <= day.month <= 5, (s.letter, day)
    # Every item's deadline comes after its letter's signing.
    signed_on = {s.letter_id: _local(s.signed_at) for s in signed}
    items = PledgeItem.objects.filter(
        letter_version__letter_id__in=signed_on, deadline__isnull=False
    ).values_list("letter_version__letter_id", "deadline")
    assert items
    for letter_id, deadline in items:
        assert deadline > signed_on[letter_id]
    # The closed year's results were confirmed in its December.
    confirmed = YearResult.objects.filter(year=closed, state=YearResult.CONFIRMED)
    assert confirmed.exists()
    for r in confirmed:
        assert (_local(r.confirmed_at).year, _local(r.confirmed_at).month) == (closed, 12)
    # No item of the closed year in anybody's to-do list or reminders.
    closed_letters = set(Letter.objects.filter(year=closed).values_list("pk", flat=True))
    for user in get_user_model().objects.filter(is_active=True, is_superuser=False):
        assert not _todo_letters(user, today) & closed_letters, user.username
    return year


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today, year",
    [(date(2026, 12, 7), 2026), (date(2026, 6, 15), 2026), (date(2026, 2, 10), 2025)],
)
def test_demo_story_in_time(settings, tmp_path, today, year):
    settings.MEDIA_ROOT = tmp_path / "media"
    load(today=today)
    assert _check_story(today) == year


@pytest.mark.django_db
def test_closed_year_findings_and_adjustments_leave_the_todo_lists(settings, tmp_path):
    """Issue #14: once a year's results are confirmed, its open rectifications and adjustment
    requests stop nagging the village, the township staff and the deputy secretary."""
    settings.MEDIA_ROOT = tmp_path / "media"
    units = load(today=date(2026, 12, 7))
    users = {u.username: u for u in get_user_model().objects.all()}
    village = units["柳树村"]
    assert InspectionFinding.objects.filter(village=village, state="open").exists()
    assert Adjustment.objects.filter(village=village, state="requested").exists()

    def titles(name):
        return [str(i.title) for i in supervision_items(users[name], today=date(2026, 12, 7))]

    def nagging():
        return (
            [t for t in titles("liushu_sec") if "整改" in t or "Rectify" in t],
            [t for t in titles("sq_staff") if "整改" in t or "rectification" in t],
            [t for t in titles("sq_deputy") if "调整" in t or "adjustment" in t],
        )

    before = nagging()
    assert all(before), before
    letter = Letter.objects.filter(village=village, year=2026).first()
    YearResult.objects.create(
        village=village,
        term=letter.term,
        year=2026,
        state=YearResult.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    assert nagging() == ([], [], [])


@pytest.mark.django_db
def test_a_signature_at_0339_beijing_time_is_shown_on_its_beijing_date(settings, tmp_path):
    """Issue #14: a signature at 03:39 on 20 February in Beijing (19:39 UTC on the 19th) is
    shown as the 20th on the signed letter, the village board, custody and the to-do list."""
    from django.test import Client

    from jiannuo.bulletin.models import PosterPosting
    from jiannuo.signing.models import Custody

    settings.MEDIA_ROOT = tmp_path / "media"
    units = load(today=date(2026, 12, 7))
    village = units["柳树村"]
    at = datetime(2026, 2, 19, 19, 39, tzinfo=UTC)
    signed = SignedLetter.objects.filter(letter__village=village, letter__year=2026)
    signed.update(signed_at=at, published_at=at)
    Signature.objects.filter(signed_letter__in=signed).update(at=at)
    Custody.objects.filter(signed_letter__in=signed).update(receipt_at=at)
    PosterPosting.objects.filter(village=village).delete()  # the board poster is due again
    one = signed.order_by("pk").first()
    users = {u.username: u for u in get_user_model().objects.all()}

    def page(username, url):
        c = Client()
        if username:
            c.force_login(users[username])
        r = c.get(url)
        assert r.status_code == 200, url
        return r.content.decode()

    for username, url in [
        ("liushu_sec", reverse("signing:letter", args=[one.letter_id])),
        (None, reverse("bulletin:village", args=[village.code])),
        ("sq_staff", reverse("signing:custody") + f"?year=2026&village={village.pk}"),
    ]:
        html = page(username, url)
        assert "2026-02-20" in html and "2026-02-19" not in html, url
    details = [str(i.detail) for i in items_for(users["liushu_sec"]) if "2026-02" in str(i.detail)]
    assert details and all("2026-02-20" in d for d in details), details
