"""Sign-up beside Django's own auth views (django.contrib.auth.urls: login, logout, password
change): a new user is logged in at once and sent to their alerts."""

from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache


@never_cache
def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Named: with django-axes' backend first (koel/settings.py) there are two to choose from.
        login(request, form.save(), backend="django.contrib.auth.backends.ModelBackend")
        return redirect("alerts-page:index")
    return render(request, "registration/signup.html", {"form": form})


urlpatterns = [path("signup/", signup, name="signup")]
