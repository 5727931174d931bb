"""The schema class of every API view: what the API kit's declarations mean for the OpenAPI
schema (a create validated by `create_input`, answered with `create_status`).

A module of its own: drf-spectacular's openapi module imports DRF's generics, which read the
pagination setting, whose class imports apps.core.api.schema.
"""

from drf_spectacular.openapi import AutoSchema


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
