"""The shared factory of signed letters matches what the signing step leaves."""

import pytest

from jiannuo.pledges.selectors import content_hash
from jiannuo.signing.selectors import verification
from tests.factories import signed_year

pytestmark = pytest.mark.django_db


def test_signed_year_letters_verify_and_break_down(tree, cast, system):
    year = signed_year(tree, cast, system)
    for signed in (year.team, year.secretary, year.director, year.member):
        assert signed.published_at is not None
        assert content_hash(signed.version.snapshot) == signed.content_hash
        assert verification(signed.verify_code)["matches"] is True
        assert len(signed.items) == 4
    assert [i.code for i in year.member.items[0].breaks_down.all()] == ["2"]
    assert year.team.items[0].responsible_post == year.posts.secretary
