"""The suite-wide audit check (issue 4: "every write in the test suite leaves an audit row").

How it knows what was written: PostgreSQL counts, per transaction, the rows each table had
inserted, updated or deleted (`pg_stat_xact_user_tables`), in every schema. A test runs in one
transaction on one connection, and the test client serves requests on that same connection, so
the difference of those counters around a request (or around a test) is exactly what the
product wrote meanwhile, whatever the path: ORM, raw SQL, cascades, signals.

What it demands: every table written is *covered* by an audit entry written in the same span
that names its model, or a model it points to by a foreign key (its aggregate root: a Domain
row is covered by its Tenant's entry, a SubscriptionEvent by its Subscription's, a deleted
user's role assignments by the user's). Infrastructure tables (sessions, token blacklist,
admin log, lock-out counters, the spare-schema pool) are not business data and are exempt.

Where it applies:
* every HTTP request made through Django's test client, in every test of the suite, on the
  API, admin and pages alike (test-only stand-in views that are not our base viewsets are
  skipped: they are scaffolding, not product write paths);
* for tests marked `@pytest.mark.audited`, the whole test body too, so that services called
  directly (and the tasks they stand for) are held to the same rule.

What it cannot see: writes committed by other connections (a Celery worker, gunicorn, the
`committed()` helper); tests/core/test_audit.py checks those paths explicitly. Rolled-back
writes are counted by PostgreSQL too: such a write is accepted when audit entries of the same
span were rolled back with it.
"""

import functools

import pytest
from django.db import connection
from django.test.client import Client
from django.utils import timezone

EXEMPT_TABLES = frozenset(
    {
        "core_auditentry",
        "django_session",
        "django_admin_log",
        "django_migrations",
        "django_content_type",
        "auth_permission",
        "token_blacklist_outstandingtoken",
        "token_blacklist_blacklistedtoken",
        "tenants_spareschema",
        "isp_documentsequence",  # gapless number counters: the numbered documents are audited
        "billing_billingsequence",  # likewise, the platform's invoice numbers
        # A customer's timeline retells, in words, writes the same service audits (a service
        # suspended, an invoice issued); notes, its only own content, are audited themselves.
        "isp_timelineevent",
    }
)
EXEMPT_PREFIXES = ("axes_",)

_WRITES_SQL = """
    SELECT schemaname, relname, n_tup_ins + n_tup_upd + n_tup_del, n_tup_ins
    FROM pg_stat_xact_user_tables
    WHERE n_tup_ins + n_tup_upd + n_tup_del > 0
"""


@functools.cache
def _covering_types() -> dict[str, frozenset[str]]:
    """table → the audit object types that cover a write to it."""
    from django.apps import apps

    covering = {}
    for model in apps.get_models(include_auto_created=True):
        types = {model._meta.label_lower}
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is not None:
                types.add(field.related_model._meta.label_lower)
        covering.setdefault(model._meta.db_table, set()).update(types)
    return {table: frozenset(types) for table, types in covering.items()}


def _is_exempt(table: str) -> bool:
    return table in EXEMPT_TABLES or table.startswith(EXEMPT_PREFIXES)


class Span:
    """The writes of this connection's transaction between `start()` and `check()`."""

    def __init__(self):
        self.active = False

    def _raw(self):
        # A psycopg cursor of Django's connection: same transaction, but invisible to
        # django_assert_num_queries and CaptureQueriesContext (query-count guards stay exact).
        return connection.connection.cursor()

    def _counters(self) -> dict:
        with self._raw() as cursor:
            cursor.execute(_WRITES_SQL)
            return {(schema, table): (total, ins) for schema, table, total, ins in cursor}

    def start(self) -> "Span":
        self.active = bool(
            connection.connection is not None
            and connection.in_atomic_block
            and not connection.needs_rollback
        )
        if self.active:
            self.since = timezone.now()
            self.before = self._counters()
        return self

    def problems(self) -> list[str]:
        """The tables written without an audit entry covering them (empty: all is well)."""
        if not self.active or connection.needs_rollback:
            return []
        after = self._counters()
        written, audit_inserts = {}, {}
        for key, (total, ins) in after.items():
            old_total, old_ins = self.before.get(key, (0, 0))
            if total == old_total:
                continue
            schema, table = key
            if table == "core_auditentry":
                audit_inserts[schema] = ins - old_ins
            elif not _is_exempt(table):
                written.setdefault(table, set()).add(schema)
        if not written:
            return []
        types, kept = set(), 0
        with self._raw() as cursor:
            for schema in audit_inserts:
                cursor.execute(
                    f'SELECT object_type FROM "{schema}".core_auditentry WHERE created_at >= %s',
                    [self.since],
                )
                rows = [row[0] for row in cursor]
                kept += len(rows)
                types.update(rows)
        rolled_back = sum(audit_inserts.values()) > kept
        covering = _covering_types()
        return [
            f"{table} (in {', '.join(sorted(schemas))})"
            for table, schemas in sorted(written.items())
            if not (covering.get(table, frozenset()) & types) and not rolled_back
        ]


def _is_test_scaffolding(response) -> bool:
    """A test-only view that is not one of our audited base viewsets."""
    from apps.core.api.viewsets import BaseViewSet

    match = getattr(response, "resolver_match", None)
    func = getattr(match, "func", None)
    if func is None or not func.__module__.startswith("tests."):
        return False
    view_class = getattr(func, "cls", None) or getattr(func, "view_class", None)
    return not (isinstance(view_class, type) and issubclass(view_class, BaseViewSet))


@pytest.fixture(autouse=True)
def _every_request_write_is_audited(monkeypatch):
    """Each request through the test client that writes must leave audit entries covering
    what it wrote (see the module's docstring)."""
    original = Client.request

    def audited_request(self, **request):
        span = Span().start()
        response = original(self, **request)
        missing = span.problems()
        if missing and not _is_test_scaffolding(response):
            method = request.get("REQUEST_METHOD", "?")
            path = request.get("PATH_INFO", "?")
            pytest.fail(
                f"{method} {path} wrote {', '.join(missing)} without an audit entry covering "
                "it (apps.core.audit.audit_record)",
                pytrace=False,
            )
        return response

    monkeypatch.setattr(Client, "request", audited_request)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Tests marked `audited`: the whole body (after fixtures) is held to the rule too."""
    span = Span().start() if item.get_closest_marker("audited") else None
    result = yield  # re-raises the test's own failure first
    if span is not None:
        missing = span.problems()
        if missing:
            pytest.fail(
                f"the test wrote {', '.join(missing)} without an audit entry covering it",
                pytrace=False,
            )
    return result


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "audited: every write of the test body must leave an audit entry covering it",
    )
