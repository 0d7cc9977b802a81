from django import forms
from django.utils.translation import gettext_lazy as _

from jiannuo.core.widgets import DateInput


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("Roster workbook (.xlsx)"))


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    gender = forms.ChoiceField(
        label=_("Gender"), required=False, choices=[("", "—"), ("M", _("Male")), ("F", _("Female"))]
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())


class PostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Post"), choices=[])
    start = forms.DateField(label=_("Start"), widget=DateInput())
    end = forms.DateField(label=_("End"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        from .models import Post

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Post.KINDS


class PostEndForm(forms.Form):
    end = forms.DateField(label=_("End"), widget=DateInput())


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    code = forms.CharField(label=_("Code"), max_length=20)
    township_type = forms.ChoiceField(
        label=_("Township type"),
        required=False,
        choices=[("town", _("Town (镇)")), ("subdistrict", _("Subdistrict (街道)"))],
    )
    party_org = forms.ChoiceField(
        label=_("Village party organisation"),
        required=False,
        choices=[
            ("branch", _("Party branch (党支部)")),
            ("general_branch", _("General party branch (党总支)")),
            ("committee", _("Party committee (党委)")),
        ],
    )


class TermForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("e.g. 2027—2031年届"))
    start = forms.DateField(label=_("Start"), widget=DateInput())
    end = forms.DateField(label=_("End"), widget=DateInput())
