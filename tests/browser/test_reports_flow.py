"""The annual report in a real browser (§五.3 违诺必究): the district administrator, on a
360×740 phone, opens Reports from the navigation, sees the township rows and the ECharts charts
drawn from the local copy (no outside request), drills down to 石桥镇's villages and from
柳树村's row to its year-end evaluation page.

Selectors use ids, names and data attributes, not texts, so the test holds in any language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.reports.conftest import YEAR, data, pinned  # noqa: F401  (fixtures)

from .conftest import PHONE

pytestmark = pytest.mark.browser


def test_district_drills_down_to_a_village_on_a_phone(
    browser,
    live_server,
    login,
    cast,
    tree,
    data,  # noqa: F811  (the fixture imported above)
    pinned,  # noqa: F811
):
    page = browser.new_context(viewport=PHONE).new_page()
    external = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    violations = []  # issue #12.4: the Content-Security-Policy blocks nothing we serve
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, "district")
    page.click('nav.steps a[href="/reports/"]')
    page.wait_for_url("**/reports/")
    expect(page.locator("#report-title")).to_have_attribute("data-unit", str(tree.district.pk))
    page.select_option("#report-year", str(YEAR))
    page.wait_for_url(f"**/reports/?unit={tree.district.pk}&year={YEAR}")
    expect(page.locator("#reports-fulfilment-chart svg")).to_have_count(1)
    expect(page.locator("#reports-grades-chart svg")).to_have_count(1)
    expect(page.locator("#report-pledges tbody tr")).to_have_count(2)
    total = page.locator("#report-pledges tfoot [data-col=rate]")
    expect(total).to_have_text("50.00%")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1

    page.click(f'#report-pledges tr[data-unit="{tree.a.pk}"] a[data-drill]')
    page.wait_for_url(f"**/reports/?year={YEAR}&unit={tree.a.pk}")
    expect(page.locator("#report-title")).to_have_attribute("data-unit", str(tree.a.pk))
    expect(page.locator("#reports-fulfilment-chart svg")).to_have_count(1)
    row = page.locator(f'#report-pledges tr[data-unit="{tree.a2.pk}"]')
    expect(row.locator("[data-col=rate]")).to_have_text("66.66%")
    expect(page.locator("#report-up")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1

    with page.expect_navigation() as nav:
        page.click(f'#report-pledges tr[data-unit="{tree.a1.pk}"] a[data-village-link=evaluation]')
    assert nav.value.status == 200
    assert nav.value.url.endswith(f"/evaluation/villages/{tree.a1.pk}/{YEAR}/")
    assert not violations, violations
    assert not [u for u in external if not u.startswith("data:")], external
