"""Navigation that follows the process: opinions → pledges → … → reports."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (key, label, url name). Each step's app provides its index page under that url name.
STEPS = [
    ("opinions", _("Opinions"), "opinions:index"),
    ("pledges", _("Pledges"), "pledges:index"),
    ("signing", _("Signing"), "signing:index"),
    ("bulletin", _("Bulletin"), "bulletin:index"),
    ("supervision", _("Supervision"), "supervision:index"),
    ("evaluation", _("Evaluation"), "evaluation:index"),
    ("accountability", _("Accountability"), "accountability:index"),
    ("reports", _("Reports"), "reports:index"),
]


def _url(key, name):
    try:
        return reverse(name, args=[key]) if name == "core:step" else reverse(name)
    except NoReverseMatch:
        return "#"


def navigation(request):
    """``nav_steps`` is a callable: templates call it only where the navigation is shown
    (signed-in pages), so public pages such as the bulletin board don't pay for it."""

    def nav_steps():
        current = getattr(getattr(request, "resolver_match", None), "app_name", "") or ""
        step = getattr(getattr(request, "resolver_match", None), "kwargs", {}).get("step", "")
        return [
            {"key": k, "label": label, "url": _url(k, n), "active": k in (current, step)}
            for k, label, n in STEPS
        ]

    return {"nav_steps": nav_steps}
