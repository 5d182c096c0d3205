"""Back office of the live feed: the live group (editable, ordered), the feed's state
(read-only), and django-celery-beat's periodic task and interval forms made to refuse a live
tick interval that breaks the politeness budget (monitor.budget)."""

from django import forms
from django.contrib import admin
from django.forms.models import BaseModelFormSet
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from monitor.budget import interval_refusal, live_set_refusal
from monitor.models import LiveFeed, LivePair
from monitor.schedule import LIVE_TASK, schedule_seconds


class LiveSetFormSet(BaseModelFormSet):
    """The changelist's list edits: several pairs switched on at once are counted together
    (each row's own check sees only the stored set plus itself)."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        switched_on = [
            form
            for form in self.forms
            if form.cleaned_data.get("active") and "active" in form.changed_data
        ]
        if not switched_on:
            return  # reordering, or switching off, never breaks the budget
        edited = {form.instance.pk: form.cleaned_data.get("active") for form in self.forms}
        active = LivePair.objects.filter(active=True).exclude(pk__in=list(edited)).count()
        active += sum(1 for on in edited.values() if on)
        if refusal := live_set_refusal(active=active):
            for form in switched_on:
                form.add_error("active", refusal)
            raise forms.ValidationError(refusal)


@admin.register(LivePair)
class LivePairAdmin(admin.ModelAdmin):
    list_display = ["pair", "base", "target", "position", "active"]
    list_display_links = ["pair"]
    list_editable = ["position", "active"]
    list_filter = ["active"]
    ordering = ["position", "id"]
    fields = ["base", "target", "position", "active"]

    def get_changelist_formset(self, request, **kwargs):
        return super().get_changelist_formset(request, formset=LiveSetFormSet, **kwargs)


@admin.register(LiveFeed)
class LiveFeedAdmin(admin.ModelAdmin):
    list_display = ["state", "reason", "last_tick_at", "source", "answered", "stored", "seconds"]
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False  # the tick writes it

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LivePeriodicTaskForm(beat_admin.PeriodicTaskForm):
    """django-celery-beat's form, which also refuses an interval too short for the live set
    when the task is the live tick."""

    def clean(self):
        data = super().clean()
        interval = data.get("interval")
        live = data.get("task") == LIVE_TASK and data.get("enabled") and interval is not None
        if live and (refusal := interval_refusal(schedule_seconds(interval))):
            self.add_error("interval", refusal)
        if data.get("task") == LIVE_TASK and interval is not None:
            # A tick still queued when the next is due is dropped, not run late.
            data["expire_seconds"] = int(schedule_seconds(interval))
        return data


class LivePeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    form = LivePeriodicTaskForm


class LiveIntervalForm(forms.ModelForm):
    """An interval schedule the enabled live tick runs on may not become too short for it."""

    class Meta:
        model = IntervalSchedule
        fields = ["every", "period"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None or self.errors:
            return data
        runs_live = PeriodicTask.objects.filter(
            interval=self.instance, task=LIVE_TASK, enabled=True
        ).exists()
        if runs_live:
            edited = IntervalSchedule(every=data["every"], period=data["period"])
            if refusal := interval_refusal(schedule_seconds(edited)):
                self.add_error("every", refusal)
        return data


class LiveIntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin):
    form = LiveIntervalForm

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # The live tick's queued ticks expire with its interval (monitor.schedule).
        ticks = PeriodicTask.objects.filter(interval=obj, task=LIVE_TASK)
        if ticks.exclude(expire_seconds=int(schedule_seconds(obj))).update(
            expire_seconds=int(schedule_seconds(obj))
        ):
            PeriodicTasks.update_changed()  # beat re-reads its schedule


for model, model_admin in (
    (PeriodicTask, LivePeriodicTaskAdmin),
    (IntervalSchedule, LiveIntervalScheduleAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
