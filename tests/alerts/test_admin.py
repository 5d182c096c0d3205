from django.core import mail
from django.urls import reverse

from alerts.models import AlertFiring, AlertRule, Delivery


def add_form(owner, **fields):
    form = {
        "owner": owner.id,
        "base": "EUR",
        "target": "USD",
        "condition": "above",
        "threshold": "1.2",
        "window_hours": "24",
        "hysteresis": "0",
        "cooldown": "01:00:00",
        "active": "on",
        "notify_email": "on",
        "webhook_secret": "s3cret",
    }
    return {**form, **fields}


def test_admin_creates_a_rule_on_a_quotable_pair(admin_client, owner, store):
    store("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
    answer = admin_client.post(reverse("admin:alerts_alertrule_add"), add_form(owner))
    assert answer.status_code == 302
    assert AlertRule.objects.get().target == "USD"


def test_admin_refuses_a_pair_koel_cannot_quote(admin_client, owner, store):
    store("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
    url = reverse("admin:alerts_alertrule_add")
    answer = admin_client.post(url, add_form(owner, target="XYZ"))
    assert answer.status_code == 200
    assert "Unknown currency code: &#x27;XYZ&#x27;" in answer.text
    answer = admin_client.post(url, add_form(owner, target="CHF"))  # known, never quoted
    assert "Koel has no rate for EUR/CHF" in answer.text
    answer = admin_client.post(url, add_form(owner, threshold="0"))
    assert "The threshold must be greater than 0." in answer.text
    assert not AlertRule.objects.exists()


def test_send_test_notification_delivers_without_touching_the_rule(
    admin_client, rule, land, django_capture_on_commit_callbacks
):
    land("ecb", ("EUR", "USD", "1.1", "2026-01-05T16:00"))
    watch = rule("EUR", "USD", "above", "1.2", notify_email=True)
    form = {"action": "send_test_notification", "_selected_action": [watch.id]}
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(reverse("admin:alerts_alertrule_changelist"), form)
    assert answer.status_code == 302
    firing = AlertFiring.objects.get()
    assert firing.is_test
    assert Delivery.objects.get().outcome == "delivered"
    assert mail.outbox[0].subject.startswith("[test] Koel alert")
    watch.refresh_from_db()
    assert watch.armed
    assert watch.last_fired_at is None


def test_send_test_notification_without_a_rate_says_why(admin_client, rule):
    watch = rule("EUR", "USD", "above", "1.2")
    form = {"action": "send_test_notification", "_selected_action": [watch.id]}
    answer = admin_client.post(reverse("admin:alerts_alertrule_changelist"), form, follow=True)
    assert "No rate EUR -&gt; USD" in answer.text
    assert not AlertFiring.objects.exists()


def test_firing_page_lists_its_deliveries(admin_client, rule, land):
    rule("EUR", "USD", "above", "1.2", notify_email=True)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-05T16:00"))
    firing = AlertFiring.objects.get()
    answer = admin_client.get(reverse("admin:alerts_alertfiring_change", args=[firing.id]))
    assert answer.status_code == 200
    assert "delivered" in answer.text


def test_a_deliverys_page_lists_every_attempt(admin_client, rule, land):
    rule("EUR", "USD", "above", "1.2", notify_email=True)
    land("ecb", ("EUR", "USD", "1.25", "2026-01-05T16:00"))
    delivery = Delivery.objects.get()
    firing_page = admin_client.get(
        reverse("admin:alerts_alertfiring_change", args=[delivery.firing_id])
    )
    page = reverse("admin:alerts_delivery_change", args=[delivery.id])
    assert page in firing_page.text  # the inline links to the delivery's own page
    answer = admin_client.get(page)
    assert answer.status_code == 200
    assert 'class="field-duration_ms"' in answer.text  # the attempts' inline, read-only
    assert "attempt_log-TOTAL_FORMS" in answer.text
    assert 'name="attempt_log-0-error"' not in answer.text  # nothing to edit
