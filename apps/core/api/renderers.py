from rest_framework.renderers import JSONRenderer

from apps.core.api.envelope import document


class EnvelopeJSONRenderer(JSONRenderer):
    """Renders every DRF response in the DotMac envelope.

    Errors arrive already shaped by the exception handler; success payloads are wrapped here,
    once, so that no view or serializer ever builds an envelope by hand.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        context = renderer_context or {}
        response = context.get("response")
        if response is None:
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code == 204 or data is None:
            return b""
        if response.status_code >= 400:
            return super().render(data, accepted_media_type, renderer_context)
        wrapped = document(data, request=context.get("request"), view=context.get("view"))
        return super().render(wrapped, accepted_media_type, renderer_context)
