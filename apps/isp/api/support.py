"""The support API: tickets for staff (/api/v1/isp/tickets/, with the `reply`, `assign`,
`resolve`, `reopen`, `merge` and `status` actions, replies and attachments), the support
setup (teams, SLA policies, business hours, holidays: the policies need `isp.sla`), the
agent's saved views, and the customer's own tickets in the portal
(/api/v1/isp/portal/tickets/: list, open, reply; internal notes are never shown there)."""

from django.db.models import Prefetch, Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.core.api.viewsets import ModelViewSet, ReadOnlyModelViewSet
from apps.isp.api import filters
from apps.isp.api import serializers as s
from apps.isp.api.portal import PortalResource
from apps.isp.constants import SLA
from apps.isp.models import (
    BusinessHours,
    Holiday,
    SavedTicketView,
    Service,
    SlaPolicy,
    SupportTeam,
    Ticket,
    TicketReply,
)
from apps.isp.services import sla, support

UPLOAD_SCHEMA = extend_schema(
    request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"},
        "internal": {"type": "boolean"}}}},
    responses={201: s.TicketAttachmentSerializer},
)  # fmt: skip


def _uploaded(request):
    file = request.FILES.get("file")
    if file is None:
        raise DrfValidationError({"file": "Send the file as multipart form data (`file`)."})
    return file


class TicketViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyModelViewSet):
    """Support tickets. A new ticket takes the SLA policy of its priority (with `isp.sla`):
    its due times are in business hours and pause while it waits on the customer. Tickets
    are never deleted: they are resolved, or merged into the ticket they duplicate."""

    queryset = Ticket.objects.select_related("customer", "assignee", "team")
    serializer_class = s.TicketSerializer
    filterset_class = filters.TicketFilter
    search_fields = ["subject", "customer__name", "customer__account_number"]
    ordering_fields = ["created_at", "priority", "status", "resolution_due_at", "updated_at"]
    resource_type = "ticket"
    create_service = staticmethod(support.ticket_open)
    update_service = staticmethod(support.ticket_update)

    @extend_schema(request=s.ReplyInput, responses={201: s.TicketReplySerializer})
    @action(detail=True, methods=["post"], resource_type="ticket_reply")
    def reply(self, request, pk=None):
        """A public reply (the customer is mailed it; the first is the first response) or an
        internal note (`internal: true`); `status: waiting` puts the ticket on the customer
        (its SLA clock pauses)."""
        ticket = self.get_object()
        data = self.validated(s.ReplyInput)
        reply = support.ticket_reply(ticket=ticket, actor=self.actor, **data)
        return Response(s.TicketReplySerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TicketReplySerializer(many=True))
    @action(detail=True, methods=["get"], resource_type="ticket_reply", filter_backends=[])
    def replies(self, request, pk=None):
        """The ticket's replies and internal notes, oldest first (paginated)."""
        return self.respond_page(self.get_object().replies.all(), s.TicketReplySerializer)

    @extend_schema(request=s.AssignSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Hand the ticket to a team and/or an agent (null: nobody)."""
        ticket = self.get_object()
        data = self.validated(s.AssignSerializer)
        fields = {"team": data.get("team", ticket.team), "assignee": data.get("assignee",
                  ticket.assignee)}  # fmt: skip
        return self.respond(support.ticket_assign(ticket=ticket, actor=self.actor, **fields))

    @extend_schema(request=s.ResolveSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve (with a public closing note, optional): the SLA clock stops."""
        ticket = self.get_object()
        note = self.validated(s.ResolveSerializer)["note"]
        return self.respond(support.ticket_resolve(ticket=ticket, note=note, actor=self.actor))

    @extend_schema(request=None, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a resolved ticket: its clock runs on from what it had used."""
        return self.respond(support.ticket_reopen(ticket=self.get_object(), actor=self.actor))

    @extend_schema(request=s.MergeSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this ticket into the one it duplicates (`into`): its replies move there."""
        ticket = self.get_object()
        into = self.validated(s.MergeSerializer)["into"]
        return self.respond(support.ticket_merge(ticket=ticket, into=into, actor=self.actor))

    @extend_schema(request=s.ReplyInput, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """`{"status": "waiting"}` (on the customer: the clock pauses) or `"open"`."""
        ticket = self.get_object()
        wanted = request.data.get("status") if isinstance(request.data, dict) else None
        if wanted not in ("open", "waiting"):
            raise DrfValidationError({"status": "open or waiting."})
        return self.respond(support.ticket_set_status(ticket=ticket, status=wanted,
                                                      actor=self.actor))  # fmt: skip

    @UPLOAD_SCHEMA
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser],
            resource_type="ticket_attachment")  # fmt: skip
    def attachments(self, request, pk=None):
        """Attach a file (at most 10 MB: PNG, JPEG, GIF, WebP, PDF or plain text)."""
        ticket = self.get_object()
        internal = str(request.data.get("internal", "")).lower() in ("1", "true", "on")
        attachment = support.attachment_add(ticket=ticket, file=_uploaded(request),
                                            internal=internal, actor=self.actor)  # fmt: skip
        data = s.TicketAttachmentSerializer(attachment).data
        return Response(data, status=status.HTTP_201_CREATED)


class SupportTeamViewSet(ModelViewSet):
    queryset = SupportTeam.objects.prefetch_related("members")
    serializer_class = s.SupportTeamSerializer
    resource_type = "support_team"
    search_fields = ["name"]
    create_service = staticmethod(support.team_create)
    update_service = staticmethod(support.team_update)
    service_object = "team"


class SlaPolicyViewSet(ModelViewSet):
    """SLA policies, one per priority (`isp.sla`). A change of targets moves the due times of
    the policy's open tickets; what their clocks used (and their paused time) stays."""

    queryset = SlaPolicy.objects.select_related("escalation_team")
    serializer_class = s.SlaPolicySerializer
    resource_type = "sla_policy"
    required_feature = SLA
    update_service = staticmethod(sla.policy_update)
    service_object = "policy"


class BusinessHoursViewSet(ModelViewSet):
    queryset = BusinessHours.objects.all()
    serializer_class = s.BusinessHoursSerializer
    resource_type = "business_hours"


class HolidayViewSet(ModelViewSet):
    queryset = Holiday.objects.all()
    serializer_class = s.HolidaySerializer
    resource_type = "holiday"


class SavedTicketViewViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin,
                             ReadOnlyModelViewSet):  # fmt: skip
    """The requester's saved queue views (and the shared ones: read only to others)."""

    queryset = SavedTicketView.objects.all()
    serializer_class = s.SavedTicketViewSerializer
    resource_type = "saved_ticket_view"
    destroy_service = staticmethod(support.saved_view_delete)
    service_object = "view"

    def restrict(self, queryset, user, action):
        if action == "view":
            return queryset.filter(Q(owner_id=user.pk) | Q(shared=True))
        return queryset.filter(owner_id=user.pk)

    def perform_create(self, serializer):
        return support.saved_view_create(owner=self.request.user, actor=self.actor,
                                         **serializer.validated_data)  # fmt: skip


# --- the portal ------------------------------------------------------------------------------


class PortalTicketViewSet(PortalResource, mixins.CreateModelMixin, ReadOnlyModelViewSet):
    """Your tickets: open one (about one of your services, optionally), follow the replies,
    answer them. A reply to a ticket waiting on you, or to a resolved one, reopens it."""

    queryset = Ticket.objects.prefetch_related(
        Prefetch("replies", queryset=TicketReply.objects.filter(internal=False),
                 to_attr="public_replies")
    ).order_by("-created_at", "-id")  # fmt: skip
    serializer_class = s.PortalTicketSerializer
    create_input = s.PortalTicketCreateSerializer
    resource_type = "ticket"
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "updated_at"]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        service_id, service = data.pop("service", None), None
        if service_id:
            service = Service.objects.filter(customer=self.customer, pk=service_id).first()
            if service is None:
                raise DrfValidationError({"service": "You have no such service."})
        return support.ticket_open(customer=self.customer, service=service, actor=self.actor,
                                   source=Ticket.Source.PORTAL, **data)  # fmt: skip

    @extend_schema(request=s.PortalReplyInput, responses={201: s.PortalTicketSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        ticket = self.get_object()
        body = self.validated(s.PortalReplyInput)["body"]
        support.ticket_reply(ticket=ticket, body=body, from_customer=True, actor=self.actor)
        return self.respond(ticket, status.HTTP_201_CREATED)
