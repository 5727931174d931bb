"""Data and plumbing of the CoA tests: a NAS row pointing at a FakeNas, an open session of a
live service, the ISP plan with `isp.radius`, and the sends a service dispatched, run here
instead of by a worker."""

import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from apps.core import dispatch
from apps.isp.models import Nas, RadiusSession
from apps.isp.services import coa
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription

SECRET = "a-shared-secret-of-the-test-nas"
_numbers = itertools.count(1)


def move_isp_to(slug: str, plan_key: str, capture) -> None:
    with capture(execute=True):  # the entitlement cache is invalidated on commit
        licensing.subscription_change_plan(
            subscription=Subscription.objects.get(tenant__slug=slug, app__key="isp"),
            plan=Plan.objects.get(app__key="isp", key=plan_key),
            actor="test",
        )


def make_nas(port: int, **fields) -> Nas:
    n = next(_numbers)
    return Nas.objects.create(
        name=fields.pop("name", f"bras-{n}"),
        address=fields.pop("address", "127.0.0.1"),
        secret=SECRET,
        coa_port=port,
        **fields,
    )


def open_session(service, nas: Nas, **fields) -> RadiusSession:
    n = next(_numbers)
    now = timezone.now()
    return RadiusSession.objects.create(
        unique_id=f"unique-{n}",
        session_id=fields.pop("session_id", f"8100000{n}"),
        service=service,
        nas=nas,
        username=fields.pop("username", f"user{n}@tenant-a"),
        framed_ip=fields.pop("framed_ip", f"100.64.0.{n % 250 + 1}"),
        started_at=now,
        updated_at=now,
        **fields,
    )


@dataclass
class Sends:
    """The CoA sends dispatched (task args and countdown), run by `drain` in their order."""

    capture: object
    queued: list = field(default_factory=list)
    countdowns: list = field(default_factory=list)

    def install(self, monkeypatch) -> "Sends":
        real_send = dispatch.send

        def send(name, args, task_id=None, countdown=None):
            if name != coa.SEND_TASK:
                return real_send(name, args, task_id, countdown)
            self.queued.append(args)
            self.countdowns.append(countdown)
            return None

        monkeypatch.setattr(dispatch, "send", send)
        return self

    def drain(self, limit: int = 20) -> list:
        """Run every queued send, and those they queue, as the worker would."""
        done = []
        while self.queued and len(done) < limit:
            change_id, attempt = self.queued.pop(0)
            with self.capture(execute=True):
                done.append(coa.change_attempt(change_id=change_id, attempt=attempt))
        return done
