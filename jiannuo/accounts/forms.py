from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user


class LoginForm(AuthenticationForm):
    """User name and password, plus the TOTP code when the user has turned two-factor on."""

    otp_token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        help_text=_("Only if you have turned on two-factor log-in."),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "otp_required": _("Enter the 6-digit code from your authenticator app."),
        "otp_invalid": _("The authenticator code is wrong or expired."),
        "posts_ended": _(
            "Your posts on the village roster have ended, so this log-in is disabled."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        self._check_posts(user)
        devices = [d for d in devices_for_user(user, confirmed=True)]
        self.otp_device = None
        if not devices:
            return
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        for device in devices:
            if device.verify_token(token):
                self.otp_device = device
                return
        raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")

    def _check_posts(self, user):
        """A roster person's log-in lasts while they hold a post (a post may end on a date
        after the township recorded it; ``organisation.services.login_sync`` then could not
        disable the log-in yet)."""
        from django.db.models import Q
        from django.utils import timezone

        from jiannuo.organisation.models import Post

        if user.is_superuser or user.is_staff or user.roles.exists():
            return
        person = getattr(user, "person", None)
        if person is None:
            return
        today = timezone.localdate()
        if (
            not Post.objects.filter(person=person)
            .filter(Q(end__isnull=True) | Q(end__gte=today))
            .exists()
        ):
            raise forms.ValidationError(self.error_messages["posts_ended"], code="posts_ended")


class ActivationForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    code = forms.CharField(label=_("Activation code"), max_length=20)
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(
        label=_("New password again"), widget=forms.PasswordInput, strip=False
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)


class OtpConfirmForm(forms.Form):
    token = forms.CharField(label=_("Authenticator code"), max_length=8)


class OfficialForm(forms.Form):
    """A township or district official: a person on the unit's roster, their account, a role."""

    name = forms.CharField(label=_("Name of the person"), max_length=40)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    full_name = forms.CharField(label=_("Full name and title"), max_length=150, required=False)
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput)
    role = forms.ChoiceField(label=_("Role"), choices=[])
    unit = forms.ChoiceField(label=_("Unit"), choices=[])

    def __init__(self, *args, roles=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = list(roles)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]


class GrantForm(forms.Form):
    """Another role for an official who already has an account."""

    person = forms.ChoiceField(label=_("Person"), choices=[])
    role = forms.ChoiceField(label=_("Role"), choices=[])
    unit = forms.ChoiceField(label=_("Unit"), choices=[])

    def __init__(self, *args, people=(), roles=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [
            (p.pk, f"{p.name}({p.village.name},{p.user.username})") for p in people
        ]
        self.fields["role"].choices = list(roles)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
