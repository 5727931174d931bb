"""Committed database work inside a test that otherwise runs in a rolled-back transaction.

Another process (gunicorn, a Celery worker) sees only committed rows. `committed(fn)` runs fn
in a thread of its own, with its own connection in autocommit mode: its writes are visible at
once everywhere, and its on_commit hooks (cache invalidation, task dispatch) run immediately.
The test must undo them itself.
"""

import threading

from django.db import connections


def committed(fn, *args, **kwargs):
    outcome = {}

    def run():
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
