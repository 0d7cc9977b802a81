"""An accountability case (its decision notice) is a kept record (issue #18): it cannot be
deleted before its time."""

from __future__ import annotations

import pytest
from django.db import transaction

from jiannuo.accountability.models import Case
from jiannuo.signing.retention import KeptRecordError

pytestmark = pytest.mark.django_db


def test_a_case_cannot_be_deleted(opened):
    case = next(iter(opened.values()))
    count = Case.objects.count()
    for delete in (lambda: case.delete(), lambda: Case.objects.all().delete()):
        with pytest.raises(KeptRecordError, match="2055"):
            with transaction.atomic():
                delete()
    assert Case.objects.count() == count
