"""The schema class of every API view: what the API kit's declarations mean for the OpenAPI
schema (a create validated by `create_input`, answered with `create_status`), and the values
DRF really reads and writes where drf-spectacular's mapping is narrower.

A module of its own: drf-spectacular's openapi module imports DRF's generics, which read the
pagination setting, whose class imports apps.core.api.schema.
"""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


def _model_field(field):
    """The model field a ModelSerializer's field stands for, or None."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return None
    try:
        return model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None


def _blank_allowed(field) -> bool:
    """Whether the field reads or writes "": a writable field says so itself (allow_blank);
    a read-only one built by a ModelSerializer does not (DRF drops the keyword), its model
    field does."""
    if getattr(field, "allow_blank", False):
        return True
    model_field = _model_field(field) if field.read_only else None
    return bool(getattr(model_field, "blank", False))


class KitAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, reading the kit's create declarations
    (apps.core.api.viewsets.BaseViewSet)."""

    def _is_kit_create(self) -> bool:
        return getattr(self.view, "action", None) == "create" and self.method == "POST"

    def get_request_serializer(self):
        create_input = getattr(self.view, "create_input", None)
        if self._is_kit_create() and create_input is not None:
            return create_input
        return super().get_request_serializer()

    def get_response_serializers(self):
        create_status = getattr(self.view, "create_status", 201)
        if self._is_kit_create() and create_status != 201:
            return {create_status: super().get_response_serializers()}
        return super().get_response_serializers()

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        properties = schema.get("properties", {})
        for field in serializer.fields.values():
            described = properties.get(field.field_name)
            if described is not None and _blank_allowed(field):
                _allow_blank(field, described)
        return schema


def _allow_blank(field, schema: dict) -> None:
    """Say that the field takes or gives "" where drf-spectacular does not."""
    if isinstance(field, serializers.ChoiceField) and "" not in schema.get("enum", [""]):
        # postprocess_schema_enums then names it BlankEnum, as for a writable field.
        schema["enum"] = [*schema["enum"], ""]
    elif isinstance(field, serializers.EmailField) and schema.pop("format", None) == "email":
        # "" is no email address: an address, or nothing.
        schema["anyOf"] = [{"format": "email"}, {"maxLength": 0}]
