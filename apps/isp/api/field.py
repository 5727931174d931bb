"""The field-work API: work orders for staff (/api/v1/isp/work-orders/) and a technician's own
jobs (/api/v1/isp/tech/jobs/: another technician's job is a 404). Every status change takes an
`Idempotency-Key` header: the same key again answers the job as it is (`Idempotent-Replayed:
true`) and applies nothing a second time. A move the flow does not allow is 409 CONFLICT and
writes nothing; a failure without a reason is 400."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.core.api.viewsets import ReadOnlyModelViewSet
from apps.isp.api import filters
from apps.isp.api import serializers as s
from apps.isp.models import ChecklistItem, WorkOrder
from apps.isp.services import field

User = get_user_model()

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER,
    description="One key per change: sent again, the change is not applied twice.",
)  # fmt: skip
PHOTO_SCHEMA = extend_schema(
    request={"multipart/form-data": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
    responses={201: s.WorkOrderFileSerializer},
)  # fmt: skip


class JobActions:
    """The status change and the on-site work, shared by the staff's and the technician's API."""

    @extend_schema(request=s.StatusInput, parameters=[IDEMPOTENCY])
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Move the job: scheduled → en_route → on_site → completed | failed (`reason`
        required); a scheduled job may be cancelled. Completing an installation activates its
        service; every checklist step must be done first."""
        job = self.get_object()
        data = self.validated(s.StatusInput)
        key = request.headers.get("Idempotency-Key", "").strip()
        job, applied = field.work_order_transition(work_order=job, to=data["status"],
                                                   reason=data["reason"], idempotency_key=key,
                                                   actor=self.actor)  # fmt: skip
        response = self.respond(job)
        if not applied:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(request=s.ChecklistTickSerializer)
    @action(detail=True, methods=["post"])
    def checklist(self, request, pk=None):
        """Tick (or untick) a checklist step: `{"item": id, "done": true}`."""
        job = self.get_object()
        data = self.validated(s.ChecklistTickSerializer)
        item = ChecklistItem.objects.filter(work_order=job, pk=data["item"]).first()
        if item is None:
            raise DrfValidationError({"item": "This job has no such step."})
        field.checklist_tick(item=item, done=data["done"], actor=self.actor)
        return self.respond(job)

    @extend_schema(request=s.JobNoteSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        job = self.get_object()
        text = self.validated(s.JobNoteSerializer)["text"]
        return self.respond(field.work_order_note(work_order=job, text=text, actor=self.actor))

    @extend_schema(request=s.PartInput, responses={201: s.WorkOrderPartSerializer})
    @action(detail=True, methods=["post"], resource_type="work_order_part")
    def parts(self, request, pk=None):
        """A part used; a CPE from inventory becomes the service's when the job completes."""
        job = self.get_object()
        part = field.part_add(work_order=job, actor=self.actor, **self.validated(s.PartInput))
        return Response(s.WorkOrderPartSerializer(part).data, status=status.HTTP_201_CREATED)

    @PHOTO_SCHEMA
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser],
            resource_type="work_order_file")  # fmt: skip
    def photos(self, request, pk=None):
        """A photo of the job (an image of at most 10 MB)."""
        job = self.get_object()
        file = request.FILES.get("file")
        if file is None:
            raise DrfValidationError({"file": "Send the photo as multipart form data (`file`)."})
        row = field.work_order_file_add(work_order=job, file=file, actor=self.actor)
        return Response(s.WorkOrderFileSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SignatureInput, responses={201: s.WorkOrderFileSerializer})
    @action(detail=True, methods=["post"], resource_type="work_order_file")
    def signature(self, request, pk=None):
        """The customer's signature (the canvas's PNG data URL)."""
        job = self.get_object()
        data_url = self.validated(s.SignatureInput)["signature"]
        row = field.work_order_signature_add(work_order=job, data_url=data_url, actor=self.actor)
        return Response(s.WorkOrderFileSerializer(row).data, status=status.HTTP_201_CREATED)


class WorkOrderViewSet(JobActions, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       ReadOnlyModelViewSet):  # fmt: skip
    """Work orders: installations, repairs and removals of a customer (and service, ticket),
    in a slot, for a technician. PATCH reschedules or reassigns an open job; jobs are never
    deleted (a scheduled one is cancelled)."""

    queryset = WorkOrder.objects.select_related("customer", "technician").prefetch_related(
        "checklist", "parts"
    )
    serializer_class = s.WorkOrderSerializer
    create_input = s.WorkOrderCreateSerializer
    filterset_class = filters.WorkOrderFilter
    ordering_fields = ["slot_start", "created_at", "status"]
    resource_type = "work_order"
    create_service = staticmethod(field.work_order_create)
    update_service = staticmethod(field.work_order_schedule)
    service_object = "work_order"


class TechJobViewSet(JobActions, ReadOnlyModelViewSet):
    """Your jobs (the technician app), in time order: `?day=YYYY-MM-DD` narrows to a day."""

    queryset = (
        WorkOrder.objects.select_related("customer", "service")
        .prefetch_related("checklist")
        .order_by("slot_start", "id")
    )
    serializer_class = s.TechJobSerializer
    filterset_class = filters.WorkOrderFilter
    resource_type = "job"

    def restrict(self, queryset, user, action):
        return queryset.filter(technician_id=user.pk)
