"""Settings for the test suite: production settings with the parts that need HTTPS relaxed.

Tests talk plain HTTP to Django's test client and to a live server on localhost, so the
HTTPS-only cookies and redirects of production settings are turned off here, and only here.
"""

import os

os.environ.setdefault("BACKSTOCK_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("DJANGO_DEBUG", "0")
# Drop-folder tests get this run's own folder, never one an operator configured (the run removes
# it at the end). Passed on in the environment so the Celery worker the tests start (a
# subprocess, another pid) reads the same one.
_repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_data_dir = os.environ.get("BACKSTOCK_DATA_DIR") or os.path.join(_repo, ".data")
os.environ["BACKSTOCK_TEST_FEEDS_DIR"] = os.environ.get("BACKSTOCK_TEST_FEEDS_DIR") or os.path.join(
    _data_dir, f"test-feeds-{os.getpid()}"
)
os.environ["BACKSTOCK_FEEDS_DIR"] = os.environ["BACKSTOCK_TEST_FEEDS_DIR"]

from inventory_site.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Each test run gets its own cache prefix and queue, so parallel runs sharing one Redis
# (CI, a developer's second checkout) never see each other's keys or tasks. A worker the
# tests start is given the same values through the environment.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("CACHE_KEY_PREFIX") or f"backstock-test-{os.getpid()}"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE") or f"backstock-test-{os.getpid()}"
MEDIA_ROOT = DATA_DIR / "test-media"  # noqa: F405
FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the fake distributor listens on 127.0.0.1
AXES_FAILURE_LIMIT = 5
# The live server serves static files from the app folders; no collectstatic in tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
