"""Demo data of the pledges step: the demo villages' letters of the demo's current year
(``jiannuo.demo.clock``; agreed and approved in early February) (§三.2–3, §五.2).

Built on the opinions demo (hot issues and township tasks) through the same services:

- 柳树村 — every letter approved by the township;
- 王家庄村 (一肩挑) — submitted, awaiting the township;
- 河口村 — the team letter returned with reasons, one member letter ordered redone;
- 东湖村 — agreed by the joint meeting, the consultation is due; one letter still tabled;
- 杏花村 — drafts the quality check blocks (vague pledges, a dodging clause);
- 桃园村 — not started: still collecting opinions.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jiannuo.core.system import system_user
from jiannuo.opinions.models import HotIssue, TaskAssignment
from jiannuo.organisation.models import Post, Term

from . import rules, services
from .models import Letter

YEAR = 2026  # the demo's current year, set by ``load``

# Hot-issue label prefix (from the opinions demo's grouping) → the team's pledge answering it.
TOPIC_PLEDGES = {
    "道路": ("work_goal", "年内硬化村内组级道路3公里，修补破损路面1200平方米", "3公里", (10, 31)),
    "环境": ("good_deed", "新增分类垃圾桶120个，生活垃圾日产日清，清理河沟2条", "120个", (9, 30)),
    "看病": ("good_deed", "办好老年食堂1处，70岁以上独居老人每月上门健康随访1次", "1处", (12, 31)),
    "路灯": ("good_deed", "维修损坏路灯45盏，巷道新装太阳能路灯60盏", "105盏", (8, 31)),
    "财务": (
        "integrity",
        "村级财务每月5日前在村务公开栏公开收支明细，全年公开12次",
        "12次",
        (12, 31),
    ),
    "上学": ("good_deed", "开办暑期课后托管班1期，河边危险地段安装护栏300米", "300米", (7, 31)),
    "防汛": ("work_goal", "汛前完成河堤隐患点加固4处，汛期落实24小时巡查值班", "4处", (5, 31)),
    "饮水": ("good_deed", "更换老化供水管网2.5公里，地势高的农户加装增压泵2台", "2.5公里", (9, 30)),
    "文体": ("good_deed", "村部旁新装健身器材1套12件，农家书屋每周开放5天", "12件", (6, 30)),
    "产业": ("work_goal", "领办蔬菜种植专业合作社1个，组织养殖技术培训4期", "4期", (11, 30)),
    "农田": (
        "work_goal",
        "整修灌溉水渠1.8公里，山塘清淤2口，修复排灌站水泵2台",
        "1.8公里",
        (5, 31),
    ),
}
TASK_PLEDGES = {
    "农村人居环境整治": "全年完成房前屋后“三清一改”，垃圾收运覆盖率100%，卫生厕所普及率95%以上",
    "村级集体经济增收": "盘活闲置厂房2处，新增集体经济收入10万元，经营性收入不低于15万元",
    "防汛抗旱和河道管护": "汛期落实24小时值班巡查，全年防汛安全事故零发生",
    "人居环境整治提升": "生活污水治理率达到80%，每季度开展环境卫生评比1次",
    "集体经济增收和产业发展": "发展特色产业项目1个，村集体经营性收入达到20万元",
}
TEAM_FIXED = [
    (
        "integrity",
        "严守廉洁自律规定，班子成员不收受群众礼品礼金，违纪违规零发生",
        "零发生",
        (12, 31),
    ),
    ("guarantee", "每季度召开一次两委联席会议，逐项督办承诺落实进度并公开", "4次", (12, 31)),
]
TEAM_CLAUSES = [
    (
        "unmet_goals",
        "年度承诺的工作目标未完成",
        "年度考核定为不称职，取消班子当年评先评优资格",
        None,
    ),
    (
        "economic_loss",
        "因管理不善或工作失职给集体和群众造成经济损失",
        "按损失金额的20%由责任人承担赔偿",
        None,
        Decimal("20"),
    ),
    (
        "low_satisfaction",
        "年度民主测评群众满意率低于60%",
        "接受镇党委黄牌警告，扣发当年绩效补贴的30%",
        None,
    ),
]
MEMBER_OWN = {
    "work_goal": ("完成分管工作年度目标，考核得分90分以上", "90分", (12, 31)),
    "good_deed": ("全年为群众代办事项不少于30件", "30件", (12, 31)),
    "integrity": ("本人及亲属不承揽村级工程，违纪违规零发生", "零发生", (12, 31)),
    "guarantee": ("每月走访联系户不少于10户，每月向支部报告承诺进展1次", "12次", (12, 31)),
}
MEMBER_CLAUSES = [
    ("unmet_goals", "分管的承诺事项未完成", "年度考核定为不称职，扣发当年误工补贴的20%", None),
    (
        "economic_loss",
        "因本人失职给集体造成经济损失",
        "按损失金额的30%承担赔偿",
        None,
        Decimal("30"),
    ),
    (
        "low_satisfaction",
        "年度民主测评满意率低于60%",
        "接受黄牌警告；当年低于50%或连续两年低于60%的引咎辞职",
        None,
    ),
]


def _day(month: int, day: int) -> date:
    """A date of the current year, or today when the demo is built before it."""
    from jiannuo.demo import clock

    return clock().day(date(YEAR, month, day))


def _item(category, text, target, md, **links) -> dict:
    return {
        "category": category,
        "text": text,
        "target": target,
        "deadline": date(YEAR, *md),
        **links,
    }


def _clauses(rows) -> list[dict]:
    """Clause rows (category, trigger, measure, fixed amount[, share of the loss in %])."""
    return [
        {"category": c, "trigger": t, "measure": m, "amount": a, "share_percent": (s or [None])[0]}
        for c, t, m, a, *s in rows
    ]


def _letters(village) -> dict:
    letters = list(
        Letter.objects.filter(village=village, year=YEAR).select_related("post__person", "term")
    )
    return {
        "team": next(x for x in letters if x.kind == Letter.TEAM),
        "members": sorted(
            (x for x in letters if x.kind != Letter.TEAM),
            key=lambda x: (x.kind != "secretary", x.pk),
        ),
    }


def _reload(letter: Letter) -> Letter:
    return Letter.objects.select_related("village", "term", "post__person").get(pk=letter.pk)


def _team_items(village, term, posts) -> list[dict]:
    """Team pledges answering every adopted hot issue and township task (§三.1)."""
    out = []
    issues = HotIssue.objects.filter(
        village=village, term=term, year=YEAR, status=HotIssue.ACCEPTED, not_adopted_reason=""
    ).order_by("id")
    for n, issue in enumerate(issues):
        key = next((k for k in TOPIC_PLEDGES if issue.label.startswith(k)), None)
        if key:
            category, text, target, md = TOPIC_PLEDGES[key]
        else:
            category, text, target, md = (
                "good_deed",
                f"就“{issue.label[:20]}”办结整改事项3件并公开结果",
                "3件",
                (12, 31),
            )
        out.append(
            _item(
                category,
                text,
                target,
                md,
                hot_issue_ids=[issue.pk],
                responsible_post_id=posts[n % len(posts)].pk,
            )
        )
    tasks = TaskAssignment.objects.filter(
        village=village, task__year=YEAR, not_adopted_reason=""
    ).select_related("task")
    for n, a in enumerate(tasks.order_by("task__deadline", "id")):
        text = TASK_PLEDGES.get(a.task.title, f"按期完成“{a.task.title}”任务3项")
        out.append(
            _item(
                "work_goal",
                text,
                "",
                (a.task.deadline.month, a.task.deadline.day),
                task_ids=[a.pk],
                responsible_post_id=posts[(n + 1) % len(posts)].pk,
            )
        )
    out += [_item(c, t, g, md, responsible_post_id=posts[0].pk) for c, t, g, md in TEAM_FIXED]
    return out


def _fill(actor, village, term, *, complete=True) -> dict:
    """Fill the team letter, then each member letter breaking the team items down (§三.2)."""
    letters = _letters(village)
    team = letters["team"]
    posts = [m.post for m in letters["members"]]
    items = _team_items(village, term, posts)
    services.letter_content_add(
        actor=actor,
        letter=team,
        version=team.version,
        items=items,
        clauses=_clauses(TEAM_CLAUSES),
    )
    team_items = list(team.versions.get(number=team.current_number).items.order_by("position"))
    members = letters["members"]
    share: dict[int, list] = {m.pk: [] for m in members}
    for n, item in enumerate(team_items):
        share[members[n % len(members)].pk].append(item)
    for m in members:
        if not complete and m is members[-1]:
            continue
        own = [
            _item(
                t.category,
                f"分管落实班子承诺{t.code}：{t.text}",
                t.target,
                (t.deadline.month, t.deadline.day),
                breaks_down_ids=[t.pk],
            )
            for t in share[m.pk]
        ]
        present = {i["category"] for i in own}
        own += [_item(c, *MEMBER_OWN[c]) for c in rules.CATEGORIES if c not in present]
        services.letter_content_add(
            actor=actor,
            letter=_reload(m),
            version=_reload(m).version,
            items=own,
            clauses=_clauses(MEMBER_CLAUSES),
        )
    return {"team": _reload(team), "members": [_reload(m) for m in members]}


def _table(actor, letters):
    for letter in letters:
        services.letter_submit_to_joint_meeting(actor=actor, letter=_reload(letter))


def _joint_meeting(actor, village, term, letters, day, sent_back=()):
    attendance = Post.objects.filter(
        village=village, kind__in=Post.TEAM, end__isnull=True
    ).values_list("pk", flat=True)
    services.joint_meeting_record(
        actor=actor,
        village=village,
        term=term,
        year=YEAR,
        date=day,
        attendance=list(attendance),
        decisions={
            x.pk: ("sent_back", "请结合分工细化") if x in sent_back else ("approved", "")
            for x in letters
        },
        minutes=f"{village.name}两委联席会议逐一审议{YEAR}年度任职承诺书。",
    )


def _consult(actor, village, term, letters, day):
    services.consultation_record(
        actor=actor,
        village=village,
        term=term,
        year=YEAR,
        date=day,
        comments={x.pk: "无异议" for x in letters},
        summary="村务监督委员会逐项审阅承诺内容，建议把完成时限在公开栏一并公布。",
    )


def _all(filled) -> list[Letter]:
    return [filled["team"], *filled["members"]]


def load(units: dict) -> None:
    from jiannuo.demo import clock

    global YEAR
    YEAR = clock().year
    actor = system_user()
    term = Term.objects.filter(district=units["district"], start__year__lte=YEAR).first()
    if term is None or YEAR not in term.years:
        return
    for name in ("柳树村", "王家庄村", "河口村", "东湖村", "杏花村"):
        services.letters_prepare(actor=actor, village=units[name], term=term, year=YEAR)

    # 柳树村: approved.
    v = units["柳树村"]
    filled = _fill(actor, v, term)
    _table(actor, _all(filled))
    _joint_meeting(actor, v, term, _all(filled), _day(2, 5))
    _consult(actor, v, term, _all(filled), _day(2, 12))
    services.period_submit(actor=actor, village=v, term=term, year=YEAR)
    for letter in _all(filled):
        services.letter_approve(actor=actor, letter=_reload(letter), note="同意。")

    # 王家庄村 (一肩挑): submitted, awaiting the township.
    v = units["王家庄村"]
    filled = _fill(actor, v, term)
    _table(actor, _all(filled))
    _joint_meeting(actor, v, term, _all(filled), _day(2, 5))
    _consult(actor, v, term, _all(filled), _day(2, 12))
    services.period_submit(actor=actor, village=v, term=term, year=YEAR)

    # 河口村: returned with reasons; one member letter ordered redone.
    v = units["河口村"]
    filled = _fill(actor, v, term)
    _table(actor, _all(filled))
    _joint_meeting(actor, v, term, _all(filled), _day(2, 6))
    _consult(actor, v, term, _all(filled), _day(2, 12))
    services.period_submit(actor=actor, village=v, term=term, year=YEAR)
    services.letter_return(
        actor=actor,
        letter=_reload(filled["team"]),
        reasons="镇里排查出河堤隐患点7处，防汛加固只承诺4处，请按7处承诺；"
        "经济损失条款最高5000元偏低，请调整。",
    )
    services.letter_redo(
        actor=actor,
        letter=_reload(filled["members"][-1]),
        reasons="承诺内容照抄班子承诺，未结合本人分工，推倒重来。",
        copy=False,
    )

    # 东湖村 (no supervision committee is 桃园村; 东湖村 has one): agreed by the joint
    # meeting, consultation due; the last member letter was tabled after the meeting.
    v = units["东湖村"]
    filled = _fill(actor, v, term)
    letters = _all(filled)
    _table(actor, letters[:-1])
    _joint_meeting(actor, v, term, letters[:-1], _day(2, 26))
    _table(actor, letters[-1:])

    # 杏花村: drafts with quality findings.
    v = units["杏花村"]
    letters = _letters(v)
    team = letters["team"]
    services.letter_content_add(
        actor=actor,
        letter=team,
        version=team.version,
        items=[
            {"category": "work_goal", "text": "努力提高群众收入，进一步改善村容村貌"},
            {"category": "good_deed", "text": "为群众办实事好事"},
            _item("integrity", "村级财务每季度公开1次，全年4次", "4次", (12, 31)),
        ],
        clauses=_clauses(
            [
                ("unmet_goals", "年度目标未完成", "视情况接受组织处理", None),
                ("economic_loss", "因失职造成集体经济损失", "承担相应责任", None),
            ]
        ),
    )
    secretary = letters["members"][0]
    services.letter_content_add(
        actor=actor,
        letter=secretary,
        version=secretary.version,
        items=[_item(c, *MEMBER_OWN[c]) for c in rules.CATEGORIES],
        clauses=_clauses(MEMBER_CLAUSES),
    )
    # 桃园村: not started — still collecting opinions (no letters).
