"""Demo data of the opinions step (§三.1): opinions, township tasks, hot issues of the demo's
current year (``jiannuo.demo.clock``), gathered in January.

Every village of the demo district gets 15–40 opinions (cards, one consultation meeting,
household visits, a few online); 石桥镇 and 东湖街道 set their tasks for the year; the opinions are
grouped into hot issues, which most villages have decided. 桃园村 is still collecting
opinions: nothing grouped yet. Deterministic (seeded) and built through the services.
"""

from __future__ import annotations

import random
from datetime import date

from jiannuo.core.system import system_user
from jiannuo.organisation.models import Term

from . import services
from .models import HotIssue

YEAR = 2026  # the demo's current year, set by ``load``
STILL_COLLECTING = "桃园村"

# Opinions as villagers put them, by topic. Each village draws from some of the topics.
TOPICS: dict[str, list[str]] = {
    "road": [
        "希望把3组到村部那段土路硬化一下，一下雨全是泥，电动车都骑不了。",
        "村东头的水泥路压坏了好几处，坑坑洼洼的，建议尽快修补。",
        "通往后山的路太窄，两辆车会不了车，能不能拓宽一点？",
        "我们组的路到现在还是石子路，啥时候能硬化？",
        "拉砂石的大货车把村道压得坑坑洼洼，应该限制重车通行。",
        "5组那条断头路一直没打通，绕路要多走两里地。",
        "新修的路才一年就裂了，要查一查施工质量。",
    ],
    "light": [
        "村里路灯坏了好多盏，晚上黑漆漆的，老人出门不敢走。",
        "太阳能路灯白天亮晚上不亮，请派人修一修。",
        "桥头那段路没有路灯，晚上经常有人掉进沟里。",
        "路灯只装了主路，巷子里一盏都没有。",
        "2组的路灯坏了半年多了，报修好几次没人管。",
    ],
    "water": [
        "自来水经常停水，一停就是两三天，也不提前通知。",
        "水管老化，三天两头爆管，希望更换新管道。",
        "自来水有时候发黄，有股怪味，喝着不放心。",
        "我们组地势高，水压太低，二楼根本上不去水。",
        "希望把自来水接到山上几户，现在还在挑井水吃。",
    ],
    "sanitation": [
        "垃圾桶太少，垃圾满了好几天没人清运，臭气熏天。",
        "村口小河沟里全是垃圾和污水，夏天蚊子苍蝇特别多。",
        "有人在路边乱倒建筑垃圾，希望管一管。",
        "公厕太脏了，没人打扫，建议安排保洁员。",
        "生活污水直接排到沟里，希望建污水处理设施。",
        "秸秆乱堆乱放，既不卫生又有火灾隐患。",
    ],
    "finance": [
        "村里的账目要按月公开，让大家知道钱花到哪里去了。",
        "集体土地出租的收入是多少，希望在公开栏公布。",
        "修路的钱花了多少，希望张榜公示明细。",
        "村务公开栏好久没更新了，内容都是去年的。",
        "土地补偿款怎么分配的，希望开村民代表大会说清楚。",
    ],
    "elderly": [
        "村卫生室经常没人，看个感冒都要跑到镇上。",
        "希望办个老年食堂，独居老人吃饭是个大问题。",
        "留守老人多，希望定期上门看看，量量血压。",
        "高血压糖尿病的药村里买不到，希望卫生室多备点常用药。",
        "希望把幸福院办起来，让老人白天有个去处。",
    ],
    "irrigation": [
        "水渠年久失修，漏水严重，下游的田灌不上水。",
        "山塘淤泥太多，蓄不住水，希望清淤。",
        "排灌站的水泵坏了，插秧时节抽不上水。",
        "机耕路太窄，收割机开不进田里。",
    ],
    "school": [
        "孩子上学要走很远的路，希望开通校车或者安排接送。",
        "放学后没人管孩子，希望村里办个课后托管。",
        "夏天孩子容易去河边玩水，希望在河边装护栏、立警示牌。",
    ],
    "income": [
        "希望村里牵头成立合作社，带着大家种蔬菜增收。",
        "我们种的水果卖不出去，希望帮忙找找销路。",
        "希望多搞几次技术培训，教大家养殖技术。",
        "村集体经济太薄弱，希望把闲置厂房租出去增加收入。",
    ],
    "culture": [
        "希望建一个文化广场，晚上可以跳广场舞。",
        "村里没有健身器材，希望在村部旁边装一些。",
        "农家书屋常年锁着门，希望能开放。",
    ],
    "flood": [
        "河堤有几处塌了，汛期前一定要加固。",
        "一下大雨低洼的几户就被淹，希望疏通排水沟。",
        "希望汛期安排人巡查河道，提前转移危险地段的群众。",
    ],
}

# (village, topics drawn, number of opinions from cards)
VILLAGES = [
    ("柳树村", ["road", "light", "sanitation", "finance", "elderly", "flood", "school"], 22),
    ("王家庄村", ["water", "road", "culture", "income", "finance"], 14),
    ("河口村", ["flood", "irrigation", "sanitation", "road", "light"], 12),
    ("东湖村", ["sanitation", "elderly", "culture", "finance"], 10),
    ("杏花村", ["income", "irrigation", "water", "school", "light"], 16),
    ("桃园村", ["road", "water", "elderly", "sanitation"], 9),
]

TASKS = {
    "石桥镇": [
        (
            "农村人居环境整治",
            "全年完成房前屋后“三清一改”，生活垃圾收运处置体系覆盖率100%，"
            "无害化卫生厕所普及率达到95%以上。",
            date(YEAR, 11, 30),
            ["柳树村", "王家庄村", "河口村"],
        ),
        (
            "村级集体经济增收",
            "村集体经营性收入比上年增长10%以上，且不低于15万元。",
            date(YEAR, 12, 20),
            ["柳树村", "王家庄村", "河口村"],
        ),
        (
            "防汛抗旱和河道管护",
            "汛前完成河堤隐患排查加固，汛期落实24小时值班巡查，全年不发生人员伤亡。",
            date(YEAR, 5, 31),
            ["柳树村", "河口村"],
        ),
    ],
    "东湖街道": [
        (
            "人居环境整治提升",
            "生活污水治理率达到80%，垃圾分类村民知晓率达到95%，每季度开展一次环境卫生评比。",
            date(YEAR, 11, 30),
            ["东湖村", "杏花村", "桃园村"],
        ),
        (
            "集体经济增收和产业发展",
            "发展至少1个特色产业项目，村集体经营性收入达到20万元以上。",
            date(YEAR, 12, 20),
            ["东湖村", "杏花村", "桃园村"],
        ),
    ],
}

GIVERS = "王秀兰 李德福 张桂芳 刘长顺 陈玉兰 杨春生 赵小红 黄永福 周金花 吴建平".split()
VISITORS = {"柳树村": "支部书记", "王家庄村": "书记兼主任"}


def _day(planned: date) -> date:
    """The planned date, or today if the demo is loaded before it (no future meetings)."""
    from jiannuo.demo import clock

    return clock().day(planned)


def _opinions(rng: random.Random, topics: list[str], n: int) -> list[str]:
    pool = [text for t in topics for text in TOPICS[t]]
    rng.shuffle(pool)
    out = pool[:n]
    while len(out) < n:  # more cards than distinct texts: people repeat what others said
        out.append(rng.choice(pool))
    return out


def load(units: dict) -> None:
    from jiannuo.demo import clock

    global YEAR
    YEAR = clock().year
    actor = system_user()
    term = Term.objects.filter(district=units["district"], start__year__lte=YEAR).first()
    if term is None or YEAR not in term.years:
        return

    for township_name, tasks in TASKS.items():
        for title, target, deadline, villages in tasks:
            services.task_issue(
                actor=actor,
                township=units[township_name],
                year=YEAR,
                title=title,
                target=target,
                deadline=deadline,
                villages=[units[v] for v in villages],
            )

    for index, (name, topics, n_cards) in enumerate(VILLAGES):
        village = units[name]
        rng = random.Random(f"opinions-{name}")
        texts = _opinions(rng, topics, n_cards + 10)
        cards, meeting, visits = texts[:n_cards], texts[n_cards : n_cards + 5], texts[-5:]
        entries = []
        for text in cards:
            named = rng.random() < 0.4
            entries.append(
                services.Entry(
                    text,
                    rng.choice(GIVERS) if named else "",
                    f"139{rng.randint(10000000, 99999999)}" if named else "",
                )
            )
        services.opinions_enter(actor=actor, village=village, term=term, year=YEAR, entries=entries)
        services.meeting_record(
            actor=actor,
            village=village,
            term=term,
            year=YEAR,
            date=_day(date(YEAR, 1, 8 + index)),
            attendee_count=rng.randint(28, 46),
            attendees="党员、村民代表、村民小组长",
            minutes=f"{name}{YEAR}年度民主恳谈会：村党支部书记通报上年承诺履行情况，"
            "与会人员围绕今年为群众办实事的内容提出意见建议。",
            opinions=meeting,
        )
        for k in range(0, len(visits), 2):
            services.visit_record(
                actor=actor,
                village=village,
                term=term,
                year=YEAR,
                household=f"{rng.choice(GIVERS)[0]}家（{rng.randint(1, 6)}组）",
                visitor=VISITORS.get(name, "包组村干部"),
                date=_day(date(YEAR, 1, 12 + k)),
                notes="入户走访，了解家庭生产生活情况。",
                opinions=visits[k : k + 2],
            )
        services.opinion_submit_public(
            village=village,
            term=term,
            year=YEAR,
            text=rng.choice(TOPICS[topics[0]]),
            client=f"demo-{name}",
        )
        if name == STILL_COLLECTING:
            continue

        issues = services.issues_group(actor=actor, village=village, term=term, year=YEAR)
        for issue in issues:
            size = issue.opinions.count()
            if size >= 2:
                services.issue_accept(actor=actor, issue=issue)
            elif name != "柳树村":  # 柳树村 leaves its single opinions to decide (to-do)
                services.issue_decline(actor=actor, issue=issue, note="个别意见，已当面答复。")

    # A decision the bulletin board will show: an issue the joint meeting does not adopt.
    wjz = units["王家庄村"]
    culture = (
        HotIssue.objects.filter(
            village=wjz, status=HotIssue.ACCEPTED, opinions__text__contains="广场"
        )
        .distinct()
        .first()
    )
    if culture is not None:
        services.issue_not_adopt(
            actor=actor,
            issue=culture,
            reason="村内暂无可用建设用地，已报镇里统筹，待土地规划调整后再列入承诺。",
        )
