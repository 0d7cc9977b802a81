"""The accountability part of the demo district (issue #7.8), built through the services.

``YEAR`` is the demo's previous (closed) year (``jiannuo.demo.clock``), "2025" below.
It runs after the evaluation demo: from 石桥镇's confirmed 2025 year it opens the cases the
rules propose (as the township secretary, two months ago) and carries them to different
stages — notices of criticism decided and on the bulletin board, a yellow card carried out and
another just decided (its appeal window open), honours withheld, a penalty paid, a referral
with the competent body's sanction, a resignation demand under appeal (in force meanwhile) and
another awaiting its second approval; the rest await a decision. Without confirmed 2025
results (the evaluation demo not loaded) it does nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from jiannuo.accounts import services as accounts
from jiannuo.core.system import system_user

from . import rules, services
from .models import Case

YEAR = 2025  # the demo's closed (previous) year, set by ``load``
TOWNSHIP = "石桥镇"


def _cadre_user(actor, case: Case, township) -> User:
    """The cadre's account (made for the demo if the person has none), to reply and appeal."""
    person = case.person
    if person.user_id:
        return person.user
    username = f"{case.village.code.lower()}_{case.post_id}"
    return accounts.user_create(
        actor=actor,
        username=username,
        password="jiannuo2026",
        full_name=person.name,
        unit=case.village,
        person=person,
    )


def load(units: dict) -> None:
    from jiannuo.demo import clock

    global YEAR
    YEAR = clock().closed
    township = units.get(TOWNSHIP)
    if township is None:
        return
    try:
        secretary = User.objects.get(username="sq_secretary")
        deputy = User.objects.get(username="sq_deputy")
        staff = User.objects.get(username="sq_staff")
    except User.DoesNotExist:
        return
    now = clock().now()
    opened = now - timedelta(days=60)
    preview = services.preview(actor=secretary, township=township, year=YEAR)
    if not preview.has_facts:
        return  # no confirmed year-end results: the evaluation demo is not there
    services.run_open(actor=secretary, township=township, year=YEAR, now=opened)
    cases = list(
        Case.objects.filter(township=township, year=YEAR)
        .select_related("person", "village", "township")
        .order_by("village__path", "id")
    )
    by_measure: dict[str, list[Case]] = {}
    for c in cases:
        by_measure.setdefault(c.measure, []).append(c)

    def first(measure, n=0):
        found = by_measure.get(measure, [])
        return found[n] if len(found) > n else None

    def decide(case, who, when, text):
        return services.case_decide(actor=who, case=case, decision=text, now=when)

    old, recent = opened + timedelta(days=10), now - timedelta(days=2)
    # Notices of criticism: decided, in force, published on the village's board.
    for case in by_measure.get(rules.CRITICISM, []):
        decide(case, secretary, old, "经镇党委研究，给予通报批评，限期整改。")
    # A yellow card replied to, decided and carried out; another decided two days ago.
    if case := first(rules.YELLOW_CARD):
        if case.person_id and case.person.user_id:
            services.case_reply(
                actor=case.person.user,
                case=case,
                text="部分承诺因资金未到位未完成，已制定整改计划。",
                now=opened + timedelta(days=3),
            )
        decide(case, secretary, old, "申辩理由不充分，给予黄牌警告。")
        services.case_carry_out(
            actor=staff, case=case, outcome=rules.WARNING_ISSUED, now=now - timedelta(days=15)
        )
    if case := first(rules.YELLOW_CARD, 1):
        decide(case, deputy, recent, "给予黄牌警告。")
    # Honours withheld for the year.
    if case := first(rules.NO_HONOURS):
        decide(case, deputy, old, "年度考核定为不称职，取消本年度评先评优资格。")
        services.case_carry_out(
            actor=staff, case=case, outcome=rules.HONOURS_WITHHELD, now=now - timedelta(days=15)
        )
    # An economic penalty paid under the letter's clause.
    if case := first(rules.ECONOMIC_PENALTY):
        decide(case, secretary, old, "依承诺书违诺责任条款，给予经济处罚并赔偿损失。")
        amount = Decimal(case.facts.get("amount") or "1000") / 10
        services.case_carry_out(
            actor=staff,
            case=case,
            outcome=rules.PENALTY_PAID,
            amount=amount.quantize(Decimal("0.01")),
            note="已缴纳至村集体账户",
            now=now - timedelta(days=15),
        )
    # A referral: the competent body imposed a warning.
    if case := first(rules.DISCIPLINE_REFERRAL):
        decide(case, secretary, old, "移送镇纪委依纪处理。")
        services.case_carry_out(
            actor=staff,
            case=case,
            outcome=rules.SANCTION_RECORDED,
            sanction="warning",
            note="镇纪委给予党内警告处分",
            now=now - timedelta(days=15),
        )
    # A resignation demand decided, approved by a second official, and under appeal.
    if case := first(rules.RESIGNATION):
        decide(case, deputy, now - timedelta(days=12), "经镇党委研究，责令其引咎辞职。")
        services.case_approve(actor=secretary, case=case, now=now - timedelta(days=10))
        if case.subject == rules.POST and case.person_id:
            cadre = _cadre_user(system_user(), case, township)
            services.case_appeal(
                actor=cadre,
                case=case,
                text="满意率偏低与灌溉工程延期有关，申请复查。",
                now=now - timedelta(days=5),
            )
    # Another resignation demand awaiting its second approval.
    if case := first(rules.RESIGNATION, 1):
        decide(case, deputy, recent, "责令引咎辞职。")
