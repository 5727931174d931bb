"""The API kit's fast list path gives the answers DRF's own code gives (issue 17, part 1): the
compiled serializer representation, the orjson envelope, the filterset skipped when no filter
is asked, the bounded count."""

import datetime
import decimal
import importlib
import inspect
import json
import uuid
from pathlib import Path

import factory
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils.translation import gettext_lazy
from django_tenants.utils import schema_context
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from apps.core.api import filters as kit_filters
from apps.core.api.renderers import EnvelopeJSONRenderer
from apps.core.api.serializers import ModelSerializer
from apps.core.models import WorkerHeartbeat
from apps.identity.models import User
from tests.core.test_envelope import make_heartbeats

TESTS = Path(__file__).resolve().parent.parent


# --- The compiled representation ----------------------------------------------------------


def drf_representation(serializer, instance):
    """What DRF's own Serializer.to_representation answers for `instance` (the class's plan
    switched off for the call; a subclass's own to_representation still runs)."""
    cls = type(serializer)
    saved = cls.__dict__.get("_representation_plan", "absent")
    cls._representation_plan = None
    try:
        return cls(instance, context=serializer.context).data
    finally:
        if saved == "absent":
            del cls._representation_plan
        else:
            cls._representation_plan = saved


def outcome(call):
    try:
        return ("ok", call())
    except Exception as error:  # both paths must fail alike
        return ("raised", type(error))


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def factories():
    """Every factory_boy factory of tests/<app>/factories.py, with the app it belongs to."""
    for path in sorted(TESTS.glob("*/factories.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.factories")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, factory.django.DjangoModelFactory) and value._meta.model:
                yield path.parent.name, value


@pytest.mark.django_db
def test_every_kit_serializer_represents_rows_as_drf_does(tenant_a, tenant_b):
    importlib.import_module(settings.ROOT_URLCONF)  # every app's API, so every serializer
    owner = {}
    for slug, tenant in (("a", tenant_a), ("b", tenant_b)):
        with schema_context(tenant.schema_name):
            owner[slug] = User.objects.get(username="owner")
    made = {"a": set(), "b": set()}
    for app, factory_class in factories():
        slug = "b" if app == "projects" else "a"
        tenant = tenant_b if slug == "b" else tenant_a
        with schema_context(tenant.schema_name):
            for _ in range(2):
                try:
                    with transaction.atomic():
                        factory_class()
                except Exception:  # a factory that needs arguments: its rows come from others
                    break
            made[slug].add(factory_class._meta.model)

    request = RequestFactory().get("/api/v1/")
    compared, compiled_fields = set(), 0
    for cls in set(all_subclasses(ModelSerializer)):
        model = getattr(getattr(cls, "Meta", None), "model", None)
        if model is None or not cls.__module__.startswith("apps."):
            continue
        for slug, tenant in (("a", tenant_a), ("b", tenant_b)):
            with schema_context(tenant.schema_name):
                try:
                    with transaction.atomic():
                        rows = list(model._default_manager.all()[:3])
                except Exception:  # a model of an app this tenant has not
                    continue
                request.user = owner[slug]
                for row in rows:
                    try:
                        serializer = cls(row, context={"request": request})
                    except Exception:  # needs other constructor arguments
                        break
                    with transaction.atomic():
                        fast = outcome(lambda s=serializer, r=row: s.to_representation(r))
                    with transaction.atomic():
                        slow = outcome(lambda s=serializer, r=row: drf_representation(s, r))
                    assert fast == slow, f"{cls.__module__}.{cls.__qualname__} on {row!r}"
                    if fast[0] == "ok":
                        compared.add(cls)
        plan = cls.__dict__.get("_representation_plan")
        if plan is not None and cls in compared:
            compiled_fields += sum(1 for _, getter, _ in plan.entries if getter is not None)

    # Not vacuous: most of the apps' serializers met rows, most of their fields compiled.
    assert len(compared) >= 20, sorted(c.__qualname__ for c in compared)
    assert compiled_fields >= 150


class Note(ModelSerializer):
    """The kinds of field the plan meets: a column, a renamed column, a method, a source that
    is no column, a write-only field, a default."""

    schema = serializers.CharField(source="schema_name")
    upper = serializers.SerializerMethodField()
    task = serializers.CharField(source="pk", read_only=True)  # not a column's name
    secret = serializers.CharField(write_only=True, required=False)
    missing = serializers.CharField(source="nothing_here", default="fallback", read_only=True)

    class Meta:
        model = WorkerHeartbeat
        fields = ["id", "source", "schema", "upper", "task", "secret", "missing", "created_at"]

    def get_upper(self, obj):
        source = obj["source"] if isinstance(obj, dict) else obj.source
        return self.context.get("prefix", "") + source.upper()


class Trimmed(Note):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("source")


FIVE_HOURS_EAST = datetime.timezone(datetime.timedelta(hours=5))


def heartbeat(**fields):
    values = {"id": 7, "source": "src", "schema_name": "sch", "task_id": "tid"}
    return WorkerHeartbeat(**{**values, **fields})


@pytest.mark.parametrize(
    "created_at",
    [
        datetime.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=datetime.UTC),
        datetime.datetime(
            2026, 3, 1, 12, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=5))
        ),
        datetime.datetime(2026, 3, 1, 12, 30).replace(tzinfo=None),  # noqa: DTZ001 naive: the field's
        None,
    ],
)
def test_each_kind_of_field_reads_as_drf_reads_it(created_at):
    row = heartbeat(created_at=created_at)
    serializer = Note(row, context={"prefix": ">"})

    fast = serializer.to_representation(row)

    assert fast == drf_representation(serializer, row)
    assert (fast["upper"], fast["task"], fast["missing"]) == (">SRC", "7", "fallback")
    assert "secret" not in fast
    plan = Note.__dict__["_representation_plan"]
    compiled = {name for name, getter, _ in plan.entries if getter is not None}
    assert compiled == {"id", "source", "schema", "created_at"}


def test_a_list_builds_only_the_fields_the_plan_does_not_compile():
    rows = [heartbeat(id=n, source=f"s{n}") for n in range(3)]
    serializer = Note(rows, many=True, context={})

    data = serializer.data

    assert [item["source"] for item in data] == ["s0", "s1", "s2"]
    child = serializer.child
    assert "fields" not in child.__dict__  # no deep copy of every field for a read
    assert set(child.__dict__["_own_fields"]) == {"upper", "task", "missing"}
    assert child.__dict__["_own_fields"]["upper"].parent is child


def test_fields_changed_after_they_were_built_are_represented_by_drf():
    row = heartbeat()

    data = Trimmed(row).data

    assert "source" not in data
    assert data["schema"] == "sch"


def test_a_dict_is_represented_by_drf():
    data = {"id": 1, "source": "x", "schema_name": "y", "task_id": "t", "created_at": None}

    assert Note(data).data["upper"] == "X"


# --- The orjson envelope --------------------------------------------------------------------


class BigNumber(int):
    pass


@pytest.mark.parametrize(
    "data",
    [
        {"text": "café ☕ \u2028 \u2029 </script>", "n": 3, "f": 1.5, "none": None, "yes": True},
        {"amount": decimal.Decimal("12.50"), "lazy": gettext_lazy("Customer"), "ids": (1, 2)},
        {
            "at": datetime.datetime(2026, 3, 1, 12, 30, 15, 120000, tzinfo=datetime.UTC),
            "naive": datetime.datetime(2026, 3, 1, 12, 30),  # noqa: DTZ001
            "day": datetime.date(2026, 3, 1),
            "time": datetime.time(12, 30),
            "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            1: "an int key",
        },
        [{"nested": [{"deep": decimal.Decimal("1E+2")}]}],
        {"huge": 2**70},  # past orjson's 64 bits: DRF's own rendering
    ],
)
def test_the_renderer_writes_what_drf_writes(data):
    ours = EnvelopeJSONRenderer().render(data)
    drf = JSONRenderer().render(data)

    assert ours == drf
    assert json.loads(ours) == json.loads(drf)


def test_an_indent_asked_for_is_drf_rendering():
    rendered = EnvelopeJSONRenderer().render({"a": [1]}, "application/json; indent=2")

    assert rendered == b'{\n  "a": [\n    1\n  ]\n}'


def test_what_neither_can_write_fails_as_before():
    with pytest.raises(TypeError):
        EnvelopeJSONRenderer().render({"x": object()})


# --- The filterset skipped when no filter is asked ------------------------------------------


@pytest.fixture
def filtersets_built(monkeypatch):
    built = []
    original = kit_filters.FilterSet.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(kit_filters.FilterSet, "__init__", counting)
    return built


@pytest.mark.django_db
@pytest.mark.urls("tests.urls_tenant")
def test_a_list_asked_no_filter_builds_no_filterset(api_a, tenant_a, filtersets_built):
    make_heartbeats(tenant_a, 3)

    plain = api_a.get("/api/v1/test/heartbeats/?page_size=2&ordering=source").json()
    assert filtersets_built == []
    filtered = api_a.get("/api/v1/test/heartbeats/?source=src-001").json()

    assert len(filtersets_built) == 1
    assert [row["attributes"]["source"] for row in plain["data"]] == ["src-000", "src-001"]
    assert plain["meta"]["pagination"]["count"] == 3
    assert [row["attributes"]["source"] for row in filtered["data"]] == ["src-001"]
    # Still strict: an unknown parameter and an empty id are refused, as before.
    assert api_a.get("/api/v1/test/heartbeats/?colour=red").status_code == 400


def test_only_plain_filtersets_are_skipped():
    import django_filters

    class Plain(kit_filters.FilterSet):
        source = django_filters.CharFilter()
        id = kit_filters.IntegerFilter()

        class Meta:
            model = WorkerHeartbeat
            fields = ["source"]

    class Required(Plain):
        task_id = django_filters.CharFilter(required=True)

    class Custom(django_filters.CharFilter):
        def filter(self, qs, value):
            return qs.filter(source="always")

    class WithCustom(Plain):
        task_id = Custom()

    class OwnQueryset(Plain):
        def filter_queryset(self, queryset):
            return queryset.filter(source="always")

    assert kit_filters._filters_nothing_unasked(Plain) is True
    assert kit_filters._filters_nothing_unasked(Required) is False
    assert kit_filters._filters_nothing_unasked(WithCustom) is False
    assert kit_filters._filters_nothing_unasked(OwnQueryset) is False


# --- The bounded count ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.urls_tenant")
def test_a_list_longer_than_the_bound_carries_the_estimate(api_a, tenant_a, settings):
    make_heartbeats(tenant_a, 30)
    with schema_context(tenant_a.schema_name), connection.cursor() as cursor:
        cursor.execute(
            f"ANALYZE {WorkerHeartbeat._meta.db_table}"
        )  # the planner's statistics of the 30 rows
    settings.API_COUNT_EXACT_UP_TO = 10

    body = api_a.get("/api/v1/test/heartbeats/?page_size=10&ordering=source").json()

    pagination = body["meta"]["pagination"]
    assert pagination["count_is_estimate"] is True
    assert pagination["count"] >= 11  # never below what was counted
    assert pagination["pages"] == -(-pagination["count"] // 10)
    assert len(body["data"]) == 10
    assert "page=2" in body["links"]["next"]


@pytest.mark.django_db
@pytest.mark.urls("tests.urls_tenant")
def test_a_list_within_the_bound_is_counted_exactly(api_a, tenant_a, settings):
    make_heartbeats(tenant_a, 12)
    settings.API_COUNT_EXACT_UP_TO = 12

    body = api_a.get("/api/v1/test/heartbeats/?page_size=5").json()

    assert body["meta"]["pagination"] == {"count": 12, "page": 1, "page_size": 5, "pages": 3}
