"""The alerts' figures on /metrics (rates.metrics), counted at scrape time from the alerts'
tables, so every web and Celery worker agrees: firings per condition (test firings apart),
deliveries per channel and outcome (failed ones are those whose retries are spent), and the
active rules."""

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from alerts.models import AlertFiring, AlertRule, Delivery


class AlertsCollector:
    def collect(self):
        yield self._fired()
        yield self._deliveries()
        active = GaugeMetricFamily("koel_alert_rules_active", "Active alert rules.")
        active.add_metric([], AlertRule.objects.filter(active=True).count())
        yield active

    def _fired(self):
        family = CounterMetricFamily(
            "koel_alerts_fired", "Alert firings per condition (test firings apart).",
            labels=["condition"],
        )  # fmt: skip
        counted = (
            AlertFiring.objects.filter(is_test=False)
            .values_list("rule__condition")
            .annotate(n=Count("id"))
            .order_by()
        )
        for condition, count in sorted(counted):
            family.add_metric([condition], count)
        return family

    def _deliveries(self):
        family = CounterMetricFamily(
            "koel_alert_deliveries", "Alert deliveries per channel and outcome.",
            labels=["channel", "outcome"],
        )  # fmt: skip
        counted = Delivery.objects.values_list("channel", "outcome").annotate(n=Count("id"))
        for channel, outcome, count in sorted(counted.order_by()):
            family.add_metric([channel, outcome], count)
        return family


COLLECTOR = AlertsCollector()
