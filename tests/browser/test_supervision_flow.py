"""The supervision step in a real browser (§五.3): the committee member, on a 360×740 phone,
opens her pledge item, reports progress with a photo and marks it public; anyone then sees the
report and the photo on the village's public bulletin board, also on a phone.

Selectors use ids, names and data attributes, not texts, so the test holds in any language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from jiannuo.supervision.models import Evidence, ItemState
from tests.factories import signed_year

from .conftest import PHONE

pytestmark = pytest.mark.browser

# A real 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d3b3"
    "a40000000049454e44ae426082"
)


def test_progress_with_a_photo_on_a_phone_then_on_the_bulletin(
    browser, live_server, login, cast, tree, system, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    year = signed_year(tree, cast, system)
    letter = year.member.letter

    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    login(page, "member")
    page.goto(f"{live_server.url}/supervision/item/{letter.pk}/2/")
    form = page.locator("#progress-form")
    expect(form).to_be_visible()
    # Phone-sized: the form fits the screen without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.select_option("#id_status", "in_progress")
    page.fill("#id_percent", "65")
    page.fill("#id_measured", "1.9公里")
    page.fill("#id_note", "主路面已硬化")
    page.set_input_files(
        "#id_files", files=[{"name": "road.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.check("#id_public")
    page.click("#record")
    page.wait_for_url(f"**/supervision/item/{letter.pk}/2/")
    expect(page.locator("#item-state")).to_have_attribute("data-percent", "65")
    expect(page.locator("#timeline li[data-report]")).to_have_count(1)
    expect(page.locator("#evidence img")).to_have_count(1)

    state = ItemState.objects.get(letter=letter, item_code="2")
    assert (state.status, state.percent, state.public_percent) == ("in_progress", 65, 65)
    ev = Evidence.objects.get()
    assert ev.public and ev.content_type == "image/png" and len(ev.sha256) == 64

    public = browser.new_context(viewport=PHONE).new_page()
    public.goto(f"{live_server.url}/bulletin/{tree.a1.code}/")
    progress = public.locator('[data-progress="2"]').first
    expect(progress).to_have_attribute("data-percent", "65")
    expect(progress).to_contain_text("主路面已硬化")
    photo = public.locator(f'a[data-evidence="{ev.pk}"] img')
    expect(photo).to_be_visible()
    # The photo really loads (served publicly, with its own bytes).
    assert public.evaluate("(img) => img.naturalWidth", photo.element_handle()) == 1
    assert public.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    ctx.close()


def test_township_dashboard_chart_and_drill_down(browser, live_server, login, cast, tree, system):
    """Township staff on a phone: the ECharts chart renders from the local copy, and the
    village → cadre → item drill-down reaches the item's explanation."""
    from jiannuo.supervision import services

    year = signed_year(tree, cast, system)
    services.progress_record(
        actor=cast.member, letter=year.member.letter, item_code="4", status="in_progress",
        percent=5,
    )  # fmt: skip
    page = browser.new_context(viewport=PHONE).new_page()
    external = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    login(page, "staff_a")
    page.goto(f"{live_server.url}/supervision/?year=2026")
    expect(page.locator("#supervision-chart svg")).to_have_count(1)
    page.click(f'#villages tr[data-village="{tree.a1.pk}"] a[data-drill]')
    page.wait_for_url(f"**/supervision/village/{tree.a1.pk}/**")
    expect(page.locator("#supervision-chart svg")).to_have_count(1)
    item = page.locator(f'li[data-item="{year.member.letter.pk}:4"] a')
    item.click()
    page.wait_for_url(f"**/supervision/item/{year.member.letter.pk}/4/")
    expect(page.locator("#item-state")).to_have_attribute("data-percent", "5")
    expect(page.locator("#progress-form")).to_have_count(0)  # the township does not report
    assert not [u for u in external if not u.startswith("data:")], external
