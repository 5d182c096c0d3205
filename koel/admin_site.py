"""Koel's admin site: Django's, plus the dashboard and the "scrape now" form it posts to, both
behind the admin's own login (staff only). The views are rates.admin.dashboard's.

It lives outside rates/admin/ because `admin.site` is built while the model admins register:
importing it from that package would run the package's registrations inside its own set-up."""

from django.contrib import admin
from django.urls import path


class KoelAdminSite(admin.AdminSite):
    site_header = "Koel administration"
    site_title = "Koel admin"
    index_title = "Koel administration"
    index_template = "admin/koel/index.html"

    def get_urls(self):
        from rates.admin import dashboard  # by now every model admin is registered

        own = [
            path("dashboard/", self.admin_view(dashboard.dashboard), name="dashboard"),
            path("scrape/", self.admin_view(dashboard.scrape_now), name="scrape"),
        ]
        return own + super().get_urls()
