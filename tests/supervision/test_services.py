"""Services of the supervision step (§五.3): progress, evidence, inspections, rectifications,
adjustments — permission, bad input (nothing saved), state and audit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from jiannuo.core.errors import ConflictError, ServiceError
from jiannuo.core.models import AuditEntry, Transition
from jiannuo.pledges.models import Letter
from jiannuo.supervision import rules, services
from jiannuo.supervision.models import (
    Adjustment,
    Evidence,
    Inspection,
    InspectionFinding,
    ItemState,
    Progress,
)
from tests.factories import make_signed_letter

from .conftest import JPEG, PDF, PNG, upload


def counts():
    return (
        ItemState.objects.count(),
        Progress.objects.count(),
        Evidence.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_responsible_cadre_records_progress_with_a_photo(year, cast):
    letter = year.director.letter
    report = services.progress_record(
        actor=cast.director,
        letter=letter,
        item_code="2",
        status=rules.IN_PROGRESS,
        percent=40,
        measured="1.2公里",
        note="路基完成",
        public=True,
        files=[upload(JPEG, "a.jpg"), upload(PDF, "b.pdf")],
    )
    state = ItemState.objects.get(letter=letter, item_code="2")
    assert (state.status, state.percent, state.public_percent) == ("in_progress", 40, 40)
    assert state.public_version == 1
    evs = list(report.evidence.order_by("id"))
    assert [e.content_type for e in evs] == ["image/jpeg", "application/pdf"]
    assert all(len(e.sha256) == 64 and e.public for e in evs)
    assert evs[0].file.read() == JPEG
    assert AuditEntry.objects.filter(action="progress.record").count() == 1
    assert AuditEntry.objects.filter(action="evidence.add").count() == 2
    assert Transition.objects.filter(object_type="supervision.itemstate", to_state="in_progress")


def test_progress_survives_a_new_item_row_with_the_same_code(year, cast):
    """Progress is keyed by (letter, item code), not by the item row of one version."""
    letter = year.member.letter
    services.progress_record(
        actor=cast.member, letter=letter, item_code="1", status="in_progress", percent=30
    )
    state = ItemState.objects.get(letter=letter, item_code="1")
    assert state.reports.get().item.letter_version_id == year.member.version_id


@pytest.mark.parametrize(
    "who",
    ["member", "supervisor", "voter", "branch_a2", "secretary_b", "outsider", "staff_a"],
)
def test_only_the_holder_of_the_responsible_post_records(year, cast, who):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.progress_record(
            actor=getattr(cast, who),
            letter=year.director.letter,
            item_code="1",
            status="in_progress",
            percent=10,
        )
    assert counts() == before


def test_branch_secretary_records_the_team_items(year, cast):
    services.progress_record(
        actor=cast.branch, letter=year.team.letter, item_code="1", status="in_progress", percent=5
    )
    with pytest.raises(PermissionDenied):
        services.progress_record(
            actor=cast.director,
            letter=year.team.letter,
            item_code="1",
            status="in_progress",
            percent=5,
        )


@pytest.mark.parametrize(
    "status, percent, code",
    [
        ("fulfilled", 80, "fulfilled_not_100"),
        ("not_started", 10, "not_started_not_0"),
        ("in_progress", 101, "percent_range"),
        ("in_progress", None, "percent_missing"),
        ("adjusted", 50, "status_unknown"),
        ("done", 50, "status_unknown"),
    ],
)
def test_bad_progress_is_refused_and_nothing_saved(year, cast, status, percent, code):
    before = counts()
    with pytest.raises(ServiceError) as err:
        services.progress_record(
            actor=cast.member,
            letter=year.member.letter,
            item_code="1",
            status=status,
            percent=percent,
        )
    assert err.value.code == code
    assert counts() == before


def test_progress_on_a_letter_not_signed_is_refused(tree, cast, system, year):
    from jiannuo.signing.models import SignedLetter

    signed = make_signed_letter(
        tree.a1, tree.term, Letter.MEMBER, year.posts.member, year=2025, items=1
    )
    SignedLetter.objects.filter(pk=signed.pk).update(signed_at=None)
    before = counts()
    with pytest.raises(ServiceError) as err:
        services.progress_record(
            actor=cast.member, letter=signed.letter, item_code="1", status="fulfilled"
        )
    assert err.value.code == "not_signed"
    assert counts() == before


@pytest.mark.parametrize(
    "content, name, code",
    [
        (b"#!/bin/sh\nrm -rf /\n", "photo.jpg", "file_type"),  # a script named .jpg
        (b"<html><script>alert(1)</script>", "x.png", "file_type"),
        (b"", "empty.jpg", "empty"),
    ],
)
def test_disguised_or_empty_uploads_are_refused(year, cast, content, name, code):
    before = counts()
    with pytest.raises(ServiceError) as err:
        services.progress_record(
            actor=cast.member,
            letter=year.member.letter,
            item_code="1",
            status="in_progress",
            percent=10,
            files=[upload(JPEG, "ok.jpg"), upload(content, name)],
        )
    assert err.value.code == code
    assert counts() == before


def test_oversized_upload_is_refused(year, cast, big_file):
    before = counts()
    with pytest.raises(ServiceError) as err:
        services.evidence_add(
            actor=cast.member, letter=year.member.letter, item_code="1", upload=big_file
        )
    assert err.value.code == "too_large"
    assert counts() == before


def test_stale_version_is_a_conflict(year, cast):
    letter = year.member.letter
    services.progress_record(
        actor=cast.member, letter=letter, item_code="1", status="in_progress", percent=10
    )
    with pytest.raises(ConflictError):
        services.progress_record(
            actor=cast.member,
            letter=letter,
            item_code="1",
            status="in_progress",
            percent=20,
            version=1,
        )
    assert ItemState.objects.get(letter=letter, item_code="1").percent == 10


def test_published_evidence_is_retracted_never_deleted(year, cast):
    ev = services.evidence_add(
        actor=cast.member,
        letter=year.member.letter,
        item_code="1",
        upload=upload(PNG, "p.png"),
        public=True,
    )
    with pytest.raises(ServiceError) as err:
        services.evidence_delete(actor=cast.member, evidence=ev)
    assert err.value.code == "published"
    with pytest.raises(ServiceError):
        services.evidence_retract(actor=cast.member, evidence=ev, reason="  ")
    with pytest.raises(PermissionDenied):
        services.evidence_retract(actor=cast.director, evidence=ev, reason="不是我传的")
    before = ItemState.objects.get(pk=ev.state_id).public_version
    services.evidence_retract(actor=cast.branch, evidence=ev, reason="照片拍错了村")
    ev.refresh_from_db()
    assert (
        ev.retracted_at and ev.retract_reason == "照片拍错了村" and ev.retracted_by == cast.branch
    )
    assert ItemState.objects.get(pk=ev.state_id).public_version == before + 1
    assert Evidence.objects.filter(pk=ev.pk).exists()
    with pytest.raises(ConflictError):
        services.evidence_retract(actor=cast.branch, evidence=ev, reason="again")


def test_private_evidence_may_be_deleted_by_its_uploader(year, cast):
    ev = services.evidence_add(
        actor=cast.member, letter=year.member.letter, item_code="1", upload=upload()
    )
    services.evidence_delete(actor=cast.member, evidence=ev)
    assert not Evidence.objects.filter(pk=ev.pk).exists()
    assert AuditEntry.objects.filter(action="evidence.delete").exists()


def test_inspection_rectification_and_signoff(year, cast):
    insp = services.inspection_record(
        actor=cast.staff_a,
        village=year.team.letter.village,
        kind=Inspection.UNANNOUNCED,
        day=date(2026, 4, 1),
        inspectors="镇督查组 王强",
        findings=[
            {
                "letter": year.director.letter,
                "item_code": "2",
                "text": "进度滞后",
                "rectify_by": date(2026, 4, 30),
            },
            {"letter": year.member.letter.pk, "item_code": "1", "text": "台账齐全"},
        ],
    )
    f1, f2 = insp.findings.order_by("id")
    assert (f1.state, f2.state) == (rules.RECT_OPEN, rules.RECT_NONE)
    with pytest.raises(PermissionDenied):
        services.rectification_respond(actor=cast.member, finding=f1, response="已整改")
    with pytest.raises(ServiceError):
        services.rectification_respond(actor=cast.branch, finding=f1, response=" ")
    with pytest.raises(ServiceError):  # nothing to sign off yet
        services.rectification_signoff(actor=cast.staff_a, finding=f1, accept=True)
    services.rectification_respond(actor=cast.branch, finding=f1, response="已组织施工队进场")
    with pytest.raises(ServiceError):  # a refusal needs reasons
        services.rectification_signoff(actor=cast.staff_a, finding=f1, accept=False)
    services.rectification_signoff(actor=cast.staff_a, finding=f1, accept=False, note="无照片")
    f1.refresh_from_db()
    assert f1.state == rules.RECT_OPEN
    services.rectification_respond(actor=cast.director, finding=f1, response="补充照片")
    with pytest.raises(PermissionDenied):
        services.rectification_signoff(actor=cast.secretary_b, finding=f1, accept=True)
    services.rectification_signoff(actor=cast.deputy_a, finding=f1, accept=True)
    f1.refresh_from_db()
    assert f1.state == rules.RECT_CLOSED
    steps = Transition.objects.filter(object_type="supervision.finding", object_id=str(f1.pk))
    assert [t.action for t in steps] == ["record", "respond", "reject", "respond", "accept"]


@pytest.mark.parametrize(
    "who, kwargs, exc",
    [
        ("branch", {}, PermissionDenied),
        ("secretary_b", {}, PermissionDenied),
        ("staff_a", {"kind": "surprise"}, ServiceError),
        ("staff_a", {"inspectors": ""}, ServiceError),
        ("staff_a", {"day": date(2099, 1, 1)}, ServiceError),
        ("staff_a", {"findings": [{"letter": 0, "item_code": "1", "text": "x"}]}, ServiceError),
        ("staff_a", {"findings": [{"item_code": "9", "text": "x", "letter": "L"}]}, ServiceError),
        (
            "staff_a",
            {
                "findings": [
                    {"item_code": "1", "text": "x", "letter": "L", "rectify_by": date(2026, 3, 1)}
                ]
            },
            ServiceError,
        ),
    ],
)
def test_bad_inspections_are_refused(year, cast, who, kwargs, exc):
    for f in kwargs.get("findings", []):
        if f["letter"] == "L":
            f["letter"] = year.member.letter
    args = {
        "village": year.team.letter.village,
        "kind": "scheduled",
        "day": date(2026, 4, 1),
        "inspectors": "镇督查组",
        **kwargs,
    }
    before = (Inspection.objects.count(), InspectionFinding.objects.count(), counts())
    with pytest.raises(exc):
        services.inspection_record(actor=getattr(cast, who), **args)
    assert (Inspection.objects.count(), InspectionFinding.objects.count(), counts()) == before


def test_adjustment_for_objective_reasons(year, cast):
    letter = year.team.letter
    with pytest.raises(PermissionDenied):
        services.adjustment_request(
            actor=cast.member, letter=letter, item_code="2", reason="x", new_target="y"
        )
    with pytest.raises(ServiceError):
        services.adjustment_request(actor=cast.branch, letter=letter, item_code="2", reason="暴雨")
    adj = services.adjustment_request(
        actor=cast.branch,
        letter=letter,
        item_code="2",
        reason="七月特大暴雨冲毁路基",
        new_target="完成2公里",
        new_deadline=date(2026, 12, 31),
        upload=upload(PDF, "灾情报告.pdf"),
    )
    with pytest.raises(ConflictError):
        services.adjustment_request(
            actor=cast.branch, letter=letter, item_code="2", reason="再次", new_target="z"
        )
    with pytest.raises(PermissionDenied):
        services.adjustment_decide(actor=cast.staff_a, adjustment=adj, approve=True)
    with pytest.raises(ServiceError):
        services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=False)
    services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=True, note="同意")
    state = ItemState.objects.get(letter=letter, item_code="2")
    assert state.status == rules.ADJUSTED
    assert (state.adjusted_target, state.adjusted_deadline) == ("完成2公里", date(2026, 12, 31))
    assert state.adjusted_reason == "七月特大暴雨冲毁路基"
    assert Adjustment.objects.get().evidence.content_type == "application/pdf"
    with pytest.raises(ConflictError):
        services.adjustment_decide(actor=cast.deputy_a, adjustment=adj, approve=True)


def test_a_failed_report_leaves_no_file_behind(year, cast, settings, monkeypatch):
    """Nothing is half-saved, not even on disk: the stored photo goes with the rollback."""
    from pathlib import Path

    from jiannuo.core import audit

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", boom)
    before = counts()
    with pytest.raises(RuntimeError):
        services.progress_record(
            actor=cast.member,
            letter=year.member.letter,
            item_code="1",
            status="in_progress",
            percent=10,
            files=[upload()],
        )
    assert counts() == before
    media = Path(settings.MEDIA_ROOT)
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_approved_adjustment_opens_a_new_letter_version(year, cast):
    """A signed letter changes only by a new version (DOMAIN.md): the approval starts it
    through the signing step's service, carrying the adjusted item; the signed version stays
    in force meanwhile."""
    from jiannuo.pledges.models import LetterVersion
    from jiannuo.supervision import selectors

    letter = year.team.letter
    adj = services.adjustment_request(
        actor=cast.branch, letter=letter, item_code="3", reason="上级政策调整", new_target="50%"
    )
    adj = services.adjustment_decide(actor=cast.secretary_a, adjustment=adj, approve=True)
    letter.refresh_from_db()
    assert adj.new_version == 2 == letter.current_number
    assert LetterVersion.objects.filter(letter=letter).count() == 2
    rows = [r for r in selectors.tracked(cast.branch, letters=[letter]) if r.item.code == "3"]
    assert rows[0].signed.pk == year.team.pk and rows[0].target == "50%"
    # Progress is still reported on the signed version in force.
    services.progress_record(
        actor=cast.branch, letter=letter, item_code="3", status="in_progress", percent=10
    )
    # A second adjustment while the change is open for editing goes into the same version.
    adj2 = services.adjustment_request(
        actor=cast.branch, letter=letter, item_code="4", reason="资金延后", new_target="60%"
    )
    adj2 = services.adjustment_decide(actor=cast.deputy_a, adjustment=adj2, approve=True)
    assert adj2.new_version == 2
    assert LetterVersion.objects.filter(letter=letter).count() == 2
    v2 = LetterVersion.objects.get(letter=letter, number=2)
    assert dict(v2.items.values_list("code", "target")) == {
        "1": "完成10%",
        "2": "完成20%",
        "3": "50%",
        "4": "60%",
    }
