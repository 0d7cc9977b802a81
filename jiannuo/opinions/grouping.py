"""Group villagers' short opinions into hot and difficult issues (热点难点问题).

Plain Python on top of scikit-learn and SciPy: no ORM, no Django settings, no model files, no
network. The caller passes ``(key, text)`` pairs (the key is anything hashable, e.g. an opinion
card's primary key) and gets back :class:`Group` objects, largest first::

    >>> groups = group_opinions([(1, "路灯坏了"), (2, "晚上路灯不亮"), (3, "垃圾没人清运")])
    >>> [(g.label, g.keys) for g in groups]
    [('路灯照明：路灯', (1, 2)), ('垃圾没人清运', (3,))]

How it works
------------
1. **Clean** each text: Unicode NFKC (full-width → half-width), lower case, then remove what
   villagers write on every card whatever the subject: request and politeness phrases (希望,
   建议, 能不能, 一下 …), the village and its people (村里, 我们组, 干部 …), hedges (现在,
   经常 …), numbers with their unit (3组, 200米), particles (的, 了, 吗 …), punctuation and
   whitespace. Every removal *splits* the text, so no n-gram spans a removed word.
2. **Vectorise** each cleaned text twice and concatenate the two L2-normalised blocks:

   * TF-IDF over character unigrams and bigrams (no word segmentation), sublinear term
     frequency, leaving out n-grams found in one opinion only (they cannot make two opinions
     alike but would dilute what short opinions share): catches shared wording, whatever the
     subject;
   * issue concepts (:data:`CONCEPTS`): a small hand-written lexicon of the usual headings of
     rural public services (道路交通, 饮水安全, 农田水利 …) with the words that signal them.
     Villagers name the same problem in many ways that share no character (山塘淤泥, 排灌站的
     机器坏了, 田里灌不上水); character n-grams alone split such a topic into singletons,
     the concept features bring it together. Longest cue wins (路灯 is lighting, not road);
     a single-character cue (灯, 账, 田) counts half.

3. **Cluster** the distinct cleaned texts by average-linkage agglomerative clustering on cosine
   distance and cut the tree where the average similarity between two groups falls below
   ``min_similarity``: the number of groups follows from the data. Two opinions of the same
   single concept that share no wording have similarity 0.5, so at the default 0.25 they meet;
   opinions outside the lexicon are grouped on wording alone. Exact duplicates (after cleaning)
   are clustered once and carried along.
4. **Describe** each group. *typical*: the opinions closest to the group's centroid. *label*:
   the group's concept, if most of its opinions are mainly about one, followed by the terms
   that most of its opinions share and few others have (character n-grams of 2–4, lexicon
   words preferred, 来水 extended to 自来水), e.g. "路灯照明：路灯 / 不亮"; without a concept
   three such terms; a single opinion is labelled with its own shortened text.

Determinism: no randomness, and the distinct texts are sorted before anything is computed, so
the partition, the labels and the order of the groups do not depend on the order of the input
(only which of several identical cards is shown as typical does: the first one given).

Cost: quadratic in the number of distinct opinions (a dense similarity matrix): 2,000 distinct
opinions take about 0.4 s on one core and under 100 MB at the peak. Group per village (or per
township); for tens of thousands of opinions at once, sample or split first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "CONCEPTS",
    "DEFAULT_MIN_SIMILARITY",
    "EMPTY_LABEL",
    "OTHER_LABEL",
    "Group",
    "clean_text",
    "concepts_of",
    "group_opinions",
]

#: Default ``min_similarity``: two groups merge while the average cosine similarity between
#: their opinions is at least this. On the test fixture (8 topics, 88 opinions) every topic comes
#: out whole and pure for any value from 0.13 to 0.38; 0.25 sits in the middle.
DEFAULT_MIN_SIMILARITY = 0.25

#: Weight of the concept block relative to the character n-gram block (both L2-normalised).
CONCEPT_WEIGHT = 1.0

#: Character n-grams found in a single opinion are left out of the wording vectors: they cannot
#: make two opinions alike, but they would dilute what short opinions do share.
MIN_DF = 2

#: Label of the group of opinions without any letter or digit (only punctuation or emoji).
EMPTY_LABEL = "（无具体内容）"

#: Label of the group that pools the smallest groups when ``max_groups`` is exceeded.
OTHER_LABEL = "其他"

TYPICAL_COUNT = 3
LABEL_TERMS = 3
LABEL_MAX_CHARS = 16
LABEL_CUE_BONUS = 3.0

# Issue concepts of village public affairs and the words that signal them, written from the
# usual headings of rural public services rather than from any one village's cards. Extend it
# when a district's cards show a recurring word it misses.
CONCEPTS: dict[str, tuple[str, ...]] = {
    name: tuple(words.split())
    for name, words in {
        "道路交通": """
            道路 路面 公路 村道 村路 通组路 通村路 入户路 连户路 土路 泥路 泥巴路 水泥路
            石子路 砂石路 柏油路 沥青路 断头路 主干道 干道 便道 巷道 硬化 拓宽 加宽 修路 铺路 补路
            路基 坑洼 坑坑洼洼 路窄 太窄 会车 错车 塌方 滑坡 桥 桥梁 便桥 过河 护栏 重车 货车
            大车 超载 限高 限载 交通 通行 公交 班车 客车 停车 路
        """,
        "路灯照明": """
            路灯 灯 照明 亮灯 不亮 太暗 很暗 黑灯瞎火 黑漆漆 黑乎乎 漆黑 摸黑 天黑 太黑 很黑
            灯杆
        """,
        "饮水安全": """
            自来水 饮水 饮用水 吃水 喝水 喝的水 水管 管网 管道 供水 停水 断水 没水 来水 水压 水质
            水费 水表 爆管 水厂 水塔 水源 净水 水龙头 井水 挑水 水井 浑浊 发黄 上不去水
        """,
        "环境卫生": """
            垃圾 卫生 环境 人居环境 保洁 清运 清扫 打扫 扫地 厕所 公厕 旱厕 改厕 污水 臭水沟 黑臭
            臭 脏 乱堆 乱放 乱倒 乱扔 乱排 杂物 柴草 村容村貌 蚊子 苍蝇 蚊蝇 老鼠 粪 粪水 异味
            塑料袋 白色污染 焚烧 秸秆 死鸡 死猪 动物尸体 污染 清理
        """,
        "财务公开": """
            账 账目 账本 入账 财务 村务公开 公开 公示 公布 张榜 透明 收支 开支 支出 经费 资金 钱
            补偿款 集体资产 集体收入 集体经济 集体土地 出租 承包 发包 合同 招待费 吃喝 审计 会计
            出纳 报账 发票 公开栏 监督 明细 去向 去哪了 花了多少 不明不白 暗箱 程序 民主决策
            四议两公开 村民代表大会 贪 挪用 优亲厚友
        """,
        "看病养老": """
            卫生室 卫生院 村医 医生 看病 就医 药 药品 买药 医保 新农合 合作医疗 报销 体检 医院 诊所
            感冒 高血压 糖尿病 慢性病 大病 住院 家庭医生 老人 老年 老年人 养老 敬老院 养老院 幸福院
            日间照料 照料 照顾 独居 空巢 留守老人 孤寡 高龄 助餐 养老金 养老保险 老年食堂 老有所养
        """,
        "农田水利": """
            水渠 渠 沟渠 灌溉 浇地 浇 抽水 水泵 泵站 排灌 机井 山塘 塘 水塘 池塘 水库 堰 蓄水 清淤
            抗旱 旱 干旱 放水 截水 稻田 农田 田 田头 插秧 秧 种地 耕地 机耕道 机耕路 生产路
            高标准农田 庄稼 水利 农业 化肥 农资
        """,
        "上学接送": """
            孩子 小孩 学生 儿童 留守儿童 上学 放学 读书 念书 学校 村小 小学 中学 幼儿园 校车 接送
            托管 作业 课后 暑假 寒假 溺水 教育 老师 教学 学费 网课
        """,
        "住房安全": """
            危房 房子 房屋 住房 危房改造 宅基地 建房 盖房 漏雨 倒塌 裂缝 土坯房
        """,
        "社会救助": """
            低保 救助 困难户 贫困 特困 五保 残疾 残疾人 补助 补贴 临时救助 大病救助 困难家庭
        """,
        "社会治安": """
            治安 偷 盗 小偷 被盗 打架 赌博 黑恶 监控 摄像头 诈骗 骗 巡逻 派出所 报警 吸毒 传销 推销
        """,
        "电力通信": """
            停电 断电 电压 电线 线路 变压器 供电 跳闸 电网 网络 信号 宽带 网速 光纤 上网 基站
            手机信号 有线电视 电视
        """,
        "产业增收": """
            就业 产业 种植 养殖 合作社 销路 卖不出去 技术培训 致富 增收 创业 务工 招商
        """,
        "文体设施": """
            广场 文化广场 健身 健身器材 篮球场 活动室 文化活动 娱乐 广场舞 图书室 农家书屋 活动场所
        """,
        "防汛河道": """
            防汛 洪水 河堤 堤坝 河道 内涝 被淹 淹 山洪 排涝
        """,
        "土地权益": """
            土地流转 流转 确权 占地 征地 林地 山林 地界 土地纠纷
        """,
    }.items()
}


# Phrases matched as cues of no concept, so that a shorter cue inside them does not count
# (路边 is a place, not a road complaint).
NEUTRAL_PHRASES: tuple[str, ...] = tuple(
    "路边 路旁 路口 路上 里路 一路 走路 绕路 路过 电话 用电".split()
)

# Phrases that carry no subject: requests and politeness, the village and its people, hedges,
# connectives and intensifiers. Longest first in the regular expression.
STOP_PHRASES: tuple[str, ...] = tuple(
    """
    希望 建议 强烈要求 要求 恳请 请求 麻烦 拜托 请 能不能 能否 可不可以 可否 是否 是不是 有没有
    尽快 赶紧 赶快 及时 早日 早点 抓紧 帮忙 帮助 帮帮 考虑 重视 关心 关注 落实 解决 反映 处理 问题
    情况 困难 方面 工作 村里面 村里 我们村 咱们村 咱村 我村 本村 全村 我们组 我们 咱们 俺们 大家
    村民们 村民 群众 老百姓 百姓 村委会 村两委 村委 两委 村干部 干部 领导 政府 上级 有关部门
    相关部门 有人 有的 有些 一些 没人 没有 多少 好多 好久 一直 现在 目前 已经 还是 就是 但是 可是
    而且 并且 因为 所以 如果 虽然 只是 这个 那个 这些 那些 这里 那里 这样 那样 什么 怎么 为什么
    为啥 特别 非常 比较 十分 实在 真的 确实 根本 总是 老是 经常 每次 好几 几个 一点 有点 应该 需要
    可以 能够 希冀 谢谢 感谢
    """.split()
)

# Single characters with no subject: particles, pronouns, light verbs. Deliberately short:
# 来 (自来水), 下 (下水道), 地 (土地), 会 (会计), 就 (就医), 有 (有线) stay.
STOP_CHARS = (
    "的了吗呢吧啊呀哦嘛么着很太挺都也还又再把被给让我你他她它们这那些啥咋得是在和与及或要能多少"
)

# A number with the unit that follows it, if any: 3组, 200米, 2号, 3年, 50%.
_NUMBER = re.compile(
    r"[0-9]+(?:\.[0-9]+)?\s*(?:组|队|社|号|户|栋|排|米|公里|里|亩|吨|元|块|万|千|百|年|月|天|日|"
    r"点|个|次|多|%)?"
)
# 一下 is "a little" (看一下) but not in 一下雨 ("whenever it rains") or 一下子.
_STOP = re.compile(
    "|".join([*sorted(STOP_PHRASES, key=lambda w: (-len(w), w)), "一下(?![雨雪子])"])
)
_STOP_CHAR = re.compile(f"[{STOP_CHARS}]")
# Anything that is not a letter or a digit: punctuation, symbols, whitespace, emoji.
_NOT_WORD = re.compile(r"[\W_]+")

_CUES: dict[str, str | None] = dict.fromkeys(NEUTRAL_PHRASES)
for _concept, _words in CONCEPTS.items():
    for _word in _words:
        _CUES.setdefault(_word, _concept)
_CUE = re.compile("|".join(re.escape(w) for w in sorted(_CUES, key=lambda w: (-len(w), w))))


@dataclass(frozen=True)
class Group:
    """One hot issue: opinions about the same thing."""

    label: str
    """Short readable description, e.g. "路灯照明：路灯 / 不亮"."""
    keys: tuple[Hashable, ...]
    """Keys of all the group's opinions, in input order."""
    typical: tuple[Hashable, ...]
    """Keys of up to three of the most central opinions with distinct texts, most central first."""
    size: int
    """Number of opinions in the group (``len(keys)``)."""
    concept: str | None = None
    """The :data:`CONCEPTS` heading most of the group's opinions are about, if any."""


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _segments(text: str, *, strip_stop_words: bool = True) -> list[str]:
    text = _NUMBER.sub(" ", _normalise(text))
    if strip_stop_words:
        text = _STOP_CHAR.sub(" ", _STOP.sub(" ", text))
    return [s for s in _NOT_WORD.split(text) if s]


def clean_text(text: str) -> str:
    """The content of an opinion as it is vectorised: its segments joined by single spaces."""
    return " ".join(_segments(text))


def concepts_of(text: str) -> dict[str, float]:
    """The :data:`CONCEPTS` signalled in a text, with their weights (cue counts)."""
    found: dict[str, float] = defaultdict(float)
    for match in _CUE.finditer(_NUMBER.sub(" ", _normalise(text))):
        concept = _CUES[match.group()]
        if concept is not None:
            found[concept] += 0.5 if len(match.group()) == 1 else 1.0
    return dict(found)


def _content(text: str) -> str:
    """Cleaned text; if nothing but stop words is left, the text without punctuation."""
    return clean_text(text) or " ".join(_segments(text, strip_stop_words=False))


def _analyse(content: str) -> list[str]:
    grams: list[str] = []
    for seg in content.split(" "):
        grams.extend(seg)
        grams.extend(seg[i : i + 2] for i in range(len(seg) - 1))
    return grams


def _ngrams(content: str) -> set[str]:
    """Candidate label terms: character n-grams of length 2 to 4 within segments."""
    grams: set[str] = set()
    for seg in content.split(" "):
        for length in range(2, 5):
            grams.update(seg[i : i + length] for i in range(len(seg) - length + 1))
    return grams


def _l2_rows(matrix) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(matrix, dtype=float)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(matrix.multiply((1.0 / norms).reshape(-1, 1)))


def _vectorise(contents: list[str], concepts: list[dict[str, float]]) -> sparse.csr_matrix:
    tfidf = TfidfVectorizer(analyzer=_analyse, sublinear_tf=True, norm=None)
    wording = sparse.csc_matrix(tfidf.fit_transform(contents))
    shared = np.diff(wording.indptr) >= MIN_DF  # document frequency of each column
    wording = _l2_rows(wording[:, shared])
    column = {name: j for j, name in enumerate(CONCEPTS)}
    rows, cols, values = [], [], []
    for row, found in enumerate(concepts):
        for name, weight in found.items():
            rows.append(row)
            cols.append(column[name])
            values.append(math.log1p(weight))
    subject = sparse.csr_matrix((values, (rows, cols)), shape=(len(contents), len(column)))
    return _l2_rows(sparse.hstack([wording, CONCEPT_WEIGHT * _l2_rows(subject)]))


def _cluster(matrix: sparse.csr_matrix, min_similarity: float) -> list[int]:
    """Cluster number of each row, numbered in order of first row (not SciPy's numbering)."""
    if matrix.shape[0] == 1:
        return [0]
    distance = 1.0 - (matrix @ matrix.T).toarray()
    np.clip(distance, 0.0, 2.0, out=distance)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    raw = fcluster(tree, t=1.0 - min_similarity, criterion="distance")
    number: dict[int, int] = {}
    return [number.setdefault(int(c), len(number)) for c in raw]


def _shorten(text: str) -> str:
    text = "".join(text.split())
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1] + "…"


def _main_concept(members: list[int], weights: list[int], concepts: list[dict[str, float]]):
    """The concept that more than half of the group's opinions are mainly about, if any."""
    votes: Counter[str] = Counter()
    for i in members:
        if concepts[i]:
            votes[max(concepts[i], key=lambda c: (concepts[i][c], c))] += weights[i]
    if not votes:
        return None
    concept, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
    return concept if 2 * count > sum(weights[i] for i in members) else None


def _terms(
    members: list[int],
    weights: list[int],
    grams: list[set[str]],
    doc_freq: Counter[str],
    total: int,
    concept: str | None,
    count: int,
) -> list[str]:
    """Characteristic terms of a group: shared by many of its opinions, rare outside it.

    Words of the group's concept (垃圾, 自来水 …) are preferred to chance n-grams; a bigram is
    extended to a longer n-gram that nearly all its holders share (来水 → 自来水); a term that
    overlaps one already chosen is skipped.
    """
    size = sum(weights[i] for i in members)
    inside: Counter[str] = Counter()
    for i in members:
        for gram in grams[i]:
            inside[gram] += weights[i]
    least = 2 if size >= 2 else 1
    frequent = {g: c for g, c in inside.items() if c >= least}
    rest = total - size
    cues = set(CONCEPTS.get(concept or "", ()))

    longer_of: dict[str, list[str]] = defaultdict(list)
    for gram in sorted(frequent, key=lambda g: (-len(g), g)):
        for i in range(len(gram) - 1):
            if len(gram) > 2:
                longer_of[gram[i : i + 2]].append(gram)

    def extend(gram: str) -> str:
        for longer in longer_of.get(gram, ()):
            if frequent[longer] >= (0.5 if longer in cues else 0.8) * frequent[gram]:
                return longer
        return gram

    def score(gram: str) -> float:
        share = frequent[gram] / size
        outside = (doc_freq[gram] - frequent[gram]) / rest if rest else 0.0
        return share * share / (share + outside) * (LABEL_CUE_BONUS if gram in cues else 1.0)

    def overlaps(a: str, b: str) -> bool:
        if a in b or b in a:
            return True
        return any(
            (a[-k:] == b[:k] and a + b[k:] in inside) or (b[-k:] == a[:k] and b + a[k:] in inside)
            for k in range(1, min(len(a), len(b)))
        )

    candidates = sorted(
        {extend(g) for g in frequent if len(g) == 2 or g in cues},
        key=lambda g: (-score(g), -len(g), g),
    )
    chosen: list[str] = []
    for term in candidates:
        if not any(overlaps(term, c) for c in chosen):
            chosen.append(term)
            if len(chosen) == count:
                break
    return chosen


def group_opinions(
    opinions: Sequence[tuple[Hashable, str]],
    *,
    max_groups: int | None = None,
    min_similarity: float = DEFAULT_MIN_SIMILARITY,
) -> list[Group]:
    """Group ``(key, text)`` opinions by subject, largest group first.

    ``min_similarity`` (0–1): the average cosine similarity two groups need to merge; lower
    gives fewer, broader groups, higher more, narrower ones. ``max_groups``: at most this many
    groups are returned; when there are more, the ``max_groups - 1`` largest are kept and the
    rest are pooled into a last group labelled :data:`OTHER_LABEL`. Opinions without any letter
    or digit form a last group labelled :data:`EMPTY_LABEL`. Every key is returned exactly once;
    groups of equal size are in a fixed order that does not depend on the input order.
    """
    if max_groups is not None and max_groups < 1:
        raise ValueError("max_groups must be at least 1")
    if not 0.0 <= min_similarity <= 1.0:
        raise ValueError("min_similarity must be between 0 and 1")

    # Distinct (content, concepts), sorted, so that nothing below depends on the input order.
    by_text: dict[tuple[str, tuple[tuple[str, float], ...]], list[int]] = defaultdict(list)
    empty: list[int] = []
    for index, (_key, text) in enumerate(opinions):
        content = _content(text or "")
        if content:
            by_text[content, tuple(sorted(concepts_of(text).items()))].append(index)
        else:
            empty.append(index)
    distinct = sorted(by_text)
    contents = [content for content, _ in distinct]
    concepts = [dict(found) for _, found in distinct]
    weights = [len(by_text[d]) for d in distinct]

    # (first distinct text, opinion indices, label, typical indices, concept)
    found: list[tuple[tuple, list[int], str, list[int], str | None]] = []
    if distinct:
        matrix = _vectorise(contents, concepts)
        members_of: dict[int, list[int]] = defaultdict(list)
        for row, cluster in enumerate(_cluster(matrix, min_similarity)):
            members_of[cluster].append(row)
        grams = [_ngrams(c) for c in contents]
        doc_freq: Counter[str] = Counter()
        for row, row_grams in enumerate(grams):
            for gram in row_grams:
                doc_freq[gram] += weights[row]
        for members in members_of.values():
            rows = matrix[members]
            centroid = rows.T @ np.array([weights[m] for m in members], dtype=float)
            closeness = rows @ centroid
            # Most central first; on a tie the text given on more cards, then the canonical order.
            central = sorted(
                range(len(members)), key=lambda j: (-closeness[j], -weights[members[j]], members[j])
            )
            typical = [by_text[distinct[members[j]]][0] for j in central[:TYPICAL_COUNT]]
            indices = sorted(i for m in members for i in by_text[distinct[m]])
            concept = _main_concept(members, weights, concepts)
            if len(members) == 1:
                label = _shorten(opinions[typical[0]][1])
            else:
                count = LABEL_TERMS - (concept is not None)
                terms = _terms(members, weights, grams, doc_freq, sum(weights), concept, count)
                label = " / ".join(terms)
                if concept:
                    label = f"{concept}：{label}" if label else concept
                label = label or _shorten(opinions[typical[0]][1])
            found.append((distinct[members[0]], indices, label, typical, concept))

    found.sort(key=lambda g: (-len(g[1]), g[0]))
    groups = [(indices, label, typical, concept) for _, indices, label, typical, concept in found]
    if max_groups is not None and len(groups) + bool(empty) > max_groups:
        kept, pooled = groups[: max_groups - 1], groups[max_groups - 1 :]
        rest = sorted([i for g in pooled for i in g[0]] + empty)
        typical = [i for g in pooled for i in g[2][:1]][:TYPICAL_COUNT]
        groups, empty = [*kept, (rest, OTHER_LABEL, typical or rest[:TYPICAL_COUNT], None)], []
    if empty:
        groups.append((empty, EMPTY_LABEL, empty[:TYPICAL_COUNT], None))

    return [
        Group(
            label=label,
            keys=tuple(opinions[i][0] for i in indices),
            typical=tuple(opinions[i][0] for i in typical),
            size=len(indices),
            concept=concept,
        )
        for indices, label, typical, concept in groups
    ]
