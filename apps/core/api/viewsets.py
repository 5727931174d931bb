"""The API kit: the base viewsets every app's resources extend (STYLE.md §6-8).

A resource declares what it is; the base does the rest the same way for every app:

    class ServicePlanViewSet(ModelViewSet):
        queryset = ServicePlan.objects.select_related("tax_class")
        serializer_class = s.ServicePlanSerializer
        filterset_class = filters.ServicePlanFilter
        create_service = staticmethod(plans.plan_create)   # (**data, actor=) -> instance
        update_service = staticmethod(plans.plan_update)   # (plan=instance, **data, actor=)
        required_feature = "isp.pro_feature"               # optional: 403 FEATURE_NOT_IN_PLAN

- **Writes** go through the declared services, which hold the rules and record the audit
  trail; `create_input` validates a create with another serializer than the representation
  (a document issued from lines). Without a service, the write is the kit's generic audited
  one (apps.core.kit.writes). Every write answers the object re-read through the queryset.
- **Features**: `required_feature` on the viewset, or `@action(..., required_feature=...)` on
  one action: 403 FEATURE_NOT_IN_PLAN once the caller is known.
- **Visibility**: every queryset goes through `restrict(queryset, user, action)`: what the user
  may "view" is what they read (anything else is a 404, like an id that never existed); an
  action listed in `object_actions` ("destroy": "delete") also needs that permission on its
  object (403 when the user sees it but may not).
- **Named actions** validate their input with `validated(Serializer)`, call one service and
  answer with `respond(obj)`; an action answering a list answers `respond_page(rows)`, a page
  like the resource's list.
"""

from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.core.context import Actor, actor_var
from apps.core.kit.writes import record_create, record_delete, record_update
from apps.core.registry import registry

_DRF_MIXINS = (mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin)


class _KitWrites:
    """The kit's versions of the handlers DRF's mixins provide. A viewset has a handler only
    when it is composed with the mixin (the router offers the verbs a viewset has), and then
    it is the kit's: validated, written through the service, answered re-read."""

    def create(self, request, *args, **kwargs):
        serializer = (self.create_input or self.get_serializer_class())(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return self.respond(self.perform_create(serializer), self.create_status)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.perform_update(serializer))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.perform_destroy(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


#: DRF mixin method → the kit's, put in its place on every viewset that has it.
_KIT_METHODS = {
    name: _KitWrites.__dict__[name] for name in ("create", "update", "partial_update", "destroy")
}


def _api_key_prefix(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Api-Key "):
        return None
    return header.removeprefix("Api-Key ").split(".", 1)[0].strip() or None


_PERFORM = ("perform_create", "perform_update", "perform_destroy")


class BaseViewSet(viewsets.GenericViewSet):
    #: The envelope's `type` for this resource (defaults to the model name).
    resource_type: str | None = None
    #: A plan feature the whole resource needs (an action may name its own).
    required_feature: str | None = None
    #: Services the writes go through; None: the kit's generic audited write.
    create_service = None
    update_service = None
    destroy_service = None
    #: The keyword naming the object in the update and destroy services (default: the model's
    #: name, e.g. `plan_update(plan=...)`).
    service_object: str | None = None
    #: The serializer validating a create, when it differs from `serializer_class`.
    create_input = None
    #: The status of a successful create (202: the work goes on in a worker).
    create_status = status.HTTP_201_CREATED
    #: What an action needs on the object it acts on, beyond seeing it.
    object_actions: dict[str, str] = {
        "update": "change",
        "partial_update": "change",
        "destroy": "delete",
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        kit = {**_KIT_METHODS, **{name: BaseViewSet.__dict__[name] for name in _PERFORM}}
        for name, implementation in kit.items():
            found = getattr(cls, name, None)
            if any(found is getattr(mixin, name, object()) for mixin in _DRF_MIXINS):
                setattr(cls, name, implementation)

    def perform_authentication(self, request):
        """Authenticate, then tell the audit trail who is acting (a bearer token's user is
        known only now; an API key has no user at all)."""
        super().perform_authentication(request)
        user = request.user
        if user is not None and user.is_authenticated:
            actor_var.set(Actor(user.get_username(), user.pk, "user"))
        elif prefix := _api_key_prefix(request._request):
            actor_var.set(Actor(f"api-key:{prefix}", None, "api_key"))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.required_feature:  # an @action(required_feature=...) sets it for its requests
            registry.ensure_feature(self.required_feature)

    # --- reads -----------------------------------------------------------------------------

    def restrict(self, queryset, user, action: str):
        """The rows of `queryset` that `user` may `action` ("view", "change", "delete"). Every
        read goes through it; an app narrows it (the CRM's ownership, the portal's customer)."""
        return queryset

    def implied_by_view(self, model, action: str) -> bool:
        """Whether `restrict(..., action)` grants exactly the rows "view" does for `model`: then
        the object `get_object` found through the "view" queryset needs no second query. An
        app whose rules say so overrides it (default: always check)."""
        return False

    def get_queryset(self):
        return self.restrict(super().get_queryset(), self.request.user, "view")

    def get_object(self):
        obj = super().get_object()
        needed = self.object_actions.get(self.action)
        if (needed is not None and type(self).restrict is not BaseViewSet.restrict
                and not self.implied_by_view(type(obj), needed)):  # fmt: skip
            model = type(obj)
            allowed = self.restrict(model._default_manager.filter(pk=obj.pk), self.request.user,
                                    needed)  # fmt: skip
            if not allowed.exists():
                raise PermissionDenied(f"You may not {needed} this {model._meta.verbose_name}.")
        return obj

    # --- writes ----------------------------------------------------------------------------

    @property
    def actor(self):
        return self.request.user if self.request.user.is_authenticated else None

    def _object_keyword(self) -> str:
        return self.service_object or self.get_queryset().model._meta.model_name

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if self.create_service is not None:
            return type(self).create_service(**data, actor=self.actor)
        model = self.get_queryset().model
        return record_create(model(**data), actor=self.actor)

    def perform_update(self, serializer):
        instance, data = serializer.instance, dict(serializer.validated_data)
        if self.update_service is not None:
            return type(self).update_service(
                **{self._object_keyword(): instance}, **data, actor=self.actor
            )
        record_update(instance, data, actor=self.actor)
        return instance

    def perform_destroy(self, instance):
        if self.destroy_service is not None:
            type(self).destroy_service(**{self._object_keyword(): instance}, actor=self.actor)
        else:
            record_delete(instance, actor=self.actor)

    # --- named actions ---------------------------------------------------------------------

    def validated(self, serializer_class) -> dict:
        """The action's input, validated (400 VALIDATION_ERROR otherwise)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def respond(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as the requester sees it now, re-read through the queryset (its joins,
        annotations and restriction); one the requester no longer sees (handed to someone
        else) as the service left it."""
        found = self.get_queryset().filter(pk=instance.pk).first()
        return Response(self.get_serializer(found or instance).data, status=status_code)

    def respond_page(self, rows, serializer_class=None) -> Response:
        """A list an action answers (a queryset or a list), paginated like the resource's own
        list (`?page=`, `?page_size=` up to the paginator's bound): `meta.pagination` and
        `links`, as the schema says of every list. Declare it with
        `@extend_schema(responses=Serializer(many=True))`."""
        serializer_class = serializer_class or self.get_serializer_class()
        page = self.paginate_queryset(rows)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class ReadOnlyModelViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, BaseViewSet):
    pass


class CreateReadViewSet(mixins.CreateModelMixin, ReadOnlyModelViewSet):
    """Created (through a service), read, never edited nor deleted: documents, runs."""


class ModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    BaseViewSet,
):
    pass
