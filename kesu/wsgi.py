"""The WSGI application gunicorn serves (`kesu serve`, bench/server.py)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
application = get_wsgi_application()


def _warm() -> None:
    """Load now what the first requests would otherwise load: the URL patterns (and
    with them every view module and API schema) and jieba's dictionary."""
    import jieba

    get_resolver().url_patterns  # noqa: B018 - the property imports and builds them
    jieba.initialize()


_warm()
# What is loaded by now lives as long as the worker. Frozen, the collector stops
# walking these hundreds of thousands of objects on every full collection, which
# otherwise costs each request milliseconds (bench/RESULTS.md "Intake").
gc.freeze()
