"""Forms of the pledges pages. They only shape input: the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.core.widgets import DateInput

from .models import BREACH_LABELS, CATEGORY_LABELS


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ItemForm(VersionForm):
    category = forms.ChoiceField(label=_("Category"), choices=list(CATEGORY_LABELS.items()))
    text = forms.CharField(label=_("Pledge"), widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.CharField(label=_("Measurable target"), required=False, max_length=200)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    responsible_post_id = forms.TypedChoiceField(
        label=_("Responsible post"), required=False, coerce=int, empty_value=None
    )
    hot_issue_ids = forms.TypedMultipleChoiceField(
        label=_("Hot issues it answers"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    task_ids = forms.TypedMultipleChoiceField(
        label=_("Township tasks it answers"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    breaks_down_ids = forms.TypedMultipleChoiceField(
        label=_("Team pledges it breaks down"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, letter, posts, options, team_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_post_id"].choices = [("", "—")] + [
            (p.pk, f"{p.get_kind_display()} {p.person.name}") for p in posts
        ]
        self.fields["hot_issue_ids"].choices = [(h.pk, h.label) for h in options["hot_issues"]]
        self.fields["task_ids"].choices = [(t.pk, t.task.title) for t in options["tasks"]]
        if letter.kind == "team":
            del self.fields["breaks_down_ids"]
        else:
            self.fields["breaks_down_ids"].choices = [
                (i.pk, f"{i.code} {i.text[:40]}") for i in team_items
            ]


class ClauseForm(VersionForm):
    category = forms.ChoiceField(label=_("Category"), choices=list(BREACH_LABELS.items()))
    trigger = forms.CharField(label=_("When"), widget=forms.Textarea(attrs={"rows": 2}))
    measure = forms.CharField(label=_("Measure"), widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), required=False, max_digits=12, decimal_places=2, min_value=0
    )
    share_percent = forms.DecimalField(
        label=_("Share of the loss (%)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        help_text=_(
            "Economic-loss clauses (§四.2): the share of the loss the cadre compensates, or "
            "leave it empty and give a fixed amount."
        ),
    )


class AcknowledgeForm(VersionForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=_("Reasons / note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    copy = forms.BooleanField(label=_("Start the new version from the old content"), required=False)


class MeetingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ImportForm(VersionForm):
    file = forms.FileField(label=_("Pledge items workbook (.xlsx)"))
