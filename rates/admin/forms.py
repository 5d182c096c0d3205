"""The admin's "scrape now" form: a scope and its target, checked before a run is queued."""

from django import forms

from rates.runs.scraping import Scope
from rates.runs.targets import ScrapeRefused, scrape_target_clean


class ScrapeForm(forms.Form):
    scope = forms.ChoiceField(choices=[(scope.value, scope.value) for scope in Scope])
    target = forms.CharField(max_length=32)

    def clean(self) -> dict:
        data = super().clean()
        if "scope" in data and "target" in data:
            try:
                data["target"] = scrape_target_clean(scope=data["scope"], target=data["target"])
            except ScrapeRefused as refusal:
                self.add_error("target", str(refusal))
        return data
