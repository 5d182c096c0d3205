"""The live group's admin, the feed's state in it, and the politeness budget refusing a live set
or a live tick interval that breaks it (errors naming the field)."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from monitor.admin import LiveIntervalForm, LivePeriodicTaskForm
from monitor.models import LiveFeed, LivePair
from monitor.schedule import LIVE_TASK_NAME, live_schedules_load
from rates.ingest.loading import currencies_load

pytestmark = pytest.mark.django_db

ADD = reverse("admin:monitor_livepair_add")
CHANGELIST = reverse("admin:monitor_livepair_changelist")


@pytest.fixture(autouse=True)
def reference_data(settings):
    currencies_load()
    live_schedules_load()  # created at migrate time; again here for tests that flushed it
    settings.KOEL_LIVE_BUDGET_PER_MINUTE = 16  # the eight majors every 30 s: exactly full


def form_data(instance) -> dict:
    data = model_to_dict(instance)
    return {key: "" if value is None else value for key, value in data.items()}


def live_task() -> PeriodicTask:
    return PeriodicTask.objects.select_related("interval").get(name=LIVE_TASK_NAME)


def test_the_live_schedule_is_created_once_every_30_seconds_with_expiry():
    assert live_schedules_load() == 0  # already there: nothing created, nothing changed

    task = live_task()
    assert (task.task, task.interval.every, task.interval.period) == (
        "monitor.tasks.live_tick",
        30,
        "seconds",
    )
    assert task.expire_seconds == 30  # a backed-up tick expires rather than runs late
    assert (
        PeriodicTask.objects.get(name="koel: live retention").task == "monitor.tasks.live_retention"
    )


def test_the_live_group_is_listed_in_order_and_editable(admin_client):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    listed = [str(pair) for pair in response.context["cl"].result_list]
    assert listed[:3] == ["EUR/USD", "GBP/USD", "USD/JPY"]
    assert 'name="form-0-active"' in response.text  # list-editable


def test_adding_a_pair_over_the_budget_is_refused_on_active(admin_client):
    response = admin_client.post(
        ADD, {"base": "USD", "target": "SEK", "position": 8, "active": "on"}
    )

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["active"]
    assert "9 live pairs every 30 s is 18 requests a minute" in errors["active"][0]
    assert not LivePair.objects.filter(base="USD", target="SEK").exists()


def test_adding_an_inactive_pair_or_one_within_the_budget_is_accepted(admin_client, settings):
    admin_client.post(ADD, {"base": "USD", "target": "SEK", "position": 8})
    assert LivePair.objects.get(base="USD", target="SEK").active is False

    settings.KOEL_LIVE_BUDGET_PER_MINUTE = 50
    admin_client.post(ADD, {"base": "USD", "target": "NOK", "position": 9, "active": "on"})
    assert LivePair.objects.get(base="USD", target="NOK").active is True


def test_switching_pairs_on_in_the_list_is_counted_together(admin_client, settings):
    settings.KOEL_LIVE_BUDGET_PER_MINUTE = 20  # room for ten pairs every 30 s
    for n, target in enumerate(["SEK", "NOK", "DKK"]):
        LivePair.objects.create(base="USD", target=target, position=8 + n, active=False)
    pairs = list(LivePair.objects.order_by("position", "id"))
    data = {"form-TOTAL_FORMS": len(pairs), "form-INITIAL_FORMS": len(pairs), "_save": "Save"}
    for n, pair in enumerate(pairs):
        data.update({f"form-{n}-id": pair.id, f"form-{n}-position": pair.position})
        data[f"form-{n}-active"] = "on"  # all eleven on: 22 a minute

    response = admin_client.post(CHANGELIST, data)

    assert response.status_code == 200
    assert "11 live pairs every 30 s is 22 requests a minute" in response.text
    assert LivePair.objects.filter(active=True).count() == 8


def test_a_live_tick_interval_over_the_budget_is_refused_on_interval():
    every_10s, _ = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.SECONDS)
    task = live_task()
    form = LivePeriodicTaskForm(data={**form_data(task), "interval": every_10s.id}, instance=task)

    assert not form.is_valid()
    assert list(form.errors) == ["interval"]
    assert "8 live pairs every 10 s is 48 requests a minute" in form.errors["interval"][0]

    every_minute, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.MINUTES
    )
    form = LivePeriodicTaskForm(
        data={**form_data(task), "interval": every_minute.id}, instance=task
    )
    assert form.is_valid(), form.errors


def test_other_tasks_may_run_as_often_as_they_like():
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    task = PeriodicTask.objects.create(
        name="other", task="rates.tasks.heartbeat", interval=every_second
    )
    form = LivePeriodicTaskForm(data=form_data(task), instance=task)

    assert form.is_valid(), form.errors


def test_shortening_the_live_tick_interval_schedule_is_refused_on_every(admin_client):
    interval = live_task().interval
    form = LiveIntervalForm(data={"every": 5, "period": "seconds"}, instance=interval)

    assert not form.is_valid()
    assert list(form.errors) == ["every"]
    assert LiveIntervalForm(data={"every": 40, "period": "seconds"}, instance=interval).is_valid()
    # The admin uses that form.
    url = reverse("admin:django_celery_beat_intervalschedule_change", args=[interval.id])
    response = admin_client.post(url, {"every": 5, "period": "seconds"})
    assert response.status_code == 200
    assert "requests a minute" in response.text
    assert IntervalSchedule.objects.get(id=interval.id).every == 30


def test_the_feed_state_is_shown_in_the_admin(admin_client):
    LiveFeed.objects.update_or_create(pk=1, defaults={"state": "down", "reason": "yahoo: HTTP 503"})

    response = admin_client.get(reverse("admin:monitor_livefeed_changelist"))

    assert response.status_code == 200
    assert "yahoo: HTTP 503" in response.text


def test_editing_an_active_pair_is_not_refused_when_the_budget_was_lowered(admin_client, settings):
    settings.KOEL_LIVE_BUDGET_PER_MINUTE = 10  # the eight active majors are already over it
    pair = LivePair.objects.get(base="EUR", target="USD")
    url = reverse("admin:monitor_livepair_change", args=[pair.id])

    admin_client.post(url, {"base": "EUR", "target": "USD", "position": 5, "active": "on"})

    assert LivePair.objects.get(id=pair.id).position == 5  # the tick itself refuses to run


def test_a_new_live_interval_carries_its_expiry(admin_client):
    every_minute, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.MINUTES
    )
    task = live_task()
    form = LivePeriodicTaskForm(
        data={**form_data(task), "interval": every_minute.id}, instance=task
    )
    assert form.is_valid(), form.errors
    form.save()
    assert live_task().expire_seconds == 60
    # Editing the schedule itself in the admin moves the expiry with it.
    url = reverse("admin:django_celery_beat_intervalschedule_change", args=[every_minute.id])
    inline = {"periodictask_set-TOTAL_FORMS": 0, "periodictask_set-INITIAL_FORMS": 0}
    response = admin_client.post(url, {"every": 2, "period": "minutes", **inline})
    assert response.status_code == 302
    assert live_task().expire_seconds == 120
