"""The Celery application: worker and beat share Django's settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings")

app = Celery("backstock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
