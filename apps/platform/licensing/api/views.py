from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action

from apps.core.api.viewsets import BaseViewSet
from apps.platform.api_permissions import IsPlatformStaff, actor_of
from apps.platform.licensing import services
from apps.platform.licensing.api.serializers import (
    ChangePlanSerializer,
    NoteSerializer,
    OverridesSerializer,
    SubscriptionCreateSerializer,
    SubscriptionEventSerializer,
    SubscriptionSerializer,
)
from apps.platform.licensing.models import Subscription


class SubscriptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, BaseViewSet):
    """Tenants' subscriptions. Changes are named actions; each is kept in the history and
    takes effect on the tenant's very next request."""

    queryset = Subscription.objects.select_related("tenant", "app", "plan").order_by("id")
    serializer_class = SubscriptionSerializer
    permission_classes = [IsPlatformStaff]
    resource_type = "subscription"
    filterset_fields = {
        "tenant__slug": ["exact"], "app__key": ["exact"], "plan__key": ["exact"],
        "status": ["exact", "in"],
    }  # fmt: skip
    ordering_fields = ["created_at", "status"]

    @extend_schema(request=SubscriptionCreateSerializer, responses={201: SubscriptionSerializer})
    def create(self, request):
        data = self.validated(SubscriptionCreateSerializer)
        plan = services.plan_resolve(app_key=data["app"], plan_key=data["plan"])
        subscription = services.subscription_create(
            tenant=data["tenant"], plan=plan, status=data["status"], actor=actor_of(request),
            note=data.get("note", ""),
        )  # fmt: skip
        return self.respond(subscription, status.HTTP_201_CREATED)

    @extend_schema(request=ChangePlanSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"], url_path="change-plan")
    def change_plan(self, request, pk=None):
        subscription = self.get_object()
        data = self.validated(ChangePlanSerializer)
        plan = services.plan_resolve(app_key=subscription.app.key, plan_key=data["plan"])
        return self.respond(
            services.subscription_change_plan(
                subscription=subscription,
                plan=plan,
                actor=actor_of(request),
                note=data.get("note", ""),
            )  # fmt: skip
        )

    def _transition(self, service):
        data = self.validated(NoteSerializer)
        return self.respond(
            service(
                subscription=self.get_object(),
                actor=actor_of(self.request),
                note=data.get("note", ""),
            )  # fmt: skip
        )

    @extend_schema(request=NoteSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._transition(services.subscription_activate)

    @extend_schema(request=NoteSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        return self._transition(services.subscription_suspend)

    @extend_schema(request=NoteSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(services.subscription_cancel)

    @extend_schema(request=OverridesSerializer, responses=SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def overrides(self, request, pk=None):
        data = self.validated(OverridesSerializer)
        return self.respond(
            services.subscription_set_overrides(
                subscription=self.get_object(),
                actor=actor_of(request),
                features=data.get("feature_overrides"),
                limits=data.get("limit_overrides"),
                note=data.get("note", ""),
            )  # fmt: skip
        )

    @extend_schema(responses=SubscriptionEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The subscription's history, newest first."""
        events = self.get_object().events.select_related("from_plan", "to_plan")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(SubscriptionEventSerializer(page, many=True).data)
