"""The /alerts/ page's rule form. Its validation is the model's own (AlertRule.clean: threshold,
hysteresis, cooldown, and a pair Koel can quote), run by the ModelForm, so the page and the
admin reject what the REST serializer rejects (alerts.validation), each message next to its
field."""

from django import forms

from alerts.models import RULE_INPUT_FIELDS, TARGET_URL, AlertRule
from rates.reads import currency_list


def currency_choices() -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} — {c.name}") for c in currency_list(active=True)]


class AlertRuleForm(forms.ModelForm):
    base = forms.ChoiceField(label="From (base)")
    target = forms.ChoiceField(label="To (target)")
    webhook_url = forms.URLField(
        label="Webhook URL", required=False, assume_scheme="https", validators=TARGET_URL
    )
    slack_url = forms.URLField(
        label="Slack-compatible webhook URL",
        required=False,
        assume_scheme="https",
        validators=TARGET_URL,
    )

    class Meta:
        model = AlertRule
        fields = RULE_INPUT_FIELDS
        labels = {"window_hours": "Window (hours)", "notify_email": "Notify me by email"}
        help_texts = {
            "threshold": "The rate for above/below; a percentage for a change over the window.",
            "cooldown": "At least this long between two firings, e.g. 01:00:00.",
            "hysteresis": "How far the rate must move back past the threshold to re-arm.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = currency_choices()
        self.fields["base"].choices = choices
        self.fields["target"].choices = choices
