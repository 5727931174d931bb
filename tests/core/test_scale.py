"""Horizontal scale (issue 17, part 6): web instances keep no state of their own.

Two gunicorn instances (two workers each) serve the same database and Redis, as two machines
behind a load balancer would. A licence change made through the platform's service (an app
suspended, then reopened) reaches every worker of both instances on the very next request:
entitlements live in PostgreSQL, and the per-process caches in front of them are invalidated
through Redis, not by anything a single instance holds.
"""

import pytest

from apps.platform.licensing import services
from apps.platform.licensing.models import Subscription
from tests.committed import committed
from tests.conftest import TENANTS, host_of, obtain_tokens
from tests.servers import Gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CUSTOMERS = "/api/v1/isp/customers/?page_size=1"
HOST = host_of(TENANTS["a"])


def _statuses(web: Gunicorn, token: str, n: int = 8) -> set[int]:
    """Enough requests that each of the instance's workers answers some."""
    headers = {"Authorization": f"Bearer {token}"}
    return {web.get(CUSTOMERS, host=HOST, headers=headers)[0] for _ in range(n)}


def _reopen(pk: int) -> None:
    from apps.platform.licensing.entitlements import invalidate

    Subscription.objects.filter(pk=pk).update(status="trial")
    invalidate()


def test_a_licence_change_reaches_two_instances_at_once(client_a):
    token = obtain_tokens(client_a)["access"]
    isp = Subscription.objects.select_related("plan", "app").get(
        tenant__slug=TENANTS["a"], app__key="isp"
    )
    with Gunicorn(workers=2) as one, Gunicorn(workers=2) as two:
        assert one.port != two.port
        # Both warm: each worker has the licence in its own process cache.
        before = (_statuses(one, token), _statuses(two, token))
        committed(services.subscription_suspend, subscription=isp, actor="test")
        try:
            during = (_statuses(one, token), _statuses(two, token))
        finally:
            committed(_reopen, isp.pk)
        after = (_statuses(one, token), _statuses(two, token))

    assert before == ({200}, {200})
    assert during == ({403}, {403})
    assert after == ({200}, {200})
