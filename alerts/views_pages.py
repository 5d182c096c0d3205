"""/alerts/: a logged-in user's own rules (list, create, edit, pause, delete) and recent firings
with their delivery outcomes and every attempt. Never cached: it names the user. Another user's
rule is not in the user's queryset, so its id answers 404."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from alerts.forms import AlertRuleForm
from alerts.models import AlertFiring, AlertRule

RECENT_FIRINGS = 20


def _own_rule(request, rule_id: int) -> AlertRule:
    return get_object_or_404(AlertRule, id=rule_id, owner=request.user)


@never_cache
@login_required
def index(request):
    form = AlertRuleForm(request.POST or None, instance=AlertRule(owner=request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("alerts-page:index")
    rules = AlertRule.objects.filter(owner=request.user).order_by("id")
    firings = (
        AlertFiring.objects.filter(rule__owner=request.user)
        .select_related("rule")
        .prefetch_related("deliveries__attempt_log")[:RECENT_FIRINGS]
    )
    context = {"form": form, "rules": rules, "firings": firings}
    return render(request, "alerts/page.html", context, status=400 if form.errors else 200)


@never_cache
@login_required
def edit(request, rule_id: int):
    rule = _own_rule(request, rule_id)
    form = AlertRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        # An edited rule may watch something else entirely: it starts armed (as over REST).
        form.instance.armed = True
        form.save()
        return redirect("alerts-page:index")
    status = 400 if form.errors else 200
    return render(request, "alerts/edit.html", {"form": form, "rule": rule}, status=status)


@require_POST
@login_required
def toggle(request, rule_id: int):
    rule = _own_rule(request, rule_id)
    rule.active = not rule.active
    rule.save(update_fields=["active"])
    return redirect("alerts-page:index")


@require_POST
@login_required
def delete(request, rule_id: int):
    _own_rule(request, rule_id).delete()
    return redirect("alerts-page:index")
