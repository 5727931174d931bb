"""Base viewsets. An app's viewset names its queryset, serializer and filterset; nothing else.

What every resource shares (authentication, permission, the envelope, the queryset restriction
hook) lives here once, so that no viewset can forget it (STYLE.md §6, §8).
"""

from rest_framework import mixins, viewsets


class BaseViewSet(viewsets.GenericViewSet):
    #: The envelope's `type` for this resource (defaults to the model name).
    resource_type: str | None = None

    def get_queryset(self):
        return self.restrict_queryset(super().get_queryset())

    def restrict_queryset(self, queryset):
        """Narrow the queryset to what the requesting user may see. Every read goes through it."""
        return queryset


class ReadOnlyModelViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, BaseViewSet):
    pass


class ModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    BaseViewSet,
):
    pass
