"""Demo data of the year-end step (§三.6, §四). ``YEAR`` is the demo's previous (closed) year
and "2026" its current one (``jiannuo.demo.clock``): a completed, confirmed 2025 in 石桥镇's villages
柳树村 and 王家庄村 with a mix of outcomes that shows every measure of §四, and a 2026 phone round
in progress in 柳树村.

The 2025 letters are made directly in their signed state, as ``tests/factories.py`` makes them
(the pledge and signing workflows are shown by their own demos for 2026); everything after
signing goes through this step's services.

Outcomes of 2025 (what the accountability step will propose):
- 柳树村 committee member: a work goal not met (不称职, §四.1), 40% satisfaction (below 50%:
  resignation, §四.3) and a discipline violation referred to the township discipline committee.
- 柳树村 committee director: a loss through dereliction under breach clause "2" (§四.2), a
  practical deed only partly done (pledges not met: yellow card) and 55% satisfaction (below 60%).
- 柳树村 branch secretary: an integrity pledge broken (notice of criticism, §四.4).
- 柳树村 team: a team pledge not fulfilled (pledges not met).
- 王家庄村 (一肩挑): team satisfaction 45% (below 50%: the secretary-director resigns).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from jiannuo.core.system import system_user
from jiannuo.organisation.models import Post, Term, Unit
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges.models import BreachClause, Letter, LetterVersion, PledgeItem
from jiannuo.pledges.selectors import content_hash, snapshot
from jiannuo.signing.models import SignedLetter

from . import services
from .models import FULFILLED, NOT_FULFILLED, PARTLY, Round, Voter

YEAR = 2025  # the demo's closed (previous) year, set by ``load``
VILLAGES = ("柳树村", "王家庄村")
ITEMS = {
    "work_goal": ("年内完成{}目标任务", "100%"),
    "good_deed": ("为群众办好{}实事一件", "1件"),
    "integrity": ("严守廉洁纪律，{}不违规收受礼金", "0起"),
    "guarantee": ("每季度向党员群众报告{}工作一次", "4次"),
}
CLAUSES = [
    ("1", "unmet_goals", "年度承诺目标未完成", "年度考核定为不称职，取消评先评优资格", None),
    ("2", "economic_loss", "因失职造成集体经济损失", "按损失额的10%承担赔偿责任", "10"),
    ("3", "low_satisfaction", "民主测评满意率低于60%", "给予黄牌警告", None),
]
_codes = itertools.count(1)


def _signed_letter(village, term, kind, post, responsible, topic):
    """One 2025 letter, signed and published on 2025-02-20, with one item per category."""
    letter = Letter.objects.create(
        village=village,
        term=term,
        year=YEAR,
        kind=kind,
        post=post,
        state=pledge_rules.APPROVED,
        approved_at=timezone.make_aware(datetime(YEAR, 2, 16, 9, 0)),
    )
    version = LetterVersion.objects.create(letter=letter, number=1, state=pledge_rules.APPROVED)
    for n, (category, (text, target)) in enumerate(ITEMS.items()):
        PledgeItem.objects.create(
            letter_version=version,
            code=str(n + 1),
            position=n,
            category=category,
            text=text.format(topic),
            target=target,
            deadline=date(YEAR, 3 * (n + 1), 28),
            responsible_post=responsible,
        )
    for n, (code, category, trigger, measure, share) in enumerate(CLAUSES):
        BreachClause.objects.create(
            letter_version=version,
            code=code,
            position=n,
            category=category,
            trigger=trigger,
            measure=measure,
            share_percent=Decimal(share) if share else None,
        )
    version.snapshot = snapshot(version)
    version.content_hash = content_hash(version.snapshot)
    version.save(update_fields=["snapshot", "content_hash"])
    when = timezone.make_aware(datetime(YEAR, 2, 20, 9, 0))
    return SignedLetter.objects.create(
        version=version,
        letter=letter,
        verify_code=f"E{YEAR}{next(_codes):06d}",
        content_hash=version.content_hash,
        signed_at=when,
        published_at=when,
    )


def _post(village, kind, nth=0):
    posts = Post.objects.filter(village=village, kind=kind, end__isnull=True).order_by(
        "start", "id"
    )
    return posts[nth] if posts.count() > nth else None


def _letters(village, term):
    secretary = _post(village, Post.BRANCH_SECRETARY)
    director = _post(village, Post.COMMITTEE_DIRECTOR)
    member = _post(village, Post.COMMITTEE_MEMBER)
    out = {"team": _signed_letter(village, term, Letter.TEAM, None, secretary, "村两委班子")}
    out["secretary"] = _signed_letter(village, term, Letter.SECRETARY, secretary, secretary, "党建")
    out["director"] = _signed_letter(village, term, Letter.MEMBER, director, director, "村务")
    out["member"] = _signed_letter(village, term, Letter.MEMBER, member, member, "分管")
    return out, {"secretary": secretary, "director": director, "member": member}


def _item(signed, category):
    return PledgeItem.objects.get(letter_version_id=signed.version_id, category=category)


def _paper_round(village, presiding, second, rates, year=None):
    """A paper round: everyone checks in, ballots issued to all present; ``rates`` maps a post
    id (None: the team) to the satisfied share in hundredths."""
    year = year or YEAR  # YEAR is set when the demo loads, not when this module is imported
    rnd = services.round_create(actor=presiding, village=village, year=year, method="paper")
    for voter in Voter.objects.filter(round=rnd):
        services.voter_checkin(actor=presiding, round=rnd, voter=voter)
    services.round_open(actor=presiding, round=rnd)
    services.round_close(actor=presiding, round=rnd)
    rnd.refresh_from_db()
    n = rnd.present
    for target in rnd.targets.all():
        pct = rates.get(target.post_id, 90)
        satisfied = n * pct // 100
        basic = 0
        abstain = 1 if n - satisfied > 1 else 0
        counts = {
            "satisfied": satisfied,
            "basically_satisfied": basic,
            "dissatisfied": n - satisfied - abstain,
            "abstain": abstain,
        }
        tally = services.tally_enter(
            actor=presiding, target=target, issued=n, returned=n, spoiled=0, counts=counts
        )
        services.tally_confirm(actor=second, tally=tally)
    return rnd


def load(units: dict) -> None:
    from jiannuo.demo import clock

    global YEAR
    YEAR = clock().closed
    villages = [units.get(name) for name in VILLAGES]
    if any(v is None for v in villages):
        return
    township = villages[0].parent
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["sq_secretary", "sq_staff", "sq_assessor", "liushu_super"]
        )
    }
    system = system_user()
    secretary_a = users.get("sq_secretary", system)
    staff = users.get("sq_staff", system)
    assessor = users.get("sq_assessor", system)
    presiding = {villages[0].pk: users.get("liushu_super", system), villages[1].pk: system}
    term = Term.objects.filter(district_id=township.district_id, start__year__lte=YEAR).first()
    if term is None:
        return

    services.group_create(
        actor=secretary_a,
        township=township,
        year=YEAR,
        name="第一考核组",
        members=[assessor] if assessor.pk != system.pk else [staff],
        villages=villages,
    )
    actor = assessor if assessor.pk != system.pk else staff
    liushu = villages[0]
    for village in villages:
        letters, posts = _letters(village, term)
        bad = {}
        if village == liushu:
            bad = {
                _item(letters["member"], "work_goal").pk: (NOT_FULFILLED, "dereliction"),
                _item(letters["director"], "good_deed").pk: (PARTLY, "other"),
                _item(letters["team"], "good_deed").pk: (NOT_FULFILLED, "dereliction"),
            }
        for signed in letters.values():
            for item in PledgeItem.objects.filter(letter_version_id=signed.version_id):
                verdict, reason = bad.get(item.pk, (FULFILLED, ""))
                services.verdict_record(
                    actor=actor,
                    item=item,
                    verdict=verdict,
                    reason=reason,
                    evidence="考核组查阅台账、实地查看" if verdict == FULFILLED else "未按期完成",
                )
        if village == liushu:
            services.loss_record(
                actor=actor,
                village=village,
                year=YEAR,
                amount="18600.00",
                cause="dereliction",
                breach_clause="2",
                description="村道硬化工程未经验收即支付尾款，返工造成集体损失",
                posts=[posts["director"]],
            )
            services.breach_record(
                actor=actor,
                village=village,
                year=YEAR,
                kind="integrity",
                post=posts["secretary"],
                description="违规接受施工方宴请",
            )
            services.breach_record(
                actor=actor,
                village=village,
                year=YEAR,
                kind="discipline",
                post=posts["member"],
                description="违规使用村集体资金",
                referred_to="石桥镇纪委",
            )
            rates = {None: 70, posts["member"].pk: 40, posts["director"].pk: 55}
        else:
            rates = {None: 45}
        _paper_round(
            village, presiding[village.pk], staff if staff.pk != system.pk else secretary_a, rates
        )
        services.results_confirm(actor=secretary_a, village=village, year=YEAR)

    _phone_round_2026(liushu, presiding[liushu.pk])


#: The demo round's unspent voting codes, one a line: the "slips" not yet handed out. The
#: database keeps only digests, so this file is the only way to try the phone ballot.
CODES_FILE = "demo-voting-codes.txt"


def _phone_round_2026(village: Unit, presiding) -> None:
    """A 2026 phone round in progress in 柳树村: open, a few ballots cast; the codes left are
    written to ``CODES_FILE`` in the data directory."""
    if not SignedLetter.objects.filter(
        letter__village=village,
        letter__year=YEAR + 1,
        letter__kind=Letter.TEAM,
        superseded_at__isnull=True,
    ).exists():
        return
    rnd = services.round_create(actor=presiding, village=village, year=YEAR + 1, method=Round.PHONE)
    voters = list(Voter.objects.filter(round=rnd))
    for voter in voters[: max(1, (len(voters) * 5 + 5) // 6)]:
        services.voter_checkin(actor=presiding, round=rnd, voter=voter)
    codes = services.slips_issue(actor=presiding, round=rnd)
    services.round_open(actor=presiding, round=rnd)
    targets = list(rnd.targets.values_list("id", flat=True))
    for n, code in enumerate(codes[:5]):
        services.ballot_cast(
            code=code,
            choices={str(t): ("satisfied" if n % 3 else "basically_satisfied") for t in targets},
        )
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    (settings.DATA_DIR / CODES_FILE).write_text(
        "".join(f"{rnd.pk} {code}\n" for code in codes[5:]), encoding="utf-8"
    )
