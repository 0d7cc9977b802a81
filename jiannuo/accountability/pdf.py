"""The decision document (处理决定书) of a case as PDF (seed §四; DOMAIN.md "Due process").

Rendered with WeasyPrint and the system's Noto CJK fonts from ``accountability/decision_pdf.html``
(official text, Chinese by nature): number, the township party committee, the cadre and post,
the measure and its seed clause, the facts the rules found, the cadre's reply, the decision,
the decision-maker and the second approver, and the right of appeal with its window. Nothing is
fetched from the network.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from jiannuo.organisation import organs
from jiannuo.organisation.policy import policy_for

from . import rules
from .models import Case

#: Official (Chinese) names of the measures, as printed on the decision.
MEASURE_TITLES = {
    rules.NO_HONOURS: "年度考核定为不称职并取消评先评优资格",
    rules.ECONOMIC_PENALTY: "经济处罚和经济赔偿",
    rules.YELLOW_CARD: "黄牌警告",
    rules.RESIGNATION: "责令引咎辞职",
    rules.CRITICISM: "通报批评",
    rules.DISCIPLINE_REFERRAL: "移送有关机关给予纪律处分",
}


def _no_network(url, *args, **kwargs):
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"Refusing to fetch {url!r} while rendering a decision.")


def _name(user):
    return (user.first_name or user.username) if user else ""


def render_html(case: Case) -> str:
    with override("zh-hans"):
        return render_to_string(
            "accountability/decision_pdf.html",
            {
                "case": case,
                "organ": organs.township_committee(case.township),
                "organ_full": organs.township_committee_full(case.township),
                "title": MEASURE_TITLES[case.measure],
                "reasons": case.explain(),
                "decider": _name(case.decided_by),
                "approver": _name(case.approved_by),
                "appeal_days": policy_for(case.village, case.year).appeal_days,
                "dismissed": case.state == rules.DISMISSED,
                "today": timezone.localdate(),
            },
        )


def render_decision_pdf(case: Case) -> bytes:
    from weasyprint import HTML

    from jiannuo.signing.pdfwrite import PDF_VARIANT

    html = HTML(string=render_html(case), url_fetcher=_no_network, base_url=".")
    return html.write_pdf(pdf_variant=PDF_VARIANT)
