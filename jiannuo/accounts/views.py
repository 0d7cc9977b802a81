import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import grants, scope_paths
from jiannuo.core.roles import ROLE_LABELS, TWO_FACTOR_ROLES

from . import activation, services
from .forms import ActivationForm, LoginForm, OtpConfirmForm, TokenForm, UserCreateForm
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


@login_required
def security(request):
    user = request.user
    my_grants = grants(user)
    roles = sorted({ROLE_LABELS[g.role] for g in my_grants}, key=str)
    needs_2fa = any(g.role in TWO_FACTOR_ROLES for g in my_grants)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    form = OtpConfirmForm(request.POST or None)
    if request.method == "POST" and pending and form.is_valid():
        try:
            services.totp_confirm(actor=user, device=pending, token=form.cleaned_data["token"])
        except ServiceError as exc:
            form.add_error("token", exc.message)
        else:
            messages.success(request, _("Two-factor log-in is on."))
            return redirect("accounts:security")
    qr = None
    secret = None
    if pending:
        qr = _qr_svg(pending.config_url)
        secret = base64.b32encode(pending.bin_key).decode()
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")
    return render(
        request,
        "accounts/security.html",
        {
            "roles": roles,
            "needs_2fa": needs_2fa,
            "confirmed": confirmed,
            "pending": pending,
            "qr": qr,
            "secret": secret,
            "form": form,
            "tokens": tokens,
            "token_form": TokenForm(),
            "can_manage_accounts": bool(scope_paths(user, "accounts.manage")),
            "can_view_audit": bool(scope_paths(user, "audit.view")),
        },
    )


@login_required
@require_POST
def totp_start(request):
    services.totp_start(actor=request.user)
    return redirect("accounts:security")


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


@login_required
def users(request):
    """Township and district accounts within the manager's scope; village cadres log in with
    the account linked to their person on the roster (their roles follow their posts)."""
    from django.http import Http404

    from jiannuo.core.permissions import scope_q
    from jiannuo.organisation.models import Unit

    units = list(Unit.objects.filter(scope_q(request.user, "accounts.manage", field="")))
    if not units:
        raise Http404
    form = UserCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in units if str(u.pk) == form.cleaned_data["unit"])
        try:
            with transaction.atomic():
                user = services.user_create(
                    actor=request.user,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    full_name=form.cleaned_data["full_name"],
                    unit=unit,
                )
                services.role_assign(
                    actor=request.user, user=user, role=form.cleaned_data["role"], unit=unit
                )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("The account %(name)s is created.") % {"name": user.username}
            )
            return redirect("accounts:users")
    assignments = (
        RoleAssignment.objects.filter(unit__in=units)
        .select_related("user", "unit")
        .order_by("unit__path", "role", "user__username")
    )
    return render(
        request,
        "accounts/users.html",
        {"form": form, "assignments": assignments},
        status=400 if form.errors else 200,
    )


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
