"""Adjustment for objective reasons (§五.3, issue #5.5): the township's approval opens the new
version of the signed letter already carrying the adjusted item, written through the pledges
services (by the system account, with an audit row naming the adjustment and the approving
official, when the official may not edit letters); the rest of the letter is unchanged;
nothing is saved when any part fails. The new version then goes the normal way — joint
meeting, consultation, approval, vote, signing — and once signed the bulletin shows it in
force with the adjustment's reason.
"""

from __future__ import annotations

from datetime import date

import pytest

from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.pledges import rules as pledge_rules
from jiannuo.pledges import services as pledge_services
from jiannuo.pledges.models import LetterVersion, PledgeItem
from jiannuo.signing.models import SignedLetter
from jiannuo.supervision import rules, services
from jiannuo.supervision.models import Adjustment, ItemState
from tests.pledges.conftest import reload
from tests.signing import test_changes as changes
from tests.signing.test_changes import SECOND, _approve, _board, _ceremony, _current, _vote_and_sign

# The signing step's fixtures of a letter signed through the real workflow (reused, not copied).
signed_v1 = changes.signed_v1
_empty_cache = changes._empty_cache


def _items(version):
    """Everything of a version's items that the adjustment must leave alone or change."""
    return {
        i.code: (
            i.position,
            i.category,
            i.text,
            i.target,
            i.deadline,
            i.responsible_post_id,
            tuple(sorted(i.breaks_down.values_list("pk", flat=True))),
            tuple(sorted(i.answers_hot_issues.values_list("pk", flat=True))),
            tuple(sorted(i.answers_tasks.values_list("pk", flat=True))),
        )
        for i in version.items.order_by("position")
    }


def _clauses(version):
    return list(
        version.clauses.order_by("position").values_list(
            "code", "category", "trigger", "measure", "amount"
        )
    )


def _saved():
    """What an approval writes: compared before and after a refused or failed one."""
    return (
        LetterVersion.objects.count(),
        PledgeItem.objects.count(),
        AuditEntry.objects.count(),
        Transition.objects.count(),
        list(Adjustment.objects.order_by("id").values_list("state", "new_version")),
        list(
            ItemState.objects.order_by("id").values_list(
                "status", "adjusted_target", "adjusted_at", "public_version"
            )
        ),
        list(SignedLetter.objects.order_by("id").values_list("change_reason", "superseded_at")),
    )


def _letters_part(page):
    """The board's letters, before the supervision section (which lists the adjustments)."""
    return page.split('id="supervision-progress"')[0]


def _request(cast, letter, code="2", **kwargs):
    data = {
        "reason": "七月特大暴雨冲毁路基",
        "new_text": "委员承诺2（因灾调整为年内完成2公里）",
        "new_target": "完成2公里",
        "new_deadline": date(2026, 12, 31),
        **kwargs,
    }
    return services.adjustment_request(actor=cast.branch, letter=letter, item_code=code, **data)


def test_approval_opens_the_new_version_with_the_adjusted_item(year, cast, system):
    """The township deputy may not edit letters: the system account writes the item, and the
    audit trail says which approved adjustment and which official made it do so."""
    letter = year.member.letter  # item 2 breaks down the team's item 3: the link is kept
    v1 = year.member.version
    v1_before = (_items(v1), _clauses(v1))
    assert not pledge_services.can_edit(cast.deputy_a, letter)

    adj = _request(cast, letter)
    adj = services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=True, note="同意")

    letter = reload(letter)
    v2 = LetterVersion.objects.get(letter=letter, number=2)
    assert adj.new_version == 2 == letter.current_number
    assert v2.state == letter.state == pledge_rules.RETURNED  # editable, then the workflow
    after = _items(v2)
    expected = dict(v1_before[0])
    pos, cat, _text, _target, _deadline, post, links, hot, tasks = expected["2"]
    expected["2"] = (
        pos,
        cat,
        "委员承诺2（因灾调整为年内完成2公里）",
        "完成2公里",
        date(2026, 12, 31),
        post,
        links,
        hot,
        tasks,
    )
    assert after == expected  # the adjusted item carries the new values; the rest unchanged
    assert links == (year.team.items[2].pk,)
    assert _clauses(v2) == v1_before[1]
    assert (_items(v1), _clauses(v1)) == v1_before  # the signed version is untouched
    year.member.refresh_from_db()
    assert year.member.in_force and "七月特大暴雨冲毁路基" in year.member.change_reason

    item = v2.items.get(code="2")
    apply = AuditEntry.objects.get(action="adjustment.apply_to_letter")
    assert (apply.actor_id, apply.actor_label) == (system.pk, "system")
    assert (apply.object_type, apply.object_id) == ("pledges.pledgeitem", str(item.pk))
    assert apply.unit_id == letter.village_id
    assert apply.changes["adjustment"] == adj.pk
    assert apply.changes["approved_by"] == cast.deputy_a.username
    assert apply.changes["approved_by_id"] == cast.deputy_a.pk
    assert apply.changes["edited_by_system"] is True
    assert apply.changes["reason"] == "七月特大暴雨冲毁路基"
    assert (apply.changes["version"], apply.changes["item"]) == (2, "2")
    assert apply.changes["target"] == ["完成20%", "完成2公里"]
    edit = AuditEntry.objects.get(action="pledge_item.update")
    assert (edit.actor_id, edit.object_id) == (system.pk, str(item.pk))
    assert edit.changes["deadline"] == [str(date(2026, 6, 30)), str(date(2026, 12, 31))]
    amend = AuditEntry.objects.get(action="letter.amend_after_signing")
    assert amend.actor_id == cast.deputy_a.pk
    decided = AuditEntry.objects.get(action="adjustment.approved")
    assert (decided.actor_id, decided.changes["new_version"]) == (cast.deputy_a.pk, 2)
    t = Transition.objects.get(action="amend_after_signing")
    assert "七月特大暴雨冲毁路基" in t.note
    state = ItemState.objects.get(letter=letter, item_code="2")
    assert state.status == rules.ADJUSTED and state.adjusted_target == "完成2公里"


def test_only_the_changed_fields_are_adjusted(year, cast):
    """A request that changes only the deadline keeps the item's text and target."""
    letter = year.team.letter
    adj = services.adjustment_request(
        actor=cast.branch,
        letter=letter,
        item_code="1",
        reason="上级资金延后拨付",
        new_deadline=date(2026, 11, 30),
    )
    services.adjustment_decide(actor=cast.secretary_a, adjustment=adj, approve=True)
    v1_item = year.team.items[0]
    v2_item = LetterVersion.objects.get(letter=letter, number=2).items.get(code="1")
    assert (v2_item.text, v2_item.target) == (v1_item.text, v1_item.target)
    assert v2_item.deadline == date(2026, 11, 30)


def test_an_official_who_may_edit_letters_edits_as_themself(year, cast, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    adj = _request(cast, year.team.letter, code="3", new_text="")
    services.adjustment_decide(actor=admin, adjustment=adj, approve=True)
    apply = AuditEntry.objects.get(action="adjustment.apply_to_letter")
    assert apply.actor_id == admin.pk and apply.changes["edited_by_system"] is False
    assert AuditEntry.objects.get(action="pledge_item.update").actor_id == admin.pk


def test_a_failure_inside_the_approval_saves_nothing(year, cast, monkeypatch):
    """The item is written, then something fails: the decision, the new version, the edit, the
    item's adjusted state and every audit row go with the rollback."""
    adj = _request(cast, year.team.letter)
    real = pledge_services.item_update

    def update_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(pledge_services, "item_update", update_then_fail)
    before = _saved()
    letter_before = reload(year.team.letter)
    with pytest.raises(RuntimeError):
        services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=True)
    assert _saved() == before
    letter = reload(year.team.letter)
    assert (letter.state, letter.current_number, letter.version) == (
        letter_before.state,
        letter_before.current_number,
        letter_before.version,
    )
    adj.refresh_from_db()
    assert adj.state == rules.ADJ_REQUESTED and adj.decided_by is None

    # A refusal by the pledges service (a ServiceError) rolls back the same way.
    def refuse(**kwargs):
        raise ServiceError("refused", code="refused")

    monkeypatch.setattr(pledge_services, "item_update", refuse)
    with pytest.raises(ServiceError):
        services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=True)
    assert _saved() == before

    # Rejection writes no version.
    monkeypatch.setattr(pledge_services, "item_update", real)
    services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=False, note="证据不足")
    assert LetterVersion.objects.filter(letter=year.team.letter).count() == 1


def test_adjusted_version_goes_the_normal_path_to_the_board(client, signed_v1, cast, tree):
    """No retyping: the approved version goes through the joint meeting, consultation,
    approval, vote and signing; then the board shows it in force with the reason."""
    v1_signed, member, party, rep2 = signed_v1
    item = v1_signed.version.items.get(category="work_goal")
    assert item.text == "负责年内硬化村内道路3公里"
    adj = services.adjustment_request(
        actor=cast.branch,
        letter=member,
        item_code=item.code,
        reason="道路规划调整，部分路段改线",
        new_text="负责年内硬化村内道路2公里",
        new_target="2公里",
        new_deadline=date(2026, 12, 31),
    )
    services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=True, note="同意")
    v2 = _current(member)
    assert v2.number == 2
    adjusted = v2.items.get(code=item.code)
    assert (adjusted.text, adjusted.target, adjusted.deadline) == (
        "负责年内硬化村内道路2公里",
        "2公里",
        date(2026, 12, 31),
    )

    # Until the new version is signed, the signed one is in force, marked as adjusted.
    page = _board(client, tree)
    letters = _letters_part(page)
    assert "负责年内硬化村内道路3公里" in letters and "负责年内硬化村内道路2公里" not in letters
    assert f'data-adjusted="{item.code}"' in page and "道路规划调整" in page
    assert "data-adjusted-version" not in page

    member = _approve([reload(member)], cast, tree)[0]
    c2 = _ceremony(cast, tree, SECOND, [party, rep2, cast.voter_person])
    v2_signed = _vote_and_sign(c2, member, cast, party)
    v1_signed.refresh_from_db()
    assert v2_signed.in_force and v1_signed.superseded_by == v2_signed
    assert services.signed_in_force(member) == v2_signed
    assert services.item_in_force(member, item.code).text == "负责年内硬化村内道路2公里"

    page = _board(client, tree)
    letters = _letters_part(page)
    assert "负责年内硬化村内道路2公里" in letters and "负责年内硬化村内道路3公里" not in letters
    assert f'data-adjusted="{item.code}" data-adjusted-version="2"' in page
    assert "第2版因客观原因调整" in page  # the board is rendered in Chinese
    assert "道路规划调整，部分路段改线" in page
    assert "→ v2" in page  # the history: v1 superseded, with the reason for the change


def test_second_adjustment_goes_into_the_open_version_or_waits(signed_v1, cast, tree):
    """While the new version is open for editing a second approved adjustment goes into it;
    once it is in the approval workflow the approval is refused and nothing is saved."""
    v1_signed, member, *_ = signed_v1
    codes = list(v1_signed.version.items.order_by("position").values_list("code", flat=True))
    first = _request(cast, member, code=codes[0], new_text="", new_target="2公里")
    services.adjustment_decide(actor=cast.deputy_a, adjustment=first, approve=True)
    second = _request(cast, member, code=codes[1], new_text="", new_target="覆盖率90%")
    second = services.adjustment_decide(actor=cast.deputy_a, adjustment=second, approve=True)
    assert second.new_version == 2
    assert LetterVersion.objects.filter(letter=member).count() == 2
    v2 = _current(member)
    assert v2.items.get(code=codes[0]).target == "2公里"
    assert v2.items.get(code=codes[1]).target == "覆盖率90%"

    pledge_services.letter_submit_to_joint_meeting(actor=cast.branch, letter=reload(member))
    third = _request(cast, member, code=codes[2], new_text="", new_target="11次")
    before = _saved()
    with pytest.raises(ConflictError) as exc:
        services.adjustment_decide(actor=cast.deputy_a, adjustment=third, approve=True)
    assert exc.value.code == "change_under_way"
    assert _saved() == before
