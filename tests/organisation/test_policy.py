"""District policy settings, versioned by year (DOMAIN.md defaults; seed §三.4, §四)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied

from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry
from jiannuo.organisation.models import PolicyVersion
from jiannuo.organisation.policy import DEFAULT_POLICY, Policy, policy_for, set_policy

pytestmark = pytest.mark.django_db


def test_defaults_round_trip_through_json():
    data = DEFAULT_POLICY.to_json()
    assert Policy.from_json(data) == DEFAULT_POLICY
    assert DEFAULT_POLICY.validate() == []
    # DOMAIN.md defaults: 60% / 50%, two years running, more than half of those present.
    assert data["accountability"]["yellow_card_below"] == 60
    assert data["accountability"]["resignation_below"] == 50
    assert data["accountability"]["years_running"] == 2
    assert data["ceremony_vote_rule"] == "more_than_half_present"


def test_fractional_thresholds_survive_json():
    data = DEFAULT_POLICY.to_json()
    data["accountability"]["yellow_card_below"] = "119/2"
    policy = Policy.from_json(data)
    assert policy.accountability.yellow_card_below == Fraction(119, 2)
    assert Policy.from_json(policy.to_json()) == policy


def test_version_in_force_is_latest_not_after_the_year(cast, tree):
    assert policy_for(tree.a1, 2025) == DEFAULT_POLICY
    data = DEFAULT_POLICY.to_json()
    data["reply_days"] = 10
    set_policy(actor=cast.district, district=tree.district, year_from=2025, data=data, note="a")
    data["reply_days"] = 14
    set_policy(actor=cast.district, district=tree.district, year_from=2027, data=data, note="b")
    assert policy_for(tree.a1, 2024).reply_days == 7
    assert policy_for(tree.a1, 2025).reply_days == 10
    assert policy_for(tree.a1, 2026).reply_days == 10
    assert policy_for(tree.a1, 2027).reply_days == 14
    # A correction for 2025 appends a row; the later one wins for 2025, history is kept.
    data["reply_days"] = 12
    set_policy(actor=cast.district, district=tree.district, year_from=2025, data=data, note="c")
    assert policy_for(tree.b1, 2025).reply_days == 12
    assert PolicyVersion.objects.count() == 3
    entry = AuditEntry.objects.filter(action="policy.set").order_by("-id").first()
    assert entry.changes["reply_days"] == [10, 12]


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        (("accountability", "yellow_card_below"), 101, "threshold_out_of_range"),
        (("accountability", "resignation_below"), -1, "threshold_out_of_range"),
        (("accountability", "resignation_below"), 60, "thresholds_out_of_order"),
        (("accountability", "resignation_below"), 70, "thresholds_out_of_order"),
        (("accountability", "years_running"), 1, "years_running_too_small"),
        (("ceremony_vote_rule",), "unanimity", "vote_rule_unknown"),
        (("voter_kinds",), [], "voter_kinds_invalid"),
        (("reply_days",), 0, "window_out_of_range"),
        (("appeal_days",), 91, "window_out_of_range"),
        (("published",), ["everything"], "published_unknown"),
        (
            ("grades", "satisfaction_bands"),
            [[60, "competent"], [70, "excellent"]],
            "grade_bands_invalid",
        ),
    ],
)
def test_invalid_settings_refused_nothing_saved(cast, tree, path, value, rule):
    data = DEFAULT_POLICY.to_json()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ServiceError) as err:
        set_policy(actor=cast.district, district=tree.district, year_from=2026, data=data)
    assert err.value.code == "policy_invalid"
    assert rule in [d["rule"] for d in err.value.details]
    assert PolicyVersion.objects.count() == 0
    assert not AuditEntry.objects.filter(action="policy.set").exists()


def test_malformed_settings_refused(cast, tree):
    with pytest.raises(ServiceError) as err:
        set_policy(actor=cast.district, district=tree.district, year_from=2026, data={"x": 1})
    assert err.value.code == "policy_malformed"
    assert PolicyVersion.objects.count() == 0


@pytest.mark.parametrize("who", ["secretary_a", "deputy_a", "branch", "voter", "outsider"])
def test_only_district_administrator_sets_policy(cast, tree, who):
    with pytest.raises(PermissionDenied):
        set_policy(
            actor=getattr(cast, who),
            district=tree.district,
            year_from=2026,
            data=DEFAULT_POLICY.to_json(),
        )
    assert PolicyVersion.objects.count() == 0
