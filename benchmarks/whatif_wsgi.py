"""DotMac's WSGI application with some of the profile's suggestions applied (see whatif.py).

    BENCH_WHATIF=serializer,generation,metrics,healthcheck   (the default: all of them)
    gunicorn -c python:dotmac.gunicorn_conf --pythonpath benchmarks whatif_wsgi:application

api_throughput.py serves it with `--tenant-app whatif_wsgi:application`.
"""

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotmac.settings")

import whatif  # noqa: E402

from dotmac.wsgi import application  # noqa: E402

_names = [
    name.strip()
    for name in os.environ.get("BENCH_WHATIF", ",".join(whatif.SUGGESTIONS)).split(",")
    if name.strip()
]
_unknown = set(_names) - set(whatif.SUGGESTIONS)
if _unknown:
    raise SystemExit(f"BENCH_WHATIF: unknown {sorted(_unknown)}; known {list(whatif.SUGGESTIONS)}")

# Applied for the life of the process (never exited).
_changes = contextlib.ExitStack()
_changes.enter_context(whatif.applied(application, _names))
print(f"[whatif] serving DotMac with: {', '.join(_names) or 'nothing changed'}", file=sys.stderr)
