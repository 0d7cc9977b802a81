"""Grouping villagers' opinions into hot issues (jiannuo.opinions.grouping).

Plain Python: no database, no Django settings.

Thresholds for the fixture (``tests/fixtures/opinions_zh.py``, 8 topics of 11 opinions): for each
topic, its *majority group* (the group holding most of its opinions) must hold at least 80% of
the topic (recall) and be at least 80% that topic (purity). 80% of 11 tolerates two strays per
topic: the fixture contains opinions that touch a neighbouring topic (a finance card about
修路 money, a lighting card about a 文化广场), as real cards do, and a person would accept a hot
issue list where such a card sits elsewhere. Below that, a topic would be visibly split or
polluted. The majority groups must also be eight different groups, or two topics were merged.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jiannuo.opinions.grouping import (
    CONCEPTS,
    DEFAULT_MIN_SIMILARITY,
    EMPTY_LABEL,
    OTHER_LABEL,
    Group,
    clean_text,
    concepts_of,
    group_opinions,
)
from tests.fixtures.opinions_zh import (
    ELDERLY,
    FINANCE,
    IRRIGATION,
    LIGHT,
    OPINIONS,
    ROAD,
    SANITATION,
    SCHOOL,
    TOPICS,
    WATER,
)

RECALL = 0.8
PURITY = 0.8

# The lexicon heading each fixture topic is expected to be labelled with.
HEADING = {
    ROAD: "道路交通",
    LIGHT: "路灯照明",
    WATER: "饮水安全",
    SANITATION: "环境卫生",
    FINANCE: "财务公开",
    ELDERLY: "看病养老",
    IRRIGATION: "农田水利",
    SCHOOL: "上学接送",
}


def keyed(opinions=OPINIONS):
    """``(key, text)`` pairs with the fixture index as key, and the key → topic map."""
    return [(i, text) for i, (_, text) in enumerate(opinions)], {
        i: topic for i, (topic, _) in enumerate(opinions)
    }


def partition(groups: list[Group]) -> set[frozenset]:
    return {frozenset(g.keys) for g in groups}


def majority_groups(groups: list[Group], topic_of: dict) -> dict[str, tuple[Group, float, float]]:
    """For each topic: its majority group, recall and purity."""
    result = {}
    for topic in sorted(set(topic_of.values())):
        total = sum(1 for t in topic_of.values() if t == topic)
        group = max(groups, key=lambda g: sum(topic_of[k] == topic for k in g.keys))
        hits = sum(topic_of[k] == topic for k in group.keys)
        result[topic] = (group, hits / total, hits / group.size)
    return result


# The fixture itself --------------------------------------------------------------------------


def test_fixture_is_big_and_varied_enough():
    topics = Counter(topic for topic, _ in OPINIONS)
    assert len(OPINIONS) >= 60
    assert set(topics) == set(TOPICS) and len(TOPICS) >= 6
    assert min(topics.values()) >= 8
    assert len({text for _, text in OPINIONS}) == len(OPINIONS)


# Quality on the fixture -----------------------------------------------------------------------


def test_every_topic_is_found_whole_and_pure():
    opinions, topic_of = keyed()
    groups = group_opinions(opinions)
    found = majority_groups(groups, topic_of)

    report = {t: (round(r, 2), round(p, 2), g.label) for t, (g, r, p) in found.items()}
    for _group, recall, purity in found.values():
        assert recall >= RECALL, report
        assert purity >= PURITY, report
    # Eight topics, eight different groups: no two topics were merged.
    assert len({id(g) for g, _, _ in found.values()}) == len(TOPICS), report


def test_topic_groups_are_labelled_with_their_heading_and_shared_terms():
    opinions, topic_of = keyed()
    groups = group_opinions(opinions)
    for topic, (group, _, _) in majority_groups(groups, topic_of).items():
        assert group.concept == HEADING[topic]
        assert group.label.startswith(HEADING[topic] + "：")
        terms = group.label.split("：", 1)[1].split(" / ")
        assert 1 <= len(terms) <= 2
        texts = [opinions[k][1] for k in group.keys]
        for term in terms:
            # A term is shared by at least two of the group's opinions, not invented.
            assert sum(term in text for text in texts) >= 2, (group.label, term)
    labels = {g.label for g in groups}
    assert "路灯照明：路灯 / 不亮" in labels
    assert any(label.startswith("饮水安全：自来水") for label in labels)


def test_typical_opinions_are_central_members_with_distinct_texts():
    opinions, topic_of = keyed()
    for group in group_opinions(opinions):
        assert 1 <= len(group.typical) <= 3
        assert len(group.typical) == min(3, len({opinions[k][1] for k in group.keys}))
        assert set(group.typical) <= set(group.keys)
        if group.size >= 5:
            majority = Counter(topic_of[k] for k in group.keys).most_common(1)[0][0]
            assert all(topic_of[k] == majority for k in group.typical)


@pytest.mark.parametrize("min_similarity", [0.15, DEFAULT_MIN_SIMILARITY, 0.35])
def test_quality_does_not_hang_on_one_exact_threshold(min_similarity):
    opinions, topic_of = keyed()
    found = majority_groups(group_opinions(opinions, min_similarity=min_similarity), topic_of)
    assert all(r >= RECALL and p >= PURITY for _, r, p in found.values())


def test_min_similarity_moves_from_one_group_to_singletons():
    opinions, _ = keyed()
    assert len(group_opinions(opinions, min_similarity=0.0)) == 1
    assert len(group_opinions(opinions, min_similarity=1.0)) == len(opinions)


def test_groups_are_sorted_by_size_and_cover_every_key_once():
    opinions, _ = keyed()
    groups = group_opinions(opinions)
    sizes = [g.size for g in groups]
    assert sizes == sorted(sizes, reverse=True)
    assert all(g.size == len(g.keys) for g in groups)
    keys = [k for g in groups for k in g.keys]
    assert sorted(keys) == list(range(len(opinions)))
    for group in groups:
        assert list(group.keys) == sorted(group.keys)  # input order within a group


# Determinism ----------------------------------------------------------------------------------


def test_same_input_gives_the_same_output():
    opinions, _ = keyed()
    assert group_opinions(opinions) == group_opinions(list(opinions))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_shuffled_input_gives_the_same_partition_labels_and_order(seed):
    opinions, _ = keyed()
    shuffled = opinions[:]
    random.Random(seed).shuffle(shuffled)
    expected = group_opinions(opinions)
    actual = group_opinions(shuffled)
    assert partition(actual) == partition(expected)
    assert [(g.label, set(g.keys), set(g.typical)) for g in actual] == [
        (g.label, set(g.keys), set(g.typical)) for g in expected
    ]


def test_keys_can_be_any_hashable_and_are_returned_untouched():
    opinions = [(("card", 7), "路灯坏了"), ("visit-3", "晚上路灯不亮"), (None, "垃圾没人清运")]
    groups = group_opinions(opinions)
    assert [g.keys for g in groups] == [(("card", 7), "visit-3"), (None,)]


# Edge cases -----------------------------------------------------------------------------------


def test_no_opinions_give_no_groups():
    assert group_opinions([]) == []


def test_one_opinion_gives_one_group_labelled_with_its_text():
    [group] = group_opinions([(42, "村东头的水泥路压坏了好几处，坑坑洼洼的，建议尽快修补。")])
    assert group.keys == (42,) and group.typical == (42,) and group.size == 1
    assert group.label == "村东头的水泥路压坏了好几处，坑…"
    assert group.concept == "道路交通"
    [short] = group_opinions([(1, "路灯坏了")])
    assert short.label == "路灯坏了"


def test_duplicates_and_noise_variants_fall_together():
    opinions = [
        (1, "路灯坏了"),
        (2, "路灯坏了"),
        (3, "  路灯坏了！！ "),
        (4, "３组路灯坏了。"),  # full-width digit, another 村民小组
        (5, "希望村里能不能把路灯修一下"),
        (6, "垃圾没人清运"),
    ]
    groups = group_opinions(opinions)
    assert [g.keys for g in groups] == [(1, 2, 3, 4, 5), (6,)]
    # Identical cards are one typical opinion, not three.
    assert groups[0].typical == (1, 5)


def test_empty_and_punctuation_only_opinions_form_their_own_last_group():
    opinions = [(1, "。。。"), (2, ""), (3, "🙂 !!"), (4, "路灯坏了"), (5, "晚上路灯不亮")]
    groups = group_opinions(opinions)
    assert [(g.label, g.keys) for g in groups] == [
        ("路灯照明：路灯", (4, 5)),
        (EMPTY_LABEL, (1, 2, 3)),
    ]
    [only] = group_opinions([(1, "？？"), (2, "   ")])
    assert only.label == EMPTY_LABEL and only.keys == (1, 2)


def test_very_short_and_stop_word_only_opinions_are_kept():
    groups = group_opinions([(1, "路"), (2, "灯"), (3, "希望"), (4, "建议！")])
    assert sorted(k for g in groups for k in g.keys) == [1, 2, 3, 4]
    assert EMPTY_LABEL not in {g.label for g in groups}
    assert {g.label for g in groups if g.keys == (3,)} == {"希望"}


def test_numbers_and_ascii_do_not_make_opinions_alike():
    # Same group number and digits, different subjects: they must not be grouped by "3组".
    opinions = [(1, "3组路灯坏了"), (2, "3组自来水停了"), (3, "3组垃圾没人清")]
    assert [g.size for g in group_opinions(opinions)] == [1, 1, 1]
    # Mixed digits and letters inside content stay usable: U型渠 still groups with irrigation.
    groups = group_opinions(
        [(1, "希望把U型渠修到田头"), (2, "水渠漏水，田里灌不上水"), (3, "路灯不亮")]
    )
    assert [g.keys for g in groups] == [(1, 2), (3,)]


def test_opinions_outside_the_lexicon_group_on_shared_wording():
    opinions = [
        ("a", "公墓快满了"),
        ("b", "公墓收费太高"),
        ("c", "规划一块公益性公墓"),
        ("d", "公墓管理混乱"),
        ("e", "垃圾没人清运"),
        ("f", "垃圾桶太少"),
    ]
    groups = group_opinions(opinions)
    assert [(g.label, g.keys, g.concept) for g in groups] == [
        ("公墓", ("a", "b", "c", "d"), None),
        ("环境卫生：垃圾", ("e", "f"), "环境卫生"),
    ]


def test_max_groups_pools_the_smallest_groups_into_other():
    opinions, _ = keyed()
    opinions = [*opinions, (1000, "村口想建个篮球场"), (1001, "。。")]
    full = group_opinions(opinions)
    capped = group_opinions(opinions, max_groups=4)
    assert len(capped) == 4
    assert capped[:3] == full[:3]
    other = capped[3]
    assert other.label == OTHER_LABEL and other.concept is None
    assert set(other.keys) == {k for g in full[3:] for k in g.keys}
    assert 1 <= len(other.typical) <= 3 and set(other.typical) <= set(other.keys)
    # A cap that is not exceeded changes nothing.
    assert group_opinions(opinions, max_groups=len(full)) == full
    [everything] = group_opinions(opinions, max_groups=1)
    assert everything.label == OTHER_LABEL and everything.size == len(opinions)


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        group_opinions([(1, "路灯坏了")], max_groups=0)
    with pytest.raises(ValueError):
        group_opinions([(1, "路灯坏了")], min_similarity=1.5)


# The pieces -----------------------------------------------------------------------------------


def test_clean_text_strips_what_every_card_says():
    assert clean_text("希望村里能不能把路灯修一下！") == "路灯修"
    assert clean_text("建议我们组尽快解决自来水的问题。") == "自来水"
    assert clean_text("５组到村部那段200米土路") == "到村部 段 土路"
    # 一下 as in "whenever it rains" is content, not "a little".
    assert clean_text("一下雨就全是泥") == "一下雨就全 泥"


def test_concepts_prefer_the_longest_cue():
    assert concepts_of("路灯不亮") == {"路灯照明": 2.0}
    assert concepts_of("３组路灯坏了") == {"路灯照明": 1.0}  # not 组路 → road
    assert concepts_of("村卫生室没人") == {"看病养老": 1.0}  # not 卫生 → sanitation
    assert concepts_of("路边堆满垃圾") == {"环境卫生": 1.0}  # 路边 is a place
    assert concepts_of("今天天气不错") == {}
    assert all(words and len(set(words)) == len(words) for words in CONCEPTS.values())


# Scale ----------------------------------------------------------------------------------------

PLACES = (
    "王家湾 李庄 张家坝 石桥头 上湾 下湾 河东 河西 柳树沟 枣树岭 老屋场 大塘边 油坊 祠堂边".split()
)
TAILS = "拖了好久 大家意见很大 前年就提过 去年也反映过 好多户都这么说 年年都说 夏天更严重".split()


def synthetic(count: int, seed: int = 7):
    """Distinct opinions made from the fixture, each with a place, a house number and a tail."""
    rng = random.Random(seed)
    result = []
    for i in range(count):
        topic, text = rng.choice(OPINIONS)
        place, house, tail = rng.choice(PLACES), rng.randint(1, 30), rng.choice(TAILS)
        result.append((i, f"{place}{house}户反映：{text.rstrip('。！!？?')}，{tail}。", topic))
    return result


def test_two_thousand_opinions_are_grouped_into_the_topics():
    data = synthetic(2000)
    topic_of = {key: topic for key, _, topic in data}
    assert len({clean_text(text) for _, text, _ in data}) > 1500  # really distinct texts
    groups = group_opinions([(key, text) for key, text, _ in data])

    assert sorted(k for g in groups for k in g.keys) == list(range(2000))
    found = majority_groups(groups, topic_of)
    assert all(r >= RECALL and p >= PURITY for _, r, p in found.values())
    assert {g.concept for g, _, _ in found.values()} == set(HEADING.values())


# Properties -----------------------------------------------------------------------------------

cjk_texts = st.text(
    alphabet=st.sampled_from("路灯水垃圾账老人孩子田渠希望建议的了。，！ 0123abc🙂"), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(st.lists(cjk_texts, max_size=25), st.randoms(use_true_random=False))
def test_any_input_is_partitioned_and_order_does_not_matter(texts, rnd):
    opinions = list(enumerate(texts))
    groups = group_opinions(opinions)
    assert sorted(k for g in groups for k in g.keys) == list(range(len(texts)))
    assert all(g.size == len(g.keys) >= 1 and g.label for g in groups)
    ordinary = [g.size for g in groups if g.label != EMPTY_LABEL]
    assert ordinary == sorted(ordinary, reverse=True)
    shuffled = opinions[:]
    rnd.shuffle(shuffled)
    assert partition(group_opinions(shuffled)) == partition(groups)
