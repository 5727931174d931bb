"""Test-only views that provoke each error code and exercise the base viewset."""

import time

from django.http import HttpResponse
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from apps.core.api import exceptions
from apps.core.api.serializers import ModelSerializer
from apps.core.api.viewsets import ModelViewSet
from apps.core.models import WorkerHeartbeat


class HeartbeatSerializer(ModelSerializer):
    class Meta:
        model = WorkerHeartbeat
        fields = ["id", "source", "schema_name", "task_id", "created_at"]


class HeartbeatViewSet(ModelViewSet):
    queryset = WorkerHeartbeat.objects.all()
    serializer_class = HeartbeatSerializer
    filterset_fields = ["source"]
    search_fields = ["source", "task_id"]
    ordering_fields = ["created_at", "source"]

    @action(detail=False, methods=["get"], permission_classes=[IsAdminUser])
    def staff_only(self, request):
        return Response({"ok": True})


class Raise(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    errors = {
        "app": exceptions.AppNotSubscribed("Your organisation does not subscribe to CRM"),
        "feature": exceptions.FeatureNotInPlan(),
        "limit": exceptions.LimitExceeded(details=[{"field": "isp.max_customers", "message": "5"}]),
        "conflict": exceptions.Conflict(),
    }

    def get(self, request, kind):
        if kind == "crash":
            raise RuntimeError("secret internals: password=hunter2")
        raise self.errors[kind]


class Throttled(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [type("OnePerMinute", (AnonRateThrottle,), {"rate": "1/min"})]

    def get(self, request):
        return Response({"ok": True})


def plain_crash(request):
    raise RuntimeError("secret internals of a plain view")


def slow(request):
    seconds = float(request.GET.get("seconds", "2"))
    time.sleep(seconds)
    return HttpResponse(f"slept {seconds}", content_type="text/plain")
