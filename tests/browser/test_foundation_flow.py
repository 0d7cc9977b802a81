"""Issue 2 in a real browser: a branch secretary logs in, sees the to-do page, and a roster
with a bad row is refused with that row named — nothing imported."""

import re

from playwright.sync_api import expect

from jiannuo.organisation.models import Person
from tests.helpers import roster_file, row

from .conftest import PHONE


def test_branch_secretary_logs_in_sees_todo_and_bad_roster_is_refused(
    live_server, page, cast, tree, login, tmp_path
):
    page.set_viewport_size(PHONE)
    login(page, "branch")
    expect(page.locator("h1")).to_have_text("待办")
    # Navigation follows the process, in Chinese.
    expect(page.locator("nav.steps")).to_contain_text("征求意见")
    expect(page.locator("nav.steps")).to_contain_text("责任追究")

    page.goto(f"{live_server.url}/org/units/{tree.a1.pk}/")
    expect(page.locator("h1")).to_contain_text("柳树村")
    page.get_by_role("link", name="导入花名册").click()

    bad = roster_file(
        [
            row(name="孙立新", phone="13800000001"),
            row(name="周桂兰", phone="not-a-phone"),  # row 3: bad phone
        ]
    )
    path = tmp_path / "roster.xlsx"
    path.write_bytes(bad.getvalue())
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="检查并导入").click()

    expect(page.locator("#import-error")).to_contain_text("什么都没有导入")
    problems = page.locator("#problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("3")
    expect(problems.first).to_contain_text("联系电话")
    assert not Person.objects.filter(name__in=["孙立新", "周桂兰"]).exists()
    # The page fits a phone: no horizontal scrolling of the page itself.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    assert re.search(r"/org/units/\d+/roster/import/", page.url)
