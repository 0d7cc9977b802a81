"""The signing demo: 柳树村's 2026 letters signed at the 2026-02-20 ceremony (§三.4–5)."""

import pytest

from jiannuo.demo import load
from jiannuo.signing import selectors
from jiannuo.signing.models import Ceremony, SignedLetter
from tests.helpers import DEMO_DAY


@pytest.mark.django_db
def test_demo_signs_liushu_letters():
    load(today=DEMO_DAY)
    c = Ceremony.objects.get(village__name="柳树村")
    assert c.state == "closed" and c.scheduled_at.date().isoformat() == "2026-02-20"
    assert c.attendances.count() >= 3
    # Letters of this ceremony (later steps' demos add earlier years' letters of their own).
    signed = list(SignedLetter.objects.filter(ceremony=c))
    assert signed and all(s.signed_at and s.published_at and s.archived_at for s in signed)
    assert all(selectors.verification(s.verify_code)["matches"] for s in signed)
