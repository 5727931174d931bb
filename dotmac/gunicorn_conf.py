"""Production gunicorn settings (`gunicorn -c python:dotmac.gunicorn_conf dotmac.wsgi`).

SIGTERM: first a drain period (GUNICORN_DRAIN_SECONDS, 10 s): /health/ready answers 503 so that
the load balancer takes this server out of rotation, and every request still arriving is served.
Then gunicorn stops accepting, lets in-flight requests finish for up to `graceful_timeout`
(30 s, DESIGN.md §7), closes its workers, whose database connections close with them, and exits
0. Without the drain, requests the balancer sent in the moment before it noticed were accepted
into the listen backlog and never answered. A second SIGTERM during the drain stops at once;
SIGINT and SIGQUIT stop at once as before. Every value can be overridden from the environment.
"""

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
drain_seconds = float(os.environ.get("GUNICORN_DRAIN_SECONDS", "10"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))
# The app is imported once in the master: workers fork ready, and a broken import fails fast.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "dotmac-web"

# The drain flag: a file the master creates on SIGTERM and the workers' readiness probe looks for
# (apps.core.health.check_not_draining); the workers inherit its path through the environment.
_run_dir = tempfile.mkdtemp(prefix="dotmac-web-")
_drain_file = Path(_run_dir) / "draining"
os.environ["DOTMAC_DRAIN_FILE"] = str(_drain_file)

# Prometheus counters add up across workers through a shared directory (multiprocess mode).
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_own_metrics_dir = None
if not _metrics_dir:
    _own_metrics_dir = _metrics_dir = tempfile.mkdtemp(prefix="dotmac-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def when_ready(server):
    stop = server.handle_term  # gunicorn's: stop accepting, finish in-flight requests, exit

    def drain_then_stop():
        if drain_seconds <= 0 or _drain_file.exists():
            stop()  # raises StopIteration: the arbiter's graceful stop
            return
        _drain_file.touch()
        server.log.info("SIGTERM: draining for %s s (readiness 503), then stopping", drain_seconds)
        timer = threading.Timer(drain_seconds, os.kill, (os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()

    # The arbiter looks its signal handlers up by name on each signal (Arbiter.run).
    server.handle_term = drain_then_stop


def post_fork(server, worker):
    # A preloaded app may have opened connections in the master; never share them.
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(_run_dir, ignore_errors=True)
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
