"""The pair page's range: a button's name (1W … Max) or custom start and end dates."""

from datetime import date, timedelta

from django import forms

from pages.pair import DEFAULT_RANGE, RANGES, range_days

# rates.reads.history answers at most about a hundred years of month buckets.
MAX_DAYS = 36500


class PairRangeForm(forms.Form):
    range = forms.ChoiceField(choices=[(r, r) for r in RANGES], required=False)
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None) and not self.errors:
            missing = "start" if start is None else "end"
            self.add_error(missing, "Give both dates, or choose a range.")
        elif start and end:
            if start > end:
                self.add_error("start", "The start date must be on or before the end date.")
            elif end - start > timedelta(days=MAX_DAYS):
                self.add_error("start", f"At most {MAX_DAYS} days.")
        return data

    def days(self, newest: date) -> tuple[str | None, date, date]:
        """(range name or None for custom dates, first day, last day); call after is_valid()."""
        data = self.cleaned_data
        if data.get("start") and data.get("end"):
            return None, data["start"], data["end"]
        name = data.get("range") or DEFAULT_RANGE
        return (name, *range_days(name, newest))
