"""Schemathesis over the tenant host's whole API (issue 16, item 3): every operation of
`/api/schema/` on tenant A's host, as its super admin and as an IT Manager (ISP + CRM, few
permissions), with every check schemathesis has (`--checks all`: no 5xx, status codes, content
types, headers and bodies as the schema says, negative data rejected, ...).

Bounded for CI: FUZZ_MAX_EXAMPLES (default 5) examples per operation and phase, hypothesis
derandomised (the same cases every run). A longer run:

    FUZZ_MAX_EXAMPLES=200 make test ARGS="-m fuzz -n 0"

In-process: schemathesis calls Django's WSGI handler (`from_dict` + `app`) on the tenant host.
Every case runs in a savepoint that is rolled back after its checks, so destructive cases
(deletes, terminations, imports) leave nothing behind and no case depends on the order of the
others; the seed records below give detail paths an object to find.
"""

import contextlib
import os

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from apps.identity import services as identity
from apps.identity.models import Role, User
from apps.platform.licensing import services as licensing
from apps.platform.licensing.models import Subscription
from tests.conftest import TENANTS, HostClient, host_of, obtain_tokens
from tests.crm import factories as crm
from tests.isp import api_factories as isp
from tests.isp import radius_factories as radius

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
#: The coverage phase (schemathesis's boundary values and every kind of invalid input per
#: parameter: dozens of cases per operation, whatever FUZZ_MAX_EXAMPLES) is for long runs.
COVERAGE = os.environ.get("FUZZ_COVERAGE", "0") == "1"
HOST = host_of(TENANTS["a"])
RESTRICTED_PASSWORD = "fuzz-it-manager-1"

#: Not fuzzed, and why: the token endpoints sign the fuzzing client in and out (a logout
#: blacklists the refresh token; a sign-in counts against the per-IP login budget of 5 a
#: minute, whatever the rate settings), and they are covered by tests/identity/test_tokens.py.
EXCLUDED_PATHS = ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/logout/")

#: A collection path -> the id of a seeded object in it (filled per test; read by the hook).
KNOWN_IDS: dict[str, str] = {}

_raw_schema: dict | None = None


def _tenant_schema() -> dict:
    """The tenant host's schema as a client reads it (built once per session)."""
    global _raw_schema
    if _raw_schema is None:
        response = HostClient(HOST).get("/api/schema/?format=json")
        assert response.status_code == 200
        _raw_schema = response.json()
    return _raw_schema


def _collection_of(path: str) -> str:
    return path.split("{", 1)[0]


def _with_known_ids(context, path_parameters: dict) -> dict:
    """Two cases in three name a seeded object rather than a random id, so that detail paths
    and their actions get past the 404 (the third keeps probing unknown ids)."""
    value = (path_parameters or {}).get("id")
    known = KNOWN_IDS.get(_collection_of(context.operation.path))
    if known is not None and isinstance(value, int) and value % 3:
        return {**path_parameters, "id": int(known)}
    return path_parameters


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32's pytest plugin renames the test per operation through
    `node._nodeid`, which pytest 9 no longer has (it keeps the id in `_id`)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def _fuzz_settings(settings):
    """The fuzzer sends hundreds of requests a minute as one user: the rate limits (tested
    in tests/core/test_rate_limits.py) would answer most of them 429 and hide everything else."""
    settings.API_RATE_PER_MINUTE = 10**9
    settings.SEARCH_RATE_PER_MINUTE = 10**9
    settings.BULK_RATE_PER_HOUR = 10**9


@contextlib.contextmanager
def _in_process_request():
    """Django's handler closes the connection at each request's end (close_old_connections),
    which would end the test's transaction: like Django's test client, keep it open (and
    per call: the test client connects the signal again after each of its own requests)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(tenant_a, django_capture_on_commit_callbacks):
    """One record of every kind in tenant A, owned by the super admin, and their ids."""
    with schema_context(tenant_a.schema_name):
        owner = User.objects.get(username="owner")
        service = isp.active_service()
        customer = service.customer
        account = crm.AccountFactory(owner=owner)
        objects = {
            "/api/v1/isp/customers/": customer,
            "/api/v1/isp/services/": service,
            "/api/v1/isp/plans/": service.plan,
            "/api/v1/isp/invoices/": customer.invoices.first(),
            "/api/v1/isp/payments/": isp.PaymentFactory(customer=customer),
            "/api/v1/isp/credit-notes/": isp.CreditNoteFactory(customer=customer),
            "/api/v1/isp/customer-contacts/": isp.ContactFactory(customer=customer),
            "/api/v1/isp/tax-classes/": isp.TaxClassFactory(),
            "/api/v1/isp/dunning-steps/": isp.DunningStepFactory(),
            "/api/v1/crm/accounts/": account,
            "/api/v1/crm/contacts/": crm.ContactFactory(owner=owner, account=account),
            "/api/v1/crm/leads/": crm.LeadFactory(owner=owner),
            "/api/v1/crm/opportunities/": crm.OpportunityFactory(owner=owner, account=account),
            "/api/v1/crm/activities/": crm.ActivityFactory(owner=owner),
            "/api/v1/crm/stages/": crm.StageFactory(),
            "/api/v1/users/": owner,
            **_radius_records(tenant_a, service, django_capture_on_commit_callbacks),
        }
    KNOWN_IDS.clear()
    KNOWN_IDS.update({path: str(obj.pk) for path, obj in objects.items()})
    yield KNOWN_IDS
    KNOWN_IDS.clear()


def _radius_records(tenant, service, capture) -> dict:
    """RADIUS records, and `isp.radius` on tenant A's Basic plan so that its operations get
    past FEATURE_NOT_IN_PLAN (the entitlement cache is invalidated on commit)."""
    with capture(execute=True):
        licensing.subscription_set_overrides(
            subscription=Subscription.objects.get(tenant=tenant, app__key="isp"),
            features={"isp.radius": True},
            actor="fuzz",
        )
    session = radius.RadiusSessionFactory(service=service)
    return {
        "/api/v1/isp/nas/": session.nas,
        "/api/v1/isp/nas-attributes/": radius.NasAttributeFactory(),
        "/api/v1/isp/radius-logins/": radius.RadiusLoginFactory(service=service),
        "/api/v1/isp/radius-sessions/": session,
    }


@pytest.fixture
def api_schema(db, _fuzz_settings, seeded):
    config = SchemathesisConfig.from_dict(
        {
            "phases": {"coverage": {"enabled": COVERAGE}},
            # Every check but one: positive_data_acceptance wants a 2xx for any schema-valid
            # body, but a body may be valid JSON-schema-wise and still name a customer that
            # does not exist, or a date outside the business's bounds: a 400 is right then.
            "checks": {"positive_data_acceptance": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_dict(_tenant_schema(), config=config)
    schema.app = WSGIHandler()
    schema.hook("map_path_parameters")(_with_known_ids)
    return schema


@pytest.fixture
def super_admin_token(client_a):
    return obtain_tokens(client_a)["access"]


@pytest.fixture
def restricted_token(tenant_a, client_a):
    """An IT Manager: ISP and CRM, none of the user administration nor CRM manager rights."""
    with schema_context(tenant_a.schema_name):
        user = identity.user_create(username="fuzz-sarah", password=RESTRICTED_PASSWORD)
        identity.role_grant(user=user, role=Role.objects.get(name="IT Manager"), granted_by="t")
    return obtain_tokens(client_a, "fuzz-sarah", RESTRICTED_PASSWORD)["access"]


def _call_and_validate(case, token: str) -> None:
    """One case on the tenant host, its writes rolled back once its checks ran."""
    with _in_process_request(), transaction.atomic():
        case.call_and_validate(
            base_url=f"http://{HOST}", headers={"Authorization": f"Bearer {token}"}
        )
        transaction.set_rollback(True)


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path=list(EXCLUDED_PATHS))
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # No shrinking: a failure is reported as found (with its curl), not minutes later.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)


@schema.parametrize()
@FUZZ
def test_api_as_the_super_admin(case, super_admin_token):
    _call_and_validate(case, super_admin_token)


@schema.parametrize()
@FUZZ
def test_api_as_an_it_manager(case, restricted_token):
    _call_and_validate(case, restricted_token)


# --- Stateful: sequences of calls following the links schemathesis infers (create, then read,
# --- update or delete what was created), where use_after_free and ensure_resource_availability
# --- mean something. Each scenario runs in a savepoint rolled back at its end.


def _scenarios(api_schema, token: str):
    schema = api_schema.exclude(path=list(EXCLUDED_PATHS))

    class BearerToken:
        """The token as schemathesis's auth provider: it then knows which credentials it
        sends, and its ignored_auth probes send none or forged ones instead."""

        def get(self, case, context):
            return token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.auth(refresh_interval=None)(BearerToken)
    machine = schema.as_state_machine()

    class Scenario(machine):
        def setup(self):
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def step(self, input):
            with _in_process_request():
                return super().step(input)

        def get_call_kwargs(self, case):
            return {"base_url": f"http://{HOST}"}

    return Scenario


STATEFUL = settings(FUZZ, max_examples=MAX_EXAMPLES * 4, stateful_step_count=6)


def test_api_scenarios_as_the_super_admin(api_schema, super_admin_token):
    _scenarios(api_schema, super_admin_token).run(settings=STATEFUL)


def test_api_scenarios_as_an_it_manager(api_schema, restricted_token):
    _scenarios(api_schema, restricted_token).run(settings=STATEFUL)
