"""Roster import: every row validated, all or nothing, re-import updates (issue 2)."""

import io

import pytest

from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry
from jiannuo.organisation import services
from jiannuo.organisation.models import Person, Post
from tests.helpers import roster_file, row


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in their English source text."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _snapshot():
    return (Person.objects.count(), Post.objects.count(), AuditEntry.objects.count())


def test_a_valid_roster_is_imported_with_an_audit_trail(tree, cast):
    counts = services.roster_import(
        actor=cast.staff_a,
        unit=tree.a,
        upload=roster_file(
            [
                row(name="孙立新", phone="13800000001", post="村民代表"),
                row(name="孙立新", phone="13800000001", post="党员", start="1999-07-01"),
                row(
                    village="河口村",
                    name="周桂兰",
                    phone="13800000002",
                    post="村委会委员",
                    gender="女",
                ),
            ]
        ),
    )
    assert counts == {
        "people_created": 2,
        "people_updated": 0,
        "posts_created": 3,
        "posts_updated": 0,
    }
    sun = Person.objects.get(name="孙立新")
    assert sorted(sun.posts.values_list("kind", flat=True)) == [
        "party_member",
        "villager_representative",
    ]
    assert Person.objects.get(name="周桂兰").village == tree.a2
    assert AuditEntry.objects.filter(action="roster.import").count() == 1
    assert AuditEntry.objects.filter(action="post.assign", actor_label="staff_a").count() == 3


def test_importing_again_updates_instead_of_duplicating(tree, cast):
    rows = [row(name="孙立新", phone="13800000001", post="村委会委员")]
    services.roster_import(actor=cast.staff_a, unit=tree.a, upload=roster_file(rows))
    rows = [
        row(
            name="孙立新",
            phone="13800000001",
            post="村委会委员",
            end="2023-06-30",
            birth="1975-04-01",
        )
    ]
    counts = services.roster_import(actor=cast.staff_a, unit=tree.a, upload=roster_file(rows))
    assert counts == {
        "people_created": 0,
        "people_updated": 1,
        "posts_created": 0,
        "posts_updated": 1,
    }
    assert Person.objects.filter(name="孙立新").count() == 1
    post = Post.objects.get(person__name="孙立新")
    assert str(post.end) == "2023-06-30"


@pytest.mark.parametrize(
    ("bad_row", "column", "fragment"),
    [
        (row(phone="12ab"), "联系电话", "not a phone number"),
        (row(village="不存在村"), "村", "Unknown village"),
        (row(post="村长"), "岗位", "Unknown post"),
        (row(start="2021-13-45"), "任职开始", "not a date"),
        (row(start="2022-01-01", end="2021-01-01"), "任职结束", "before the start"),
        (row(name=""), "姓名", "required"),
        (row(gender="未知"), "性别", "Gender"),
        (row(birth="2990-01-01"), "出生日期", "not plausible"),
        (row(name="名" * 41), "姓名", "longer than 40"),
    ],
)
def test_one_bad_row_refuses_the_whole_file_naming_row_and_column(
    tree, cast, bad_row, column, fragment
):
    before = _snapshot()
    upload = roster_file([row(name="好人", phone="13800000009"), bad_row])
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert exc.value.code == "roster_invalid"
    assert [(d["row"], d["column"]) for d in exc.value.details] == [(3, column)]
    assert fragment in exc.value.details[0]["message"]
    assert _snapshot() == before


def test_duplicate_people_rows_are_refused(tree, cast):
    upload = roster_file([row(), row()])
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert exc.value.details[0]["row"] == 3
    assert "Duplicate of row 2" in exc.value.details[0]["message"]


def test_a_post_held_twice_at_once_is_refused(tree, cast):
    """Only one branch secretary at a time: 李建国 already holds it in 柳树村 (cast)."""
    before = _snapshot()
    upload = roster_file(
        [row(name="钱一", phone="13800000011", post="党支部书记", start="2024-01-01")]
    )
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert "李建国" in exc.value.details[0]["message"]
    assert _snapshot() == before


def test_two_rows_claiming_the_same_single_post_are_refused(tree, cast):
    upload = roster_file(
        [
            row(village="河口村", name="钱一", phone="13800000011", post="村委会主任"),
            row(village="河口村", name="钱二", phone="13800000012", post="村委会主任"),
        ]
    )
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert exc.value.details[0]["row"] == 3


def test_a_replacement_is_accepted_when_the_old_post_ends_first(tree, cast):
    """Mid-term replacement: the file ends 李建国's post and starts the successor's."""
    upload = roster_file(
        [
            row(
                name="李建国",
                phone=cast.branch_person.phone,
                post="党支部书记",
                start="2021-01-01",
                end="2024-03-31",
            ),
            row(name="钱一", phone="13800000011", post="党支部书记", start="2024-04-01"),
        ]
    )
    counts = services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert counts["posts_created"] == 1 and counts["posts_updated"] == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"name,phone\n", "file_type"),
        (b"PK\x03\x04garbage-not-a-real-zip", "file_type"),
        (b"", "file_type"),
    ],
)
def test_wrong_file_types_are_refused_plainly(tree, cast, payload, code):
    upload = io.BytesIO(payload)
    upload.size = len(payload)
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert exc.value.code == code


def test_oversized_uploads_are_refused(tree, cast, settings):
    settings.ROSTER_MAX_BYTES = 1000
    upload = roster_file([row(name=f"人{i}", phone=f"138000{i:05d}") for i in range(50)])
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert exc.value.code == "file_too_large"


def test_missing_columns_are_named(tree, cast):
    from jiannuo.core.excel import workbook

    data = workbook("x", ["村", "姓名"], [["柳树村", "孙立新"]])
    upload = io.BytesIO(data)
    upload.size = len(data)
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.staff_a, unit=tree.a, upload=upload)
    assert exc.value.code == "headers"
    assert "联系电话" in str(exc.value.message)


def test_a_village_upload_cannot_touch_another_village(tree, cast):
    upload = roster_file([row(village="河口村")])
    with pytest.raises(ServiceError) as exc:
        services.roster_import(actor=cast.branch, unit=tree.a1, upload=upload)
    assert exc.value.details[0]["column"] == "村"


@pytest.mark.parametrize("who", ["branch_a2", "secretary_b", "member", "voter", "outsider"])
def test_people_without_the_right_cannot_import(tree, cast, who):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.roster_import(actor=getattr(cast, who), unit=tree.a1, upload=roster_file([row()]))


def test_exported_roster_neutralises_formulas_and_reimports_cleanly(tree, cast, system):
    from openpyxl import load_workbook

    from jiannuo.organisation.selectors import roster_workbook
    from tests.conftest import make_person

    make_person(system, tree.a1, "=HYPERLINK(1)", "villager_representative")
    data = roster_workbook(tree.a1)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    names = [c.value for c in ws["C"][1:]]
    assert "'=HYPERLINK(1)" in names
    upload = io.BytesIO(data)
    upload.size = len(data)
    counts = services.roster_import(actor=cast.branch, unit=tree.a1, upload=upload)
    assert counts["people_created"] == 0 and counts["posts_created"] == 0


@pytest.mark.parametrize("bomb", ["dimension", "inline_string"])
def test_hostile_workbooks_are_refused_with_a_clear_message_and_nothing_saved(
    tree, cast, client, bomb
):
    """Issue #12.4: the roster importer (service and page) reads through the guarded reader."""
    from django.urls import reverse
    from django.utils import translation

    from jiannuo.organisation import roster
    from tests.helpers import dimension_bomb, inline_string_bomb

    make = dimension_bomb if bomb == "dimension" else inline_string_bomb
    before = _snapshot()
    with pytest.raises(ServiceError) as exc:
        services.roster_import(
            actor=cast.staff_a, unit=tree.a, upload=make(roster.HEADERS, [row()])
        )
    assert exc.value.code in ("sheet_too_large", "file_too_large")
    assert _snapshot() == before
    client.force_login(cast.staff_a)
    with translation.override("zh-hans"):
        upload = make(roster.HEADERS, [row()])
        r = client.post(
            reverse("organisation:roster_import", args=[tree.a.pk]),
            {"file": upload},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert r.status_code == 400
    assert "请只把数据行复制到模板中再上传" in r.content.decode()
    assert _snapshot() == before
