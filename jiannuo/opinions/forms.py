"""Forms of the opinions step: they only shape input; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.core.widgets import DateInput

from .models import MAX_OPINION_LENGTH

#: Rows of the quick multi-entry form for paper cards.
CARD_ROWS = 10


class EntryForm(forms.Form):
    text = forms.CharField(
        label=_("Opinion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_OPINION_LENGTH}),
    )
    giver_name = forms.CharField(label=_("Name (optional)"), required=False, max_length=40)
    giver_phone = forms.CharField(label=_("Phone (optional)"), required=False, max_length=20)


EntryFormSet = forms.formset_factory(EntryForm, extra=CARD_ROWS, max_num=200)


def lines(text: str) -> list[str]:
    """One opinion per non-blank line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MeetingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    attendee_count = forms.IntegerField(label=_("Number of attendees"), min_value=1)
    attendees = forms.CharField(
        label=_("Attendees (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    opinions = forms.CharField(
        label=_("Opinions raised (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class VisitForm(forms.Form):
    household = forms.CharField(label=_("Household"), max_length=100)
    visitor = forms.CharField(label=_("Visited by"), max_length=100)
    date = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    opinions = forms.CharField(
        label=_("Opinions heard (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    target = forms.CharField(
        label=_("Measurable target"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What, how much, by when: e.g. “every household's waste sorted, 100%”."),
    )
    year = forms.IntegerField(label=_("Year"))
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    villages = forms.TypedMultipleChoiceField(
        label=_("Villages"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["villages"].choices = [(v.pk, v.name) for v in villages]


class PublicOpinionForm(forms.Form):
    text = forms.CharField(
        label=_("Your opinion or suggestion"),
        max_length=MAX_OPINION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_OPINION_LENGTH}),
    )
    giver_name = forms.CharField(label=_("Name (optional)"), required=False, max_length=40)
    giver_phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    # Honeypot: hidden from people, filled by bots.
    website = forms.CharField(required=False, label=_("Leave this empty"))
