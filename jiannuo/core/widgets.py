"""Form widgets shared by every step."""

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker. ``<input type="date">`` only shows an ISO ``YYYY-MM-DD`` value:
    the Chinese locale's first input format (``2026/12/31``) would leave it blank, and saving
    the form would then erase the date (issue #14)."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")
