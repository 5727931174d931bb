"""apps.core.db.locks on a direct connection (behind pgbouncer: tests/core/test_pgbouncer.py)."""

import pytest
from django.db import connections

from apps.core.db.locks import held
from apps.core.models import Lease
from tests.core.test_pgbouncer import advisory_locks, done_with


@pytest.mark.django_db
def test_a_named_lock_on_a_direct_connection_is_a_session_advisory_lock(django_db_blocker):
    connections.settings["direct2"] = {**connections["default"].settings_dict}
    try:
        with django_db_blocker.unblock():
            with held("test:advisory") as mine:
                assert advisory_locks() == 1
                with held("test:advisory", using="direct2") as theirs:
                    assert (mine, theirs) == (True, False)
            assert advisory_locks() == 0
            with held("test:advisory", using="direct2") as theirs:
                assert theirs is True
            assert not Lease.objects.exists()
    finally:
        done_with("direct2")
