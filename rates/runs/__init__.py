"""Scrape runs, source health and schedules; the one module that names the scraping tasks."""
