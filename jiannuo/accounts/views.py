import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import grants, has_perm, scope_paths, scope_q
from jiannuo.core.roles import (
    DECISION_ROLES,
    ROLE_CHOICES,
    ROLE_LABELS,
    ROLE_LEVEL,
    TWO_FACTOR_ROLES,
)
from jiannuo.organisation.models import Person, Unit

from . import activation, services, twofactor
from .forms import ActivationForm, GrantForm, LoginForm, OfficialForm, OtpConfirmForm, TokenForm
from .models import ApiToken, RoleAssignment


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if getattr(form, "otp_device", None) is not None:
            otp_login(self.request, form.otp_device)
        return response


def _qr_svg(text: str) -> str:
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue().decode()


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
def security(request):
    user = request.user
    my_grants = grants(user)
    roles = sorted({ROLE_LABELS[g.role] for g in my_grants}, key=str)
    needs_2fa = any(g.role in TWO_FACTOR_ROLES for g in my_grants)
    must_2fa = twofactor.required_for(user)
    is_verified = twofactor.verified(user)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    form = OtpConfirmForm(request.POST or None)
    if request.method == "POST" and (pending or confirmed) and form.is_valid():
        code = form.cleaned_data["token"]
        try:
            if pending:
                services.totp_confirm(actor=user, device=pending, token=code)
                device = pending
            else:
                device = confirmed
                if not device.verify_token(code):
                    raise ServiceError(
                        _("The code is wrong or expired; try the current one."), code="otp"
                    )
        except ServiceError as exc:
            form.add_error("token", exc.message)
        else:
            # The session is now verified with the second factor.
            otp_login(request, device)
            if pending:
                messages.success(request, _("Two-factor log-in is on."))
            return redirect(_next_url(request) or "accounts:security")
    qr = None
    secret = None
    if pending:
        qr = _qr_svg(pending.config_url)
        secret = base64.b32encode(pending.bin_key).decode()
    tokens = ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")
    return render(
        request,
        "accounts/security.html",
        {
            "roles": roles,
            "needs_2fa": needs_2fa,
            "must_2fa": must_2fa,
            "is_verified": is_verified,
            "confirmed": confirmed,
            "pending": pending,
            "qr": qr,
            "secret": secret,
            "form": form,
            "next": _next_url(request),
            "tokens": tokens,
            "token_days": services.token_days(),
            "token_form": TokenForm(),
            "can_manage_accounts": bool(scope_paths(user, "accounts.manage")),
            "can_view_audit": bool(scope_paths(user, "audit.view")),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def totp_start(request):
    services.totp_start(actor=request.user)
    target = reverse("accounts:security")
    if nxt := _next_url(request):
        target += "?" + urlencode({"next": nxt})
    return redirect(target)


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = services.token_create(actor=request.user, name=form.cleaned_data["name"])
        messages.success(
            request, _("New API token (shown once, copy it now): %(key)s") % {"key": key}
        )
    return redirect("accounts:security")


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:security")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password.html"

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            audit.record(self.request.user, "user.password_change", self.request.user)
        messages.success(self.request, _("Your password is changed."))
        return response

    def get_success_url(self):
        return reverse("accounts:security")


def locked(request, credentials=None, *args, **kwargs):
    return render(request, "accounts/locked.html", status=429)


def _grantable(user, units) -> tuple[list, list]:
    """(role choices, units) the user may grant: decision roles only from the level above
    (``accounts.grant_decision`` for townships, a superuser for districts), other non-village
    roles wherever the user manages accounts."""
    roles = []
    for role, label in ROLE_CHOICES:
        if ROLE_LEVEL[role] == "village":
            continue
        if role in DECISION_ROLES:
            ok = any(
                ROLE_LEVEL[role] == u.kind
                and (
                    user.is_superuser
                    if u.kind == Unit.DISTRICT
                    else has_perm(user, "accounts.grant_decision", u)
                )
                for u in units
            )
        else:
            ok = any(ROLE_LEVEL[role] == u.kind for u in units)
        if ok:
            roles.append((role, label))
    return roles, [u for u in units if u.kind != Unit.VILLAGE]


@login_required
def users(request):
    """The people page of a district (or township): every grant of a role over the units the
    manager looks after — who granted it, when, to which person — and the forms to add an
    official or grant a role. Village cadres get their roles from their posts on the roster."""
    units = list(Unit.objects.filter(scope_q(request.user, "accounts.manage", field="")))
    if not units:
        raise Http404
    roles, role_units = _grantable(request.user, units)
    people = list(
        Person.objects.filter(
            village__in=role_units, user__isnull=False, user__is_active=True
        ).select_related("village", "user")
    )
    which = request.POST.get("form") if request.method == "POST" else None
    official_form = OfficialForm(
        request.POST if which == "official" else None, roles=roles, units=role_units
    )
    grant_form = GrantForm(
        request.POST if which == "grant" else None, people=people, roles=roles, units=role_units
    )
    bound = official_form if which == "official" else grant_form if which == "grant" else None
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        unit = next(u for u in role_units if str(u.pk) == data["unit"])
        try:
            if bound is official_form:
                grant = services.official_create(
                    actor=request.user,
                    unit=unit,
                    role=data["role"],
                    name=data["name"],
                    phone=data["phone"],
                    username=data["username"],
                    password=data["password"],
                    full_name=data["full_name"],
                )
            else:
                person = next(p for p in people if str(p.pk) == data["person"])
                grant = services.role_assign(
                    actor=request.user, role=data["role"], unit=unit, person=person
                )
        except ServiceError as exc:
            bound.add_error(None, exc.message)
        except PermissionDenied as exc:
            bound.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(role)s over %(unit)s is granted to %(name)s.")
                % {
                    "role": grant.get_role_display(),
                    "unit": grant.unit.name,
                    "name": grant.person.name if grant.person else grant.user.username,
                },
            )
            return redirect("accounts:users")
    assignments = (
        RoleAssignment.objects.filter(unit__in=units)
        .select_related("user", "unit", "person", "person__village", "granted_by", "revoked_by")
        .order_by("revoked_at", "unit__path", "role", "user__username")
    )
    return render(
        request,
        "accounts/users.html",
        {
            "official_form": official_form,
            "grant_form": grant_form,
            "assignments": assignments,
            "decision_roles": DECISION_ROLES,
            "can_grant_decisions": any(r in DECISION_ROLES for r, _label in roles),
        },
        status=400 if bound is not None and bound.errors else 200,
    )


@login_required
@require_POST
def grant_revoke(request, pk):
    units = Unit.objects.filter(scope_q(request.user, "accounts.manage", field=""))
    assignment = get_object_or_404(RoleAssignment, pk=pk, unit__in=units)
    try:
        services.role_revoke(actor=request.user, assignment=assignment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("accounts:users")
    messages.success(request, _("The role is revoked."))
    return redirect("accounts:users")


# --- Log-ins of the people on village rosters (accounts.activation) ----------------------


def activation_url(request) -> str:
    from django.conf import settings

    path = reverse("accounts:activate")
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path)


def _slips_response(request, issued, filename):
    from django.http import HttpResponse

    from .slips import render_slips

    response = HttpResponse(render_slips(issued, activation_url(request)), "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def person_activation(request, pk):
    """The township issues (or resets) one person's log-in: the response is the slip."""
    from django.http import Http404

    from jiannuo.core.permissions import has_perm
    from jiannuo.organisation.models import Person

    person = Person.objects.select_related("village").filter(pk=pk).first()
    if person is None or not has_perm(request.user, "org.view", person.village):
        raise Http404
    try:
        issued = activation.activation_issue(actor=request.user, person=person)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("organisation:person", pk=person.pk)
    return _slips_response(request, [issued], f"activation-{issued.user.username}.pdf")


@login_required
@require_POST
def village_activations(request, pk):
    """Log-ins for everyone of a village with a post and no log-in yet: one PDF, a page each."""
    from jiannuo.organisation import selectors as org_selectors

    village = org_selectors.get_unit(request.user, pk)
    try:
        issued = activation.activation_issue_village(actor=request.user, village=village)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("organisation:unit", pk=village.pk)
    if not issued:
        messages.info(request, _("Everyone with a post here has a log-in already."))
        return redirect("organisation:unit", pk=village.pk)
    return _slips_response(request, issued, f"activation-{village.code}.pdf")


def activate(request):
    """First log-in with the activation slip: user name + code → own password → logged in."""
    from django.contrib.auth import login

    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = activation.account_activate(
                username=d["username"],
                code=d["code"],
                password=d["password"],
                password_again=d["password_again"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your password is set; you are logged in."))
            return redirect("core:todo")
    return render(
        request, "accounts/activate.html", {"form": form}, status=400 if form.errors else 200
    )
