"""The admin app with Koel's admin site (koel/admin_site.py: the dashboard and "scrape now")."""

from django.contrib.admin.apps import AdminConfig


class KoelAdminConfig(AdminConfig):
    default_site = "koel.admin_site.KoelAdminSite"
