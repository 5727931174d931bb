"""Base viewsets. An app's viewset names its queryset, serializer and filterset; nothing else.

What every resource shares (authentication, permission, the envelope, the queryset restriction
hook) lives here once, so that no viewset can forget it (STYLE.md §6, §8).
"""

from rest_framework import mixins, status, viewsets
from rest_framework.response import Response


class BaseViewSet(viewsets.GenericViewSet):
    #: The envelope's `type` for this resource (defaults to the model name).
    resource_type: str | None = None

    def get_queryset(self):
        return self.restrict_queryset(super().get_queryset())

    def restrict_queryset(self, queryset):
        """Narrow the queryset to what the requesting user may see. Every read goes through it."""
        return queryset

    # Named actions (STYLE.md §7): validate the input with a serializer, call one service,
    # answer with the object as the resource's serializer shows it.
    def validated(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        """The object re-read through this viewset's queryset (its joins and restrictions)."""
        instance = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(instance).data, status=status_code)


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
