"""A district's policy settings, versioned by year (DOMAIN.md: every default the seed leaves
open is a district setting).

``Policy`` gathers the settings every step reads: the ceremony's passing rule (signing), who
votes, the quorum and the satisfaction formula and grade scheme (evaluation), the thresholds and
chain rules (accountability), the reply and appeal windows (cases) and what is published
(bulletin), how long signed originals are kept (custody). ``policy_for(unit, year)`` returns the version in force for that year in the
unit's district; ``set_policy`` is the one write path (district administrators only), which
validates, appends a version and writes an audit row. Nothing is ever updated in place.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from jiannuo.accountability.rules import PolicySettings
from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import require
from jiannuo.core.rules import Finding
from jiannuo.evaluation.rules import (
    MEETING_KINDS,
    REPRESENTATIVE,
    REPRESENTATIVES_MEETING,
    STAND_INS,
    TOWNSHIP,
    GradeScheme,
    SatisfactionSettings,
)
from jiannuo.signing.rules import VOTE_RULES

from .models import PolicyVersion, Post, Unit

#: Post kinds that may be eligible voters in the democratic evaluation.
VOTER_KINDS = (Post.PARTY_MEMBER, Post.REPRESENTATIVE)
#: What the bulletin may show about the year-end and the measures.
PUBLISHABLE = (
    "satisfaction_rates",
    "grades",
    "verdicts",
    "criticism",
    "yellow_card",
    "resignation",
)


@dataclass(frozen=True)
class Policy:
    """Every district setting, with the DOMAIN.md defaults."""

    ceremony_vote_rule: str = "more_than_half_present"
    voter_kinds: tuple[str, ...] = VOTER_KINDS
    meeting_kind: str = REPRESENTATIVES_MEETING
    # A village without a supervision committee still holds its democratic evaluation: the
    # township's staff present the round and enter the count, a villagers' representative
    # co-signs it (or the other way round).
    presiding_without_supervision: str = TOWNSHIP
    count_cosigned_without_supervision: str = REPRESENTATIVE
    satisfaction: SatisfactionSettings = field(default_factory=SatisfactionSettings)
    grades: GradeScheme = field(default_factory=GradeScheme)
    accountability: PolicySettings = field(default_factory=PolicySettings)
    reply_days: int = 7
    appeal_days: int = 30
    published: tuple[str, ...] = ("satisfaction_rates", "grades", "criticism")
    retention_years: int = 30

    # ------------------------------------------------------------------ validation

    def validate(self) -> list[Finding]:
        findings = [
            *self.satisfaction.validate(),
            *self.grades.validate(),
            *self.accountability.validate(),
        ]

        def bad(rule_id, clause, message, **facts):
            findings.append(Finding(rule=rule_id, clause=clause, message=message, facts=facts))

        if self.ceremony_vote_rule not in VOTE_RULES:
            bad(
                "vote_rule_unknown",
                "§三.4",
                _("Unknown ceremony vote rule: %(vote_rule)s."),
                vote_rule=self.ceremony_vote_rule,
            )
        unknown = [k for k in self.voter_kinds if k not in VOTER_KINDS]
        if not self.voter_kinds or unknown:
            bad(
                "voter_kinds_invalid",
                "§四.3",
                _("Voters must be party members and/or villager representatives."),
                kinds=list(self.voter_kinds),
            )
        if self.meeting_kind not in MEETING_KINDS:
            bad(
                "meeting_kind_unknown",
                "§四.3",
                _("Unknown meeting kind: %(kind)s."),
                kind=self.meeting_kind,
            )
        for name in ("presiding_without_supervision", "count_cosigned_without_supervision"):
            if getattr(self, name) not in STAND_INS:
                bad(
                    "stand_in_unknown",
                    "§三.6",
                    _("Unknown choice for %(setting)s: %(value)s."),
                    setting=name,
                    value=str(getattr(self, name)),
                )
        for name in ("reply_days", "appeal_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 90:
                bad(
                    "window_out_of_range",
                    "§四",
                    _("The %(setting)s window must be 1–90 days, not %(value)s."),
                    setting=name,
                    value=str(value),
                )
        if not isinstance(self.retention_years, int) or not 10 <= self.retention_years <= 100:
            bad(
                "retention_out_of_range",
                "§三.5",
                _("Originals must be kept for 10–100 years, not %(value)s."),
                value=str(self.retention_years),
            )
        unknown = [p for p in self.published if p not in PUBLISHABLE]
        if unknown:
            bad(
                "published_unknown",
                "§三.4",
                _("Unknown things to publish: %(unknown)s."),
                unknown=", ".join(unknown),
            )
        return findings

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        def plain(value):
            if isinstance(value, Fraction):
                return str(value)
            if isinstance(value, tuple | list):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            return value

        return plain(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Policy:
        """Build from ``to_json`` output; missing keys take the defaults, unknown keys and
        malformed values raise ``ValueError``."""
        if not isinstance(data, dict):
            raise ValueError("policy settings must be an object")

        def number(v):
            if isinstance(v, bool):
                raise ValueError(f"not a number: {v!r}")
            if isinstance(v, int):
                return v
            f = Fraction(str(v))
            return int(f) if f.denominator == 1 else f

        def tup(v):
            if not isinstance(v, list | tuple):
                raise ValueError(f"not a list: {v!r}")
            return tuple(v)

        def bands(v):
            return None if v is None else tuple((number(lo), str(g)) for lo, g in tup(v))

        def sub(klass, raw, convert):
            raw = raw or {}
            if not isinstance(raw, dict):
                raise ValueError(f"{klass.__name__} must be an object")
            names = {f.name for f in fields(klass)}
            extra = set(raw) - names
            if extra:
                raise ValueError(f"unknown settings: {sorted(extra)}")
            return klass(**{k: convert.get(k, lambda x: x)(v) for k, v in raw.items()})

        names = {f.name for f in fields(cls)}
        extra = set(data) - names
        if extra:
            raise ValueError(f"unknown settings: {sorted(extra)}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "satisfaction":
                kwargs[key] = sub(
                    SatisfactionSettings,
                    value,
                    {
                        "options": tup,
                        "numerator": tup,
                        "denominator": lambda v: None if v is None else tup(v),
                    },
                )
            elif key == "grades":
                kwargs[key] = sub(
                    GradeScheme,
                    value,
                    {"satisfaction_bands": bands, "score_bands": bands, "min_months_served": int},
                )
            elif key == "accountability":
                kwargs[key] = sub(
                    PolicySettings,
                    value,
                    {
                        "yellow_card_below": number,
                        "resignation_below": number,
                        "years_running": int,
                        "chain_restarts_with_term": bool,
                        "team_resignation_posts": tup,
                        "penalised_loss_causes": tup,
                    },
                )
            elif key in ("voter_kinds", "published"):
                kwargs[key] = tup(value)
            elif key in ("reply_days", "appeal_days", "retention_years"):
                kwargs[key] = number(value)
            else:
                kwargs[key] = value
        return cls(**kwargs)

    def digest(self) -> str:
        """A stable text of the settings, for comparing versions."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)


DEFAULT_POLICY = Policy()


def district_of(unit: Unit) -> int:
    return unit.district_id


def version_for(unit: Unit, year: int) -> PolicyVersion | None:
    """The stored version in force for ``year`` in ``unit``'s district, or ``None``."""
    return (
        PolicyVersion.objects.filter(district_id=district_of(unit), year_from__lte=year)
        .order_by("-year_from", "-id")
        .first()
    )


def policy_for(unit: Unit, year: int) -> Policy:
    """The settings in force for ``year`` in ``unit``'s district (defaults if none stored)."""
    version = version_for(unit, year)
    return DEFAULT_POLICY if version is None else Policy.from_json(version.data)


def history(district: Unit) -> list[PolicyVersion]:
    return list(
        PolicyVersion.objects.filter(district=district)
        .select_related("created_by")
        .order_by("-year_from", "-id")
    )


def set_policy(*, actor, district: Unit, year_from: int, data: dict, note: str = "") -> Policy:
    """Append a version of ``district``'s settings in force from ``year_from``.

    Refused (nothing saved) when the actor may not manage settings, the data is malformed, or
    any rule of ``Policy.validate`` fails — thresholds out of range or in the wrong order,
    unknown options and so on; the error lists every finding.
    """
    if district.kind != Unit.DISTRICT:
        raise ServiceError(_("Policy settings belong to a district."), code="not_a_district")
    require(actor, "settings.manage", district)
    if not isinstance(year_from, int) or not 2000 <= year_from <= 2100:
        raise ServiceError(_("The year must be between 2000 and 2100."), code="year_invalid")
    try:
        policy = Policy.from_json(data)
    except (TypeError, ValueError) as exc:
        raise ServiceError(
            _("The settings are malformed: %(error)s") % {"error": exc}, code="policy_malformed"
        ) from exc
    findings = policy.validate()
    if findings:
        raise ServiceError(
            "; ".join(f.explain() for f in findings),
            code="policy_invalid",
            details=[
                {"rule": f.rule, "clause": f.clause, "message": f.explain()} for f in findings
            ],
        )
    with transaction.atomic():
        before = policy_for(district, year_from)
        version = PolicyVersion.objects.create(
            district=district,
            year_from=year_from,
            data=policy.to_json(),
            note=note[:500],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        changes = {
            key: [b, a]
            for key, b, a in (
                (k, before.to_json()[k], policy.to_json()[k]) for k in policy.to_json()
            )
            if b != a
        }
        audit.record(
            actor,
            "policy.set",
            version,
            changes={"year_from": year_from, "note": note, **changes},
        )
    return policy


__all__ = [
    "DEFAULT_POLICY",
    "PUBLISHABLE",
    "VOTER_KINDS",
    "Policy",
    "history",
    "policy_for",
    "set_policy",
    "version_for",
]
