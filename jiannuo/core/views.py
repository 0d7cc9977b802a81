from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from jiannuo.organisation.models import Unit

from .context import STEPS
from .models import AuditEntry
from .permissions import scope_paths
from .todo import items_for

# What each step of the process is, with the seed clause it implements.
STEP_TEXT = {
    "opinions": (
        _("§三.1"),
        _(
            "Collect villagers' opinions through cards, consultation "
            "meetings and household visits, and distil the hot issues."
        ),
    ),
    "pledges": (
        _("§三.2–3, §五.2"),
        _(
            "Agree the team's and each member's pledges and breach "
            "clauses; the township approves them."
        ),
    ),
    "signing": (_("§三.4–5"), _("Sign the letters at a public ceremony and keep the originals.")),
    "bulletin": (
        _("§三.4"),
        _("Publish the signed pledges on the village affairs bulletin board."),
    ),
    "supervision": (
        _("§五.3"),
        _("The township follows the fulfilment of every pledge through the year."),
    ),
    "evaluation": (_("§三.6"), _("Year-end assessment and democratic evaluation.")),
    "accountability": (
        _("§四"),
        _("Measures for broken pledges, decided by people, open to appeal."),
    ),
    "reports": (_("§五.3"), _("Figures for the township and the district.")),
}


def home(request):
    villages = Unit.objects.filter(kind=Unit.VILLAGE).select_related("parent").order_by("path")
    return render(request, "core/home.html", {"villages": villages})


@login_required
def todo(request):
    return render(request, "core/todo.html", {"items": items_for(request.user)})


@login_required
def step(request, step):
    labels = dict((k, label) for k, label, _n in STEPS)
    if step not in labels:
        raise Http404
    clause, text = STEP_TEXT[step]
    items = [i for i in items_for(request.user) if i.step == step]
    return render(
        request,
        "core/step.html",
        {"step": step, "label": labels[step], "clause": clause, "text": text, "items": items},
    )


@login_required
def audit_log(request):
    paths = scope_paths(request.user, "audit.view")
    if not paths:
        raise Http404
    qs = AuditEntry.objects.order_by("-id")
    if "/" not in paths:
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(path__startswith=path)
        qs = qs.filter(unit_id__in=Unit.objects.filter(q).values("pk"))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"page": page})
