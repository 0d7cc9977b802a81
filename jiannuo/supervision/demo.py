"""Demo data of the supervision step (§五.3): 柳树村's signed letters of the demo's current year
followed through the year, as on 25 November (or today, if earlier) — items fulfilled, on time, at risk and late, an unannounced inspection
with one rectification signed off and one overdue, and a request to adjust a team item for an
objective reason awaiting the township deputy secretary. Everything goes through the services, acted by the demo accounts
(the cadre holding each item's post, the branch secretary, the township staff and deputy).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.contrib.auth import get_user_model

from jiannuo.core.system import system_user
from jiannuo.pledges.models import Letter

from . import rules, selectors, services
from .models import Inspection

YEAR = 2026  # the demo's current year, set by ``load``


def day() -> date:
    """The day the supervision story stands on: 25 November of the current year, or today."""
    from jiannuo.demo import clock

    return clock().day(date(clock().year, 11, 25))


def _photo(label: str, colour=(46, 125, 50)) -> io.BytesIO:
    """A small JPEG standing in for a photo taken on site."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 320), colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((20, 20, 460, 300), outline=(255, 255, 255), width=6)
    draw.text((40, 40), label.encode("ascii", "ignore").decode() or "photo", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    buf.seek(0)
    buf.name = f"{label}.jpg"
    buf.size = len(buf.getvalue())
    return buf


def _actor(row, users, branch):
    post = row.item.responsible_post
    person_user = getattr(getattr(post, "person", None), "user", None) if post else None
    if person_user is not None and person_user.is_active:
        return person_user
    if row.letter.kind == Letter.TEAM and branch is not None:
        return branch
    return users.get("system")


def load(units: dict) -> None:
    from jiannuo.demo import clock

    global YEAR
    YEAR = clock().year
    village = units.get("柳树村")
    if village is None:
        return
    today = day()
    inspected = min(date(YEAR, 9, 28), today)
    rows = selectors.tracked(None, year=YEAR, village=village, today=today)
    if not rows:
        return
    User = get_user_model()
    names = ("liushu_sec", "sq_staff")
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    users["system"] = system_user()
    branch = users.get("liushu_sec")
    staff = users.get("sq_staff") or users["system"]

    # Members' items first, so the team's roll up from them.
    rows.sort(key=lambda r: (r.letter.kind == Letter.TEAM, r.deadline, r.item.code))
    passed = [r for r in rows if r.deadline < today]
    ahead = [r for r in rows if r.deadline >= today]
    late = passed[1:2]  # one item past its deadline, not done: late
    for n, row in enumerate(passed):
        actor = _actor(row, users, branch)
        if row in late:
            services.progress_record(
                actor=actor, letter=row.letter, item_code=row.item.code,
                status=rules.IN_PROGRESS, percent=70, note="施工队延误，剩余部分正在推进。",
            )  # fmt: skip
            continue
        services.progress_record(
            actor=actor, letter=row.letter, item_code=row.item.code,
            status=rules.IN_PROGRESS, percent=50, note="已完成一半。",
        )  # fmt: skip
        services.progress_record(
            actor=actor, letter=row.letter, item_code=row.item.code,
            status=rules.FULFILLED, measured=row.target, note="按期完成，已验收。", public=True,
            files=[_photo(f"done-{n}")] if n < 6 else [],
        )  # fmt: skip
    for n, row in enumerate(ahead):
        actor = _actor(row, users, branch)
        # Alternately on time (well ahead) and at risk (far behind the time elapsed).
        percent = 15 if n % 3 == 1 else 85
        services.progress_record(
            actor=actor, letter=row.letter, item_code=row.item.code,
            status=rules.IN_PROGRESS, percent=percent,
            note="正在推进。" if percent > 50 else "资金尚未到位，进度滞后。",
            public=n % 2 == 0,
        )  # fmt: skip

    targets = [r for r in rows if r.letter.kind != Letter.TEAM] or rows
    findings = [
        {
            "letter": targets[0].letter,
            "item_code": targets[0].item.code,
            "text": "佐证材料不全，缺少验收记录。",
            "rectify_by": max(date(YEAR, 10, 15), inspected + timedelta(14)),
        },
        {
            "letter": targets[-1].letter,
            "item_code": targets[-1].item.code,
            "text": "进度滞后于计划，未见施工安排。",
            "rectify_by": max(date(YEAR, 10, 31), inspected + timedelta(30)),
        },
    ]
    insp = services.inspection_record(
        actor=staff, village=village, kind=Inspection.UNANNOUNCED, day=inspected,
        inspectors="石桥镇督查组", summary="对柳树村年度承诺事项推进情况进行随机暗访。",
        findings=findings,
    )  # fmt: skip
    first = insp.findings.order_by("id").first()
    services.rectification_respond(
        actor=branch or users["system"], finding=first, response="已补齐验收记录和照片。"
    )
    services.rectification_signoff(actor=staff, finding=first, accept=True, note="整改到位。")

    team_ahead = [r for r in ahead if r.letter.kind == Letter.TEAM]
    if team_ahead and branch is not None:
        row = team_ahead[0]
        services.adjustment_request(
            actor=branch, letter=row.letter, item_code=row.item.code,
            reason="七月特大暴雨冲毁施工便道，上级补助资金延后下达。",
            new_deadline=max(row.deadline, today) + timedelta(days=30),
            upload=_photo("flood", (120, 120, 120)),
        )  # fmt: skip
        # Left for the township deputy to decide in the demo: approving opens a new version
        # of the signed letter (re-approval and signing), which the demo shows live.
