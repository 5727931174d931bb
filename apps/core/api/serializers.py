"""Serializer base classes for every app."""

import copy

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.dates import out_of_bounds
from apps.core.kit import organisation

#: Money fields: 14 digits, 2 decimals, written as strings ("12.50").
MONEY = {"max_digits": 14, "decimal_places": 2}


class _Bounded:
    """A date or time refused outside apps.core.dates' bounds (a year 9999 overflowed)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        problem = out_of_bounds(parsed)
        if problem:
            raise serializers.ValidationError(problem)
        return parsed


class DateField(_Bounded, serializers.DateField):
    pass


class DateTimeField(_Bounded, serializers.DateTimeField):
    pass


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with its fields built from the model once per class, not per use.

    DRF introspects the model and builds every field anew each time a serializer is created,
    about 0.2 ms per request for a dozen fields (benchmarks/profile_api.py). The result depends
    only on the class, so it is built once and each instance gets a deep copy (fresh, unbound
    field objects, exactly as DRF's declared fields are copied). A subclass whose fields depend
    on the request or instance must override `get_fields` itself.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.DateTimeField: DateTimeField,
    }

    def get_fields(self):
        cls = type(self)
        blueprint = cls.__dict__.get("_fields_blueprint")
        if blueprint is None:
            blueprint = super().get_fields()
            cls._fields_blueprint = blueprint
        return copy.deepcopy(blueprint)


@extend_schema_field(OpenApiTypes.STR)
class CurrencyField(serializers.Field):
    """The organisation's currency (apps.core.kit.organisation), for amounts that do not carry
    their own; read once per response and shared by every row of a list."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        context = self.context
        if "_currency" not in context:
            context["_currency"] = organisation.currency()
        return context["_currency"]
