"""Admin pages of the scraping side: source health, scrape runs, the quarantine."""

from decimal import Decimal

from django.urls import reverse

from rates.ingest.acceptance import rates_accept
from rates.models import (
    ExchangeRate,
    QuarantinedRate,
    QuarantineStatus,
    RunStatus,
    ScrapeRun,
    Source,
)


def changelist(client, model: str):
    return client.get(reverse(f"admin:rates_{model}_changelist"))


def test_source_changelist_shows_health_and_circuit(admin_client, sources):
    Source.objects.filter(code="alpha").update(
        attempts=4, successes=3, total_latency=2.0, consecutive_failures=1
    )

    response = changelist(admin_client, "source")

    assert response.status_code == 200
    assert "75%" in response.text
    assert "0.5 s" in response.text
    assert "closed" in response.text


def test_scrape_now_refuses_a_disabled_source_with_the_reason(admin_client, sources):
    Source.objects.filter(code="alpha").update(enabled=False)

    response = admin_client.post(
        reverse("admin:rates_source_changelist"),
        {"action": "scrape_now", "_selected_action": ["alpha"], "index": 0},
        follow=True,
    )

    assert "Not scraped: Source alpha cannot be scraped now: disabled." in response.text
    assert not ScrapeRun.objects.exists()


def test_scrape_run_detail_lists_attempts(admin_client, sources):
    run = ScrapeRun.objects.create(
        scope="group",
        target="primary",
        status=RunStatus.PARTIAL,
        bases_total=15,
        bases_done=15,
        attempts=[{"source": "alpha", "bases": ["USD"], "outcome": "failed", "error": "HTTP 500"}],
    )

    response = admin_client.get(reverse("admin:rates_scraperun_change", args=[run.id]))

    assert response.status_code == 200
    assert "<td>alpha</td><td>USD</td><td>failed</td>" in response.text
    assert "HTTP 500" in response.text
    assert "15/15" in response.text


def test_quarantine_approve_action_publishes_the_rate(admin_client, store, rate_row):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))
    rates_accept(source="alpha", rows=[rate_row("EUR", "USD", "9.9", "2024-01-03T16:00")])
    held = QuarantinedRate.objects.get()
    assert "+800.0%" in changelist(admin_client, "quarantinedrate").text

    admin_client.post(
        reverse("admin:rates_quarantinedrate_changelist"),
        {"action": "approve", "_selected_action": [held.id]},
    )

    held.refresh_from_db()
    assert (held.status, held.resolved_by) == (QuarantineStatus.RELEASED, "admin")
    assert ExchangeRate.objects.filter(source="alpha").get().rate == Decimal("9.9")


def test_quarantine_actions_need_the_change_permission(client, django_user_model, store, rate_row):
    store("ecb", ("EUR", "USD", "1.10", "2024-01-02T16:00"))
    rates_accept(source="alpha", rows=[rate_row("EUR", "USD", "9.9", "2024-01-03T16:00")])
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(*_permissions("view_quarantinedrate"))
    client.force_login(viewer)

    response = changelist(client, "quarantinedrate")

    assert response.status_code == 200
    assert 'value="approve"' not in response.text


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)
