"""Base viewsets. An app's viewset names its queryset, serializer and filterset; nothing else.

What every resource shares (authentication, permission, the envelope, the queryset restriction
hook, the audit trail of its writes) lives here once, so that no viewset can forget it
(STYLE.md §6, §8).
"""

from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from apps.core.audit import audit_created, audit_deleted, audit_updated, snapshot
from apps.core.context import Actor, actor_var

# DRF's unaudited implementations; a viewset that would inherit one gets the audited one.
_DRF_WRITES = {
    "perform_create": mixins.CreateModelMixin.perform_create,
    "perform_update": mixins.UpdateModelMixin.perform_update,
    "perform_destroy": mixins.DestroyModelMixin.perform_destroy,
}


def _api_key_prefix(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Api-Key "):
        return None
    return header.removeprefix("Api-Key ").split(".", 1)[0].strip() or None


class BaseViewSet(viewsets.GenericViewSet):
    #: The envelope's `type` for this resource (defaults to the model name).
    resource_type: str | None = None

    def __init_subclass__(cls, **kwargs):
        """DRF's mixins come first in a viewset's bases (`mixins.CreateModelMixin, BaseViewSet`),
        so their plain perform_* would shadow the audited ones below: put those back."""
        super().__init_subclass__(**kwargs)
        for name, drf_version in _DRF_WRITES.items():
            if getattr(cls, name, None) is drf_version:
                setattr(cls, name, BaseViewSet.__dict__[name])

    def perform_authentication(self, request):
        """Authenticate, then tell the audit trail who is acting (a bearer token's user is
        known only now; an API key has no user at all)."""
        super().perform_authentication(request)
        user = request.user
        if user is not None and user.is_authenticated:
            actor_var.set(Actor(user.get_username(), user.pk, "user"))
        elif prefix := _api_key_prefix(request._request):
            actor_var.set(Actor(f"api-key:{prefix}", None, "api_key"))

    # Generic writes, each recorded with the fields it changed (before/after).
    def perform_create(self, serializer):
        instance = serializer.save()
        audit_created(instance)

    def perform_update(self, serializer):
        before = snapshot(serializer.instance)
        instance = serializer.save()
        audit_updated(instance, before)

    def perform_destroy(self, instance):
        before, pk = snapshot(instance), instance.pk
        instance.delete()
        audit_deleted(instance, before, object_id=pk)

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
