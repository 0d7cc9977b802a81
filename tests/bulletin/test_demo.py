"""The bulletin demo (seed §三.4) records postings only for villages with published letters."""

import pytest

from jiannuo.bulletin import demo
from jiannuo.bulletin.models import PosterPosting

pytestmark = pytest.mark.django_db


def test_demo_posts_for_published_villages(village, tree):
    demo.load({"district": tree.district, "柳树村": tree.a1, "河口村": tree.a2})
    assert list(PosterPosting.objects.values_list("village__name", flat=True)) == ["柳树村"]
