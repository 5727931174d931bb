"""The core ModelSerializer builds fields once per class and hands out independent copies."""

import pytest
from rest_framework import serializers

from apps.core.api.serializers import ModelSerializer
from apps.core.models import WorkerHeartbeat


class Plain(serializers.ModelSerializer):
    class Meta:
        model = WorkerHeartbeat
        fields = ["id", "source", "schema_name", "task_id", "created_at"]


class Cached(ModelSerializer):
    class Meta(Plain.Meta):
        pass


def test_output_and_validation_match_drf():
    heartbeat = WorkerHeartbeat(id=7, source="s", schema_name="t", task_id="x")
    assert Cached(heartbeat).data == Plain(heartbeat).data

    bad = {"source": "x" * 200}
    plain, cached = Plain(data=bad), Cached(data=bad)
    assert plain.is_valid() is cached.is_valid() is False
    assert plain.errors == cached.errors


def test_fields_are_built_once_per_class_and_copied_per_instance(monkeypatch):
    built = []
    original = serializers.ModelSerializer.get_fields

    def counting(self):
        built.append(type(self))
        return original(self)

    monkeypatch.setattr(serializers.ModelSerializer, "get_fields", counting)

    class Fresh(ModelSerializer):
        class Meta(Plain.Meta):
            pass

    first, second = Fresh().fields, Fresh().fields

    assert built == [Fresh]
    assert first["source"] is not second["source"]
    first["source"].read_only = True
    assert second["source"].read_only is False


@pytest.mark.django_db
def test_unique_validator_still_reaches_the_database(tenant_a):
    from django_tenants.utils import schema_context

    with schema_context(tenant_a.schema_name):
        WorkerHeartbeat.objects.create(source="s", schema_name="t", task_id="taken")
        serializer = Cached(data={"source": "s", "schema_name": "t", "task_id": "taken"})
        assert not serializer.is_valid()
        assert "task_id" in serializer.errors
