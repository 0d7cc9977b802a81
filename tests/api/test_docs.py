"""docs/api.md runs (issue #13): its Python examples, in order, against a live demo district
with real tokens, so the integrator's guide cannot drift from the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from jiannuo.accounts.services import token_create
from jiannuo.demo import load

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"

pytestmark = pytest.mark.django_db(transaction=True)


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def _key(username: str) -> str:
    return token_create(actor=User.objects.get(username=username), name="docs")[1]


def test_the_guide_has_an_example_for_each_step():
    text = "\n".join(_blocks())
    for path in ("/opinions", "/pledges/letters", "/signing/", "/supervision/", "/evaluation/"):
        assert path in text
    assert "/accountability/" in text and "/reports/" in text


def test_the_guides_examples_run_against_a_live_demo(live_server, transactional_db):
    load()
    scope = {}
    for n, block in enumerate(_blocks()):
        code = block.replace(
            'BASE = "http://127.0.0.1:8000/api/v1"', f'BASE = "{live_server.url}/api/v1"'
        )
        code = code.replace('TOKEN = "jn_…"', f'TOKEN = "{_key("sq_secretary")}"', 1)
        code = code.replace('VILLAGE_TOKEN = "jn_…"', f'VILLAGE_TOKEN = "{_key("liushu_sec")}"')
        try:
            exec(compile(code, f"docs/api.md block {n + 1}", "exec"), scope)
        except Exception as exc:
            raise AssertionError(f"docs/api.md block {n + 1} failed:\n{block}") from exc
