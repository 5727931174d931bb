"""Tests that only want to know which background work a service sent (apps.core.dispatch)."""

from apps.core import dispatch


def record_dispatch(monkeypatch, task_name: str, then=None) -> list:
    """Record the first argument of every `task_name` sent (no worker runs); `then(*args)`, if
    given, stands in for the worker. Other tasks are sent as usual."""
    sent: list = []
    real_send = dispatch.send

    def send(name, args, task_id=None, *more):
        if name != task_name:
            return real_send(name, args, task_id, *more)
        sent.append(args[0])
        if then is not None:
            then(*args)
        return None

    monkeypatch.setattr(dispatch, "send", send)
    return sent
