"""Browser tests: real headless Chromium from Debian, driven by Playwright, against live_server.

Playwright's own browser download does not work here (RECIPES.md): we launch /usr/bin/chromium.
"""

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _server_outlives_browser(live_server):
    """Start the live server before Chromium so that it stops after it: Chromium's keep-alive
    connections then close while the server still shares the test database with its request
    threads (otherwise each lingering thread fails on the in-memory SQLite connection at the
    end of the session)."""
    return live_server


@pytest.fixture(autouse=True)
def _committed_data(transactional_db):
    """The live server runs in another thread: test data must be committed to be seen."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def login(live_server):
    """login(page, username, password) through the real log-in form."""

    def do(page, username, password="pw-for-tests-1"):
        page.goto(live_server.url + "/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/todo/")

    return do
