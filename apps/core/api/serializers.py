"""Serializer base classes for every app."""

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with its fields built from the model once per class, not per use.

    DRF introspects the model and builds every field anew each time a serializer is created,
    about 0.2 ms per request for a dozen fields (benchmarks/profile_api.py). The result depends
    only on the class, so it is built once and each instance gets a deep copy (fresh, unbound
    field objects, exactly as DRF's declared fields are copied). A subclass whose fields depend
    on the request or instance must override `get_fields` itself.
    """

    def get_fields(self):
        cls = type(self)
        blueprint = cls.__dict__.get("_fields_blueprint")
        if blueprint is None:
            blueprint = super().get_fields()
            cls._fields_blueprint = blueprint
        return copy.deepcopy(blueprint)
