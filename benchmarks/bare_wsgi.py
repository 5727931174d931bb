"""The baseline of api_throughput.py: a bare Django view, no middleware, no database.

Served with the same gunicorn config as DotMac:

    gunicorn -c python:dotmac.gunicorn_conf --pythonpath benchmarks bare_wsgi:application

`python benchmarks/bare_wsgi.py [N]` times N in-process WSGI calls instead (µs per request).
"""

import sys

import django
from django.conf import settings
from django.http import JsonResponse
from django.urls import path, re_path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)
django.setup()


def ok(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("", ok),
    re_path(r"^health/live/?$", ok),
]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()


def time_in_process(requests: int = 20_000) -> float:
    """µs per in-process WSGI call of the bare view: the best of 5 batches."""
    import io
    import time
    from wsgiref.util import setup_testing_defaults

    def call():
        environ = {"PATH_INFO": "/", "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
        setup_testing_defaults(environ)
        response = application(environ, lambda status, headers: None)
        b"".join(response)
        response.close()

    for _ in range(500):
        call()
    batches = []
    per_batch = max(requests // 5, 1)
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(per_batch):
            call()
        batches.append((time.perf_counter() - started) / per_batch * 1e6)
    return min(batches)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"{time_in_process(count):.1f}")
