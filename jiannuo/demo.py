"""The demo district: realistic, deterministic, built through the same service functions.

Each later step adds its own part through ``STEPS`` (called in process order).

The demo tells its story in time (issue #14), relative to ``today`` (default: today's
Asia/Shanghai date). The *current year* Y is today's year once its signing season is over —
from 1 March on; in January and February it is still the year before (its year-end evaluation
under way). Y's opinions are gathered in January, its letters agreed and approved in early
February and signed on 20 February; progress follows through the year up to today. The
*previous year* Y-1 is closed: its letters were signed on 20 February Y-1 and its results
confirmed in December Y-1. The term runs from Y-5 to Y. Timestamps the services stamp at load
time are then moved to the story's dates (``_restamp``): this is demo data, not a service write.
"""

from __future__ import annotations

import importlib
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from jiannuo.accounts import services as accounts
from jiannuo.core import roles
from jiannuo.core.excel import workbook
from jiannuo.core.system import system_user
from jiannuo.organisation import roster
from jiannuo.organisation import services as org
from jiannuo.organisation.models import Person, Post, Unit

PASSWORD = "jiannuo2026"
#: The current year's story is complete (letters signed on 20 February) from this day on.
SEASON_OVER = (3, 1)
SIGNING_DAY = (2, 20)


def current_year(today: date) -> int:
    """The demo's current year: today's year from 1 March on, else the year before."""
    return today.year if (today.month, today.day) >= SEASON_OVER else today.year - 1


@dataclass(frozen=True)
class Clock:
    """The demo's 'today' and the years derived from it."""

    today: date

    @property
    def year(self) -> int:
        return current_year(self.today)

    @property
    def closed(self) -> int:
        return self.year - 1

    @property
    def term_start(self) -> date:
        return date(self.year - 5, 1, 1)

    def day(self, d: date) -> date:
        """``d``, or today when ``d`` is later (nothing in the demo happens in the future)."""
        return min(d, self.today)

    def at(self, d: date, hour: int = 9, minute: int = 0) -> datetime:
        """An aware moment on ``d`` (Asia/Shanghai), never after now."""
        moment = timezone.make_aware(datetime.combine(self.day(d), time(hour, minute)))
        return min(moment, self.now())

    def now(self) -> datetime:
        """Now, or the end of the working day of ``today`` when the demo is built for another
        day."""
        real = timezone.now()
        if self.today >= timezone.localdate(real):
            return real
        return timezone.make_aware(datetime.combine(self.today, time(17, 30)))


_CLOCK: list[Clock] = []


def clock() -> Clock:
    """The clock of the demo being built (today's, outside a build)."""
    return _CLOCK[-1] if _CLOCK else Clock(timezone.localdate())


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN_M = "建国 建华 国强 志强 海涛 永红 德明 振华 立新 文斌 春生 长青 光明 玉林 金山 宝林 学军 卫东 铁柱 满仓 庆丰 志刚 红军 保国 树林 清泉 大勇 占山 庆华 少华".split()
GIVEN_F = "秀英 桂兰 玉梅 丽华 春燕 红霞 翠花 淑珍 美玲 海燕 晓梅 彩云 素芬 凤英 秋菊 金凤 爱华 月娥 雪梅 丽娟".split()

# (township, type, code, [villages]); the last village of 东湖街道 has no supervision committee.
TOWNSHIPS = [
    ("石桥镇", Unit.TOWN, "SQ", ["柳树村", "王家庄村", "河口村"]),
    ("东湖街道", Unit.SUBDISTRICT, "DH", ["东湖村", "杏花村", "桃园村"]),
]
NO_SUPERVISION = "桃园村"
#: Villages whose party organisation is not a branch (a large village keeps a 党总支).
PARTY_ORGS = {"东湖村": Unit.GENERAL_BRANCH}
DUAL_POST = "王家庄村"  # the branch secretary is also committee director (一肩挑)

# user name, role label: printed by ``jiannuo demo``.
LOGINS = [
    ("district", "区委组织部管理员 (district administrator)"),
    ("sq_secretary", "石桥镇党委书记 (township party secretary)"),
    ("sq_deputy", "石桥镇党委副书记 (township deputy secretary)"),
    ("sq_staff", "石桥镇工作人员 (township staff)"),
    ("sq_assessor", "石桥镇考核组成员 (assessment group member)"),
    ("liushu_sec", "柳树村党支部书记 (branch secretary)"),
    ("liushu_dir", "柳树村村委会主任 (committee director)"),
    ("liushu_member", "柳树村班子成员 (team member)"),
    ("liushu_super", "柳树村村务监督委员会 (supervision committee)"),
    ("liushu_rep", "柳树村村民代表 (voter)"),
    ("dh_secretary", "东湖街道党工委书记 (subdistrict party secretary)"),
]


_HASH: dict[str, str] = {}


class Names:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def person(self) -> tuple[str, str]:
        while True:
            gender = "M" if self.rng.random() < 0.68 else "F"
            given = self.rng.choice(GIVEN_M if gender == "M" else GIVEN_F)
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used:
                self.used.add(name)
                return name, gender

    def phone(self) -> str:
        return (
            "1" + self.rng.choice("3589") + "".join(self.rng.choice("0123456789") for _ in range(9))
        )


def _village_rows(township: str, village: str, names: Names) -> list[list]:
    rows = []
    term_start = clock().term_start

    def add(post, name, gender, phone, start=term_start, end=None, birth=None):
        rows.append(
            [
                township,
                village,
                name,
                "男" if gender == "M" else "女",
                (
                    birth
                    or date(
                        names.rng.randint(1960, 1992),
                        names.rng.randint(1, 12),
                        names.rng.randint(1, 28),
                    )
                ).isoformat(),
                phone,
                roster.POST_NAMES[post],
                start.isoformat(),
                end.isoformat() if end else "",
            ]
        )

    def person(post, **kw):
        name, gender = names.person()
        phone = names.phone()
        birth = date(
            names.rng.randint(1962, 1990), names.rng.randint(1, 12), names.rng.randint(1, 28)
        )
        add(post, name, gender, phone, birth=birth, **kw)
        return name, gender, phone, birth

    sec = person(Post.BRANCH_SECRETARY)
    add(Post.PARTY_MEMBER, sec[0], sec[1], sec[2], birth=sec[3])
    if village == DUAL_POST:
        add(Post.COMMITTEE_DIRECTOR, sec[0], sec[1], sec[2], birth=sec[3])
    else:
        director = person(Post.COMMITTEE_DIRECTOR)
        add(Post.PARTY_MEMBER, director[0], director[1], director[2], birth=director[3])
    deputy = person(Post.BRANCH_DEPUTY)
    add(Post.PARTY_MEMBER, deputy[0], deputy[1], deputy[2], birth=deputy[3])
    bm = person(Post.BRANCH_MEMBER)
    add(Post.PARTY_MEMBER, bm[0], bm[1], bm[2], birth=bm[3])
    person(Post.COMMITTEE_DEPUTY)
    # A mid-term replacement: one committee member left in Y-3, a successor took over.
    if village == "柳树村":
        mid = term_start.year + 2
        person(Post.COMMITTEE_MEMBER, end=date(mid, 6, 30))
        person(Post.COMMITTEE_MEMBER, start=date(mid, 7, 1))
    else:
        person(Post.COMMITTEE_MEMBER)
    person(Post.COMMITTEE_MEMBER)
    if village != NO_SUPERVISION:
        person(Post.SUPERVISION_CHAIR)
        person(Post.SUPERVISION_MEMBER)
        person(Post.SUPERVISION_MEMBER)
    for _ in range(9):
        person(Post.REPRESENTATIVE)
    for _ in range(12):
        person(Post.PARTY_MEMBER, start=date(names.rng.randint(1985, 2020), 7, 1))
    return rows


def _upload(rows) -> io.BytesIO:
    data = workbook("花名册", roster.HEADERS, rows)
    buf = io.BytesIO(data)
    buf.size = len(data)
    return buf


def _hash() -> str:
    if "hash" not in _HASH:
        _HASH["hash"] = make_password(PASSWORD)  # hashed once: PBKDF2 is slow on purpose
    return _HASH["hash"]


def _official(actor, username, full_name, name, phone, *, unit, role):
    """A township or district official: a person on the unit's roster, an account, a grant."""
    return accounts.official_create(
        actor=actor,
        unit=unit,
        role=role,
        name=name,
        phone=phone,
        username=username,
        password=PASSWORD,
        full_name=full_name,
        password_hash=_hash(),
    ).user


def _user(actor, username, full_name, *, unit=None, person=None, role=None):
    user = accounts.user_create(
        actor=actor,
        username=username,
        password=PASSWORD,
        full_name=full_name,
        unit=unit,
        person=person,
        password_hash=_hash(),
    )
    if role:
        accounts.role_assign(actor=actor, user=user, role=role, unit=unit)
    return user


def _holder(village: Unit, kind: str, nth: int = 0) -> Person:
    posts = (
        Post.objects.filter(village=village, kind=kind, end__isnull=True)
        .select_related("person")
        .order_by("start", "id")
    )
    return posts[nth].person


def load_organisation() -> dict:
    actor = system_user()
    district = org.unit_create(actor=actor, kind=Unit.DISTRICT, name="青山区", code="QS")
    year = clock().year
    org.term_create(
        actor=actor,
        district=district,
        name=f"{year - 5}—{year}年届",
        start=clock().term_start,
        end=date(year, 12, 31),
    )
    names = Names(20261125)
    units = {"district": district}
    for t_name, t_type, t_code, villages in TOWNSHIPS:
        township = org.unit_create(
            actor=actor,
            kind=Unit.TOWNSHIP,
            name=t_name,
            code=t_code,
            parent=district,
            township_type=t_type,
        )
        units[t_name] = township
        rows = []
        for i, v_name in enumerate(villages, start=1):
            units[v_name] = org.unit_create(
                actor=actor,
                kind=Unit.VILLAGE,
                name=v_name,
                code=f"{t_code}{i:02d}",
                parent=township,
                party_org=PARTY_ORGS.get(v_name, Unit.BRANCH),
            )
            rows += _village_rows(t_name, v_name, names)
        org.roster_import(actor=actor, unit=township, upload=_upload(rows))

    sq, dh, liushu = units["石桥镇"], units["东湖街道"], units["柳树村"]
    # Township and district officials are people on their unit's roster of officials; the
    # system account (a superuser) stands in for the level above the district.
    for username, full_name, name, phone, unit, role in [
        ("district", "区委组织部 周明", "周明", "13700000001", district, roles.DISTRICT_ADMIN),
        (
            "sq_secretary",
            "石桥镇党委书记 陈立",
            "陈立",
            "13700000002",
            sq,
            roles.TOWNSHIP_SECRETARY,
        ),
        ("sq_deputy", "石桥镇党委副书记 林芳", "林芳", "13700000003", sq, roles.TOWNSHIP_DEPUTY),
        ("sq_staff", "石桥镇组织委员 黄涛", "黄涛", "13700000004", sq, roles.TOWNSHIP_STAFF),
        ("sq_assessor", "石桥镇考核组 马骏", "马骏", "13700000005", sq, roles.ASSESSOR),
        (
            "dh_secretary",
            "东湖街道党工委书记 郑岚",
            "郑岚",
            "13700000006",
            dh,
            roles.TOWNSHIP_SECRETARY,
        ),
    ]:
        _official(actor, username, full_name, name, phone, unit=unit, role=role)
    cadres = [
        ("liushu_sec", Post.BRANCH_SECRETARY, 0),
        ("liushu_dir", Post.COMMITTEE_DIRECTOR, 0),
        ("liushu_member", Post.COMMITTEE_DEPUTY, 0),
        ("liushu_super", Post.SUPERVISION_CHAIR, 0),
        ("liushu_rep", Post.REPRESENTATIVE, 0),
    ]
    for username, kind, nth in cadres:
        person = _holder(liushu, kind, nth)
        _user(actor, username, person.name, unit=liushu, person=person)
    # Every other village's secretary can log in too (user name: village code, lower case).
    for v_name in [v for _t, _ty, _c, vs in TOWNSHIPS for v in vs if v != "柳树村"]:
        village = units[v_name]
        _user(
            actor,
            village.code.lower() + "_sec",
            _holder(village, Post.BRANCH_SECRETARY).name,
            unit=village,
            person=_holder(village, Post.BRANCH_SECRETARY),
        )
    return units


# Each step may ship ``jiannuo/<step>/demo.py`` with ``load(units: dict) -> None``; they run in
# process order after the organisation, each building on what the steps before it made.
STEPS = [
    "opinions",
    "pledges",
    "signing",
    "bulletin",
    "supervision",
    "evaluation",
    "accountability",
    "reports",
]


@transaction.atomic
def load(today: date | None = None) -> dict:
    """Build the demo district as it stands on ``today`` (default: today in Asia/Shanghai)."""
    _CLOCK.append(Clock(today or timezone.localdate()))
    try:
        units = load_organisation()
        for step in STEPS:
            try:
                module = importlib.import_module(f"jiannuo.{step}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"jiannuo.{step}.demo":
                    raise
                continue
            module.load(units)
            _restamp(clock())  # later steps see the story's dates (e.g. the signing day)
    finally:
        _CLOCK.pop()
    return units


def _restamp(c: Clock) -> None:
    """Move the moments the services stamped at load time to the story's dates (issue #14)."""
    from jiannuo.accountability.models import Case
    from jiannuo.evaluation.models import Round, Tally, Verdict, YearResult
    from jiannuo.pledges.models import Letter, LetterVersion
    from jiannuo.signing.models import (
        Attendance,
        Ceremony,
        Custody,
        LetterVote,
        Signature,
        SignedLetter,
    )
    from jiannuo.supervision.models import (
        Adjustment,
        Evidence,
        Inspection,
        InspectionFinding,
        ItemState,
        Progress,
    )

    for year in (c.closed, c.year):
        signing = date(year, *SIGNING_DAY)
        letters = Letter.objects.filter(year=year)
        letters.update(created_at=c.at(date(year, 1, 20)))
        letters.filter(approved_at__isnull=False).update(approved_at=c.at(signing - timedelta(4)))
        versions = LetterVersion.objects.filter(letter__year=year)
        versions.update(created_at=c.at(date(year, 1, 20)))
        for field, day in [
            ("tabled_at", date(year, 2, 2)),
            ("joint_meeting_at", date(year, 2, 5)),
            ("consulted_at", date(year, 2, 12)),
            ("submitted_at", date(year, 2, 13)),
            ("decided_at", signing - timedelta(4)),
        ]:
            versions.filter(**{f"{field}__isnull": False}).update(**{field: c.at(day)})
        Ceremony.objects.filter(year=year).update(
            scheduled_at=c.at(signing), created_at=c.at(date(year, 2, 17)),
            held_at=c.at(signing), closed_at=c.at(signing, 11, 30),
        )  # fmt: skip
        Attendance.objects.filter(ceremony__year=year).update(at=c.at(signing, 9, 5))
        LetterVote.objects.filter(ceremony__year=year).update(at=c.at(signing, 10))
        Signature.objects.filter(signed_letter__letter__year=year).update(at=c.at(signing, 10, 30))
        signed = SignedLetter.objects.filter(letter__year=year)
        signed.update(created_at=c.at(signing, 10, 30))
        signed.filter(signed_at__isnull=False).update(signed_at=c.at(signing, 10, 30))
        signed.filter(published_at__isnull=False).update(published_at=c.at(signing, 11))
        Custody.objects.filter(signed_letter__letter__year=year, receipt_at__isnull=False).update(
            receipt_at=c.at(signing + timedelta(1), 15)
        )

    # The current year's opinions were gathered in January, its meetings recorded on their day.
    from jiannuo.bulletin.models import PosterPosting
    from jiannuo.opinions.models import (
        ConsultationMeeting,
        HotIssue,
        HouseholdVisit,
        Opinion,
        TownshipTask,
    )
    from jiannuo.pledges.models import Consultation, JointMeeting

    y = c.year
    TownshipTask.objects.filter(year=y).update(issued_at=c.at(date(y, 1, 5)))
    Opinion.objects.filter(year=y).update(created_at=c.at(date(y, 1, 16), 17))
    for model in (ConsultationMeeting, HouseholdVisit):
        for pk, day in model.objects.filter(date__year=y).values_list("pk", "date"):
            model.objects.filter(pk=pk).update(created_at=c.at(day, 17))
    HotIssue.objects.filter(year=y).update(created_at=c.at(date(y, 1, 20)))
    HotIssue.objects.filter(year=y, decided_at__isnull=False).update(
        decided_at=c.at(date(y, 1, 25))
    )
    for model in (JointMeeting, Consultation):
        for pk, day in model.objects.filter(year=y).values_list("pk", "date"):
            model.objects.filter(pk=pk).update(recorded_at=c.at(day, 17))
    for pk, day in PosterPosting.objects.values_list("pk", "posted_on"):
        PosterPosting.objects.filter(pk=pk).update(recorded_at=c.at(day, 17))

    # The closed year: evaluated in November and December, results confirmed on 20 December.
    closed = c.closed
    Verdict.objects.filter(year=closed).update(recorded_at=c.at(date(closed, 12, 5)))
    Round.objects.filter(year=closed).update(
        created_at=c.at(date(closed, 12, 1)), opened_at=c.at(date(closed, 12, 8)),
    )  # fmt: skip
    Round.objects.filter(year=closed, closed_at__isnull=False).update(
        closed_at=c.at(date(closed, 12, 8), 17)
    )
    Tally.objects.filter(round__year=closed).update(entered_at=c.at(date(closed, 12, 10)))
    Tally.objects.filter(round__year=closed, confirmed_at__isnull=False).update(
        confirmed_at=c.at(date(closed, 12, 12))
    )
    YearResult.objects.filter(year=closed, confirmed_at__isnull=False).update(
        confirmed_at=c.at(date(closed, 12, 20), 16)
    )
    # The current year's year-end round, once it is open, was opened today.
    Round.objects.filter(year=c.year, opened_at__isnull=False).update(opened_at=c.now())
    # Progress through the current year, up to the supervision demo's day (never after today).
    from jiannuo.supervision import demo as supervision_demo
    from jiannuo.supervision.rules import FULFILLED

    year, last = c.year, supervision_demo.day()
    start = date(year, *SIGNING_DAY) + timedelta(30)
    reports: dict[int, list] = {}
    for p in Progress.objects.filter(state__letter__year=year).select_related("item"):
        reports.setdefault(p.state_id, []).append(p)
    for state_id, rows in reports.items():
        rows.sort(key=lambda p: p.pk)
        end = last
        if rows[-1].status == FULFILLED and rows[-1].item.deadline:
            end = min(rows[-1].item.deadline - timedelta(3), last)
        end = max(end, start)
        for n, p in enumerate(rows, start=1):
            day = start + (end - start) * n // len(rows)
            Progress.objects.filter(pk=p.pk).update(recorded_at=c.at(day, 16))
            Evidence.objects.filter(progress=p).update(uploaded_at=c.at(day, 16))
        moment = c.at(day, 16)
        ItemState.objects.filter(pk=state_id).update(updated_at=moment)
        ItemState.objects.filter(pk=state_id, public_at__isnull=False).update(public_at=moment)
    for insp in Inspection.objects.filter(village__isnull=False, date__year=year):
        Inspection.objects.filter(pk=insp.pk).update(created_at=c.at(insp.date, 17))
        findings = InspectionFinding.objects.filter(inspection=insp)
        findings.filter(responded_at__isnull=False).update(
            responded_at=c.at(insp.date + timedelta(7), 10)
        )
        findings.filter(signed_off_at__isnull=False).update(
            signed_off_at=c.at(insp.date + timedelta(10), 15)
        )
    Adjustment.objects.filter(state_row__letter__year=year).update(requested_at=c.at(last, 11))
    del Case  # cases carry the moments the accountability demo passed in (``clock().now()``)
