"""The district administrator's page for the policy settings (issue #7.1), versioned by year.

It reads and writes through ``organisation.policy`` (``policy_for``, ``history``,
``set_policy``): a form per group of settings, the year the version applies from and the
reason; every finding of ``Policy.validate`` is shown next to its field, with what the user
typed kept; nothing is saved while any is left. The version history shows what each version
changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import scope_q
from jiannuo.evaluation import rules as ev
from jiannuo.organisation.models import Post, Unit
from jiannuo.organisation.policy import VOTER_KINDS, Policy, history, policy_for
from jiannuo.organisation.policy import set_policy as _set_policy
from jiannuo.signing.rules import VOTE_RULES

from . import rules

NUMBER, INTEGER, CHECK, CHOICES, SELECT = "number", "integer", "check", "choices", "select"

OPTION_LABELS = {
    ev.SATISFIED: gettext_lazy("Satisfied"),
    ev.BASICALLY_SATISFIED: gettext_lazy("Basically satisfied"),
    ev.DISSATISFIED: gettext_lazy("Dissatisfied"),
    ev.ABSTAIN: gettext_lazy("Abstain"),
}
PUBLISH_LABELS = {
    "satisfaction_rates": gettext_lazy("Satisfaction rates"),
    "grades": gettext_lazy("Annual grades"),
    "verdicts": gettext_lazy("Verdicts on pledge items"),
    "criticism": gettext_lazy("Notices of criticism"),
    "yellow_card": gettext_lazy("Yellow-card warnings"),
    "resignation": gettext_lazy("Resignation demands"),
}
VOTE_RULE_LABELS = {
    "more_than_half_present": gettext_lazy("More than half of those present"),
    "more_than_half_votes_cast": gettext_lazy("More than half of the votes cast"),
    "two_thirds_present": gettext_lazy("Two thirds of those present"),
}
MEETING_LABELS = {
    ev.REPRESENTATIVES_MEETING: gettext_lazy("Villager representatives' meeting (2/3 present)"),
    ev.VILLAGERS_MEETING: gettext_lazy("Villagers' meeting (more than half present)"),
}
STAND_IN_LABELS = {
    ev.TOWNSHIP: gettext_lazy("Township staff"),
    ev.REPRESENTATIVE: gettext_lazy("A villager representative"),
}
CAUSE_LABELS = {
    rules.DERELICTION: gettext_lazy("Dereliction of duty"),
    rules.POOR_MANAGEMENT: gettext_lazy("Poor management"),
}
POST_LABELS = dict(Post.KINDS)


@dataclass(frozen=True)
class Field:
    name: str  # dotted path into Policy.to_json()
    label: Any
    kind: str
    choices: tuple = ()
    help: Any = ""


GROUPS = [
    (
        "accountability",
        gettext_lazy("Measures (§四.3)"),
        [
            Field(
                "accountability.yellow_card_below",
                gettext_lazy("Yellow card when satisfaction is below (%)"),
                NUMBER,
            ),
            Field(
                "accountability.resignation_below",
                gettext_lazy("Resignation demanded when satisfaction is below (%)"),
                NUMBER,
            ),
            Field("accountability.years_running", gettext_lazy("Years running"), INTEGER),
            Field(
                "accountability.chain_restarts_with_term",
                gettext_lazy("A new term restarts the chain"),
                CHECK,
            ),
            Field(
                "accountability.team_resignation_posts",
                gettext_lazy("Posts that answer for the team's resignation"),
                CHOICES,
                tuple(
                    (k, POST_LABELS[k]) for k in (Post.BRANCH_SECRETARY, Post.COMMITTEE_DIRECTOR)
                ),
            ),
            Field(
                "accountability.penalised_loss_causes",
                gettext_lazy("Losses that call for an economic penalty (§四.2)"),
                CHOICES,
                tuple(CAUSE_LABELS.items()),
            ),
        ],
    ),
    (
        "procedure",
        gettext_lazy("Due process"),
        [
            Field("reply_days", gettext_lazy("Reply window (days)"), INTEGER),
            Field("appeal_days", gettext_lazy("Appeal window (days)"), INTEGER),
            Field(
                "retention_years",
                gettext_lazy("Signed originals kept for (years, §三.5)"),
                INTEGER,
            ),
        ],
    ),
    (
        "evaluation",
        gettext_lazy("Democratic evaluation and grades"),
        [
            Field(
                "voter_kinds",
                gettext_lazy("Who votes"),
                CHOICES,
                tuple((k, POST_LABELS[k]) for k in VOTER_KINDS),
            ),
            Field(
                "meeting_kind",
                gettext_lazy("Meeting and quorum"),
                SELECT,
                tuple(MEETING_LABELS.items()),
            ),
            Field(
                "presiding_without_supervision",
                gettext_lazy("Without a supervision committee: who presides and enters the count"),
                SELECT,
                tuple(STAND_IN_LABELS.items()),
            ),
            Field(
                "count_cosigned_without_supervision",
                gettext_lazy("Without a supervision committee: who co-signs the count"),
                SELECT,
                tuple(STAND_IN_LABELS.items()),
            ),
            Field(
                "satisfaction.numerator",
                gettext_lazy("Options counted as satisfied"),
                CHOICES,
                tuple(OPTION_LABELS.items()),
            ),
            Field(
                "satisfaction.denominator",
                gettext_lazy("Options counted as valid ballots"),
                CHOICES,
                tuple(OPTION_LABELS.items()),
                gettext_lazy("Tick every option to count all ballots except spoiled ones."),
            ),
            Field("grades.excellent", gettext_lazy("Excellent from satisfaction (%)"), NUMBER),
            Field("grades.competent", gettext_lazy("Competent from satisfaction (%)"), NUMBER),
            Field(
                "grades.basically_competent",
                gettext_lazy("Basically competent from satisfaction (%)"),
                NUMBER,
            ),
            Field(
                "grades.min_months_served",
                gettext_lazy("Months served in the year to be graded"),
                INTEGER,
            ),
        ],
    ),
    (
        "signing",
        gettext_lazy("Signing ceremony"),
        [
            Field(
                "ceremony_vote_rule",
                gettext_lazy("A letter passes with"),
                SELECT,
                tuple((k, VOTE_RULE_LABELS.get(k, k)) for k in VOTE_RULES),
            )
        ],
    ),
    (
        "publication",
        gettext_lazy("Bulletin board"),
        [Field("published", gettext_lazy("Published"), CHOICES, tuple(PUBLISH_LABELS.items()))],
    ),
]
FIELDS = {f.name: f for _k, _l, fs in GROUPS for f in fs}
BANDS = (ev.EXCELLENT, ev.COMPETENT, ev.BASICALLY_COMPETENT)

#: Which field a finding of ``Policy.validate`` belongs to (by rule id; some by their facts).
RULE_FIELDS = {
    "thresholds_out_of_order": "accountability.resignation_below",
    "years_running_too_small": "accountability.years_running",
    "team_resignation_posts_empty": "accountability.team_resignation_posts",
    "penalised_cause_invalid": "accountability.penalised_loss_causes",
    "voter_kinds_invalid": "voter_kinds",
    "meeting_kind_unknown": "meeting_kind",
    "vote_rule_unknown": "ceremony_vote_rule",
    "published_unknown": "published",
    "satisfaction_numerator_invalid": "satisfaction.numerator",
    "satisfaction_option_unknown": "satisfaction.denominator",
    "grade_bands_invalid": "grades.excellent",
    "min_months_invalid": "grades.min_months_served",
}


def field_of(rule: str, facts: dict) -> str | None:
    if rule == "threshold_out_of_range":
        return f"accountability.{facts.get('setting')}"
    if rule in ("window_out_of_range", "stand_in_unknown"):
        return facts.get("setting")
    return RULE_FIELDS.get(rule)


def _get(data: dict, dotted: str):
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def initial(policy: Policy) -> dict[str, Any]:
    """Form values (strings and lists) from a policy."""
    data = policy.to_json()
    out: dict[str, Any] = {}
    for name, f in FIELDS.items():
        if name.startswith("grades.") and name != "grades.min_months_served":
            continue
        value = _get(data, name)
        if name == "satisfaction.denominator" and value is None:
            value = list(data["satisfaction"]["options"])
        out[name] = value if f.kind in (CHOICES, CHECK) else str(value)
    bands = dict((g, lo) for lo, g in data["grades"]["satisfaction_bands"])
    for g in BANDS:
        out[f"grades.{g}"] = str(bands.get(g, ""))
    return out


def _number(raw: str, integer=False):
    raw = (raw or "").strip()
    if integer:
        return int(raw)
    f = Fraction(raw)
    return int(f) if f.denominator == 1 else f


def parse(post, base: Policy) -> tuple[dict, dict[str, str], dict[str, Any]]:
    """(settings data for ``set_policy``, errors per field, values typed)."""
    data = base.to_json()
    errors: dict[str, str] = {}
    typed: dict[str, Any] = {}
    for name, f in FIELDS.items():
        if f.kind == CHOICES:
            value = post.getlist(name)
            typed[name] = value
        elif f.kind == CHECK:
            value = bool(post.get(name))
            typed[name] = value
        else:
            raw = post.get(name, "")
            typed[name] = raw
            if f.kind in (NUMBER, INTEGER):
                try:
                    value = _number(raw, f.kind == INTEGER)
                except (ValueError, ZeroDivisionError):
                    errors[name] = _("Enter a number.")
                    continue
            else:
                value = raw
        if name.startswith("grades.") and name != "grades.min_months_served":
            continue
        if name == "satisfaction.denominator":
            options = data["satisfaction"]["options"]
            value = None if set(value) == set(options) else value
        head, _sep, tail = name.partition(".")
        if tail:
            data[head][tail] = str(value) if isinstance(value, Fraction) else value
        else:
            data[head] = value
    bands = []
    for g in BANDS:
        name = f"grades.{g}"
        if name in errors:
            continue
        value = _number(post.get(name, ""))
        bands.append([str(value), g])
    if not any(n.startswith("grades.") and n != "grades.min_months_served" for n in errors):
        data["grades"]["satisfaction_bands"] = bands
    return data, errors, typed


def changes(before: dict | None, after: dict) -> list[tuple[str, Any, Any]]:
    """Flattened differences between two settings documents."""

    def flat(d, prefix=""):
        out = {}
        for k, v in (d or {}).items():
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                out.update(flat(v, key + "."))
            else:
                out[key] = v
        return out

    a, b = flat(before), flat(after)
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def district_for(user, raw_id=None) -> Unit:
    qs = Unit.objects.filter(scope_q(user, "settings.manage", field=""), kind=Unit.DISTRICT)
    if raw_id and str(raw_id).isdigit():
        qs = qs.filter(pk=int(raw_id))
    district = qs.order_by("path").first()
    if district is None:
        raise PermissionDenied
    return district


def version_history(district: Unit) -> list[dict]:
    versions = list(reversed(history(district)))  # oldest first
    out = []
    prev = Policy().to_json()
    for v in sorted(versions, key=lambda v: v.pk):
        out.append({"version": v, "changes": changes(prev, v.data)})
        prev = v.data
    return list(reversed(out))


@login_required
def settings_page(request):
    district = district_for(
        request.user, request.GET.get("district") or request.POST.get("district")
    )
    this_year = timezone.localdate().year
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() else this_year
    current = policy_for(district, year)
    values, errors, general, note, year_from = initial(current), {}, [], "", str(year)
    if request.method == "POST":
        note = request.POST.get("note", "")
        year_from = request.POST.get("year_from", "")
        data, errors, values = parse(request.POST, current)
        try:
            year_int = int(year_from)
        except ValueError:
            errors["year_from"] = _("Enter a year.")
            year_int = None
        if not errors:
            try:
                findings = Policy.from_json(data).validate()
            except (TypeError, ValueError) as exc:
                findings = []
                general.append(str(exc))
            for f in findings:
                target = field_of(f.rule, dict(f.facts)) or ""
                if target in FIELDS or target.startswith("grades."):
                    errors[target] = (errors.get(target, "") + " " + f.explain()).strip()
                else:
                    general.append(f.explain())
        if not errors and not general:
            try:
                _set_policy(
                    actor=request.user, district=district, year_from=year_int, data=data, note=note
                )
            except ServiceError as exc:
                general.append(str(exc.message))
                for d in exc.details:
                    target = RULE_FIELDS.get(d.get("rule"))
                    if target:
                        errors.setdefault(target, d.get("message", ""))
            else:
                return redirect(f"{request.path}?year={year_int}&saved=1")
    groups = [
        (
            key,
            label,
            [{"field": f, "value": values.get(f.name), "error": errors.get(f.name)} for f in fs],
        )
        for key, label, fs in GROUPS
    ]
    return render(
        request,
        "accountability/settings.html",
        {
            "district": district,
            "year": year,
            "groups": groups,
            "errors": errors,
            "general": general,
            "note": note,
            "year_from": year_from,
            "year_error": errors.get("year_from"),
            "history": version_history(district),
            "saved": request.GET.get("saved"),
        },
        status=400 if (errors or general) else 200,
    )
