"""The CRM API (DESIGN.md §3): /api/v1/crm/<resource>/.

`CrmRecordViewSet` is the one place where CRM API visibility and ownership rules are applied
(restrict_queryset → apps.crm.selectors.visible; per-object change/delete checks; owner
rules on create); each resource only names its queryset, serializer, filters and service.
"""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from apps.core.api.viewsets import BaseViewSet, ModelViewSet
from apps.core.throttling import bulk_operation
from apps.crm import imports, reports, selectors, services
from apps.crm.api import filters, serializers
from apps.crm.constants import FORECASTING
from apps.crm.models import CrmSettings, Opportunity
from apps.identity.permissions import AppAreaAccess
from apps.platform.licensing.guards import ensure_app, ensure_feature

#: Which object permission each action needs on the record it acts on.
ACTION_NEEDS = {
    "update": "change", "partial_update": "change", "move": "change", "convert": "change",
    "reassign": "change", "share": "change", "unshare": "change", "link_party": "change",
    "destroy": "delete",
}  # fmt: skip


class CrmRecordViewSet(ModelViewSet):
    """CRUD of an owned CRM record, plus reassign/share/unshare/export (and import where the
    resource has a CSV format)."""

    create_service = None  # services.<record>_create
    export_kind: str | None = None
    import_kind: str | None = None
    search_fields: list[str] = []
    ordering_fields: list[str] = []

    def restrict_queryset(self, queryset):
        return selectors.visible(self.request.user, queryset)

    def get_object(self):
        obj = super().get_object()
        needed = ACTION_NEEDS.get(self.action)
        if needed and not selectors.can(self.request.user, obj, needed):
            raise PermissionDenied(f"You may not {needed} this {obj._meta.verbose_name}.")
        if self.action == "reassign" and not (
            obj.owner_id == self.request.user.pk or selectors.is_manager(self.request.user)
        ):
            raise PermissionDenied("Only the owner or a CRM manager can reassign a record.")
        return obj

    def _owner_for(self, data: dict):
        """The owner a write asks for: yourself, unless you manage the CRM."""
        user = self.request.user
        owner = data.pop("owner", None) or user
        if owner.pk != user.pk and not selectors.is_manager(user):
            raise PermissionDenied("Only a CRM manager can give records to someone else.")
        return owner

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        owner = self._owner_for(data)
        serializer.instance = type(self).create_service(owner=owner, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        instance = serializer.instance
        user = self.request.user
        if (
            "owner" in data
            and data["owner"].pk != instance.owner_id
            and not (instance.owner_id == user.pk or selectors.is_manager(user))
        ):
            raise PermissionDenied("Only the owner or a CRM manager can reassign a record.")
        serializer.instance = services.record_update(instance=instance, **data)

    def perform_destroy(self, instance):
        services.record_delete(instance=instance)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        # Re-read through the queryset (joins, annotations) after the service's writes.
        return self.respond(self.get_queryset().get(pk=response.data["id"]))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return self.respond(serializer.instance, status.HTTP_201_CREATED)

    def respond(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        """The record as the requester sees it now; after a reassignment away from them, as
        the service left it (they may no longer see it through the queryset)."""
        found = self.get_queryset().filter(pk=instance.pk).first()
        return Response(self.get_serializer(found or instance).data, status=status_code)

    @extend_schema(request=serializers.ReassignInput)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Hand the record to another owner (audited). `cascade`: an account's contacts and
        opportunities of the same owner, and open activities, follow."""
        obj = self.get_object()
        data = self.validated(serializers.ReassignInput)
        obj = services.record_reassign(obj=obj, owner=data["owner"], cascade=data["cascade"])
        return self.respond(obj)

    @extend_schema(request=serializers.ShareInput)
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        """Let another user see and edit this record."""
        obj = self.get_object()
        services.record_share(obj=obj, user=self.validated(serializers.ShareInput)["user"])
        return self.respond(obj)

    @extend_schema(request=serializers.ShareInput)
    @action(detail=True, methods=["post"])
    def unshare(self, request, pk=None):
        obj = self.get_object()
        services.record_unshare(obj=obj, user=self.validated(serializers.ShareInput)["user"])
        return self.respond(obj)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered list as CSV (the import's columns)."""
        if self.export_kind is None:
            raise PermissionDenied("This resource has no CSV export.")
        rows = self.filter_queryset(self.get_queryset())
        body = imports.csv_export(kind=self.export_kind, queryset=rows)
        stamp = timezone.now().strftime("%Y%m%d")
        return HttpResponse(
            body, content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition":
                     f'attachment; filename="crm-{self.export_kind}-{stamp}.csv"'},
        )  # fmt: skip

    @extend_schema(request=serializers.ImportInput, responses=serializers.ImportResultSerializer)
    @bulk_operation
    @action(detail=False, methods=["post"], url_path="import")
    def import_csv(self, request):
        """Import CSV text (`{"csv": "...", "dry_run": false}`): all rows or none. A dry run
        answers each row's errors without writing; a real run refuses with VALIDATION_ERROR
        and one detail per row error, having written nothing."""
        if self.import_kind is None:
            raise PermissionDenied("This resource has no CSV import.")
        data = self.validated(serializers.ImportInput)
        if data["dry_run"]:
            result = imports.csv_check(kind=self.import_kind, text=data["csv"],
                                       importer=request.user)  # fmt: skip
        else:
            result = imports.csv_import(kind=self.import_kind, text=data["csv"],
                                        importer=request.user)  # fmt: skip
        return Response(
            {
                "kind": result.kind,
                "rows": len(result.rows),
                "created": result.created,
                "ok": result.ok,
                "errors": result.details(),
            }  # fmt: skip
        )


class AccountViewSet(CrmRecordViewSet):
    queryset = selectors.account_rows()
    serializer_class = serializers.AccountSerializer
    filterset_class = filters.AccountFilter
    search_fields = ["name", "domain", "email", "phone", "city", "industry"]
    ordering_fields = ["name", "created_at", "updated_at", "city", "country"]
    create_service = services.account_create
    export_kind = import_kind = "accounts"

    @extend_schema(request=serializers.LinkPartyInput)
    @action(detail=True, methods=["post"], url_path="link-party")
    def link_party(self, request, pk=None):
        """Link the account to an ISP customer of this tenant (blank ref: unlink)."""
        ensure_app("isp")
        account = self.get_object()
        ref = self.validated(serializers.LinkPartyInput)["isp_customer_ref"]
        obj = services.account_link_party(account=account, app="isp", ref=ref)
        return self.respond(obj)


class ContactViewSet(CrmRecordViewSet):
    queryset = selectors.contact_rows()
    serializer_class = serializers.ContactSerializer
    filterset_class = filters.ContactFilter
    search_fields = ["first_name", "last_name", "email", "phone", "account__name", "title"]
    ordering_fields = ["last_name", "first_name", "created_at", "updated_at"]
    create_service = services.contact_create
    export_kind = import_kind = "contacts"


class LeadViewSet(CrmRecordViewSet):
    queryset = selectors.lead_rows()
    serializer_class = serializers.LeadSerializer
    filterset_class = filters.LeadFilter
    search_fields = ["first_name", "last_name", "company", "email", "phone"]
    ordering_fields = ["created_at", "updated_at", "score", "last_name", "company", "status"]
    create_service = services.lead_create
    export_kind = import_kind = "leads"

    @extend_schema(request=serializers.ConvertInput)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Convert a qualified lead into an account, a contact and an opportunity, in one
        transaction. If it matches existing records, CONFLICT lists them: send `account`
        (and `contact`) to merge into them, or `create_new: true`."""
        lead = self.get_object()
        data = self.validated_with_context(serializers.ConvertInput)
        lead = services.lead_convert(lead=lead, actor=request.user, **data)
        return self.respond(lead)

    @extend_schema(responses=serializers.DuplicateSerializer(many=True))
    @action(detail=True, methods=["get"])
    def duplicates(self, request, pk=None):
        """Existing accounts and contacts the lead matches (candidates to merge into)."""
        found = selectors.lead_duplicates(self.get_object())
        return Response(
            [{"id": str(a.pk), "type": "account", "name": a.name, "domain": a.domain}
             for a in found.accounts]
            + [{"id": str(c.pk), "type": "contact", "name": c.full_name, "email": c.email,
                "account": c.account_id} for c in found.contacts]
        )  # fmt: skip

    def validated_with_context(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context={"request": self.request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class OpportunityViewSet(CrmRecordViewSet):
    queryset = selectors.opportunity_rows()
    serializer_class = serializers.OpportunitySerializer
    filterset_class = filters.OpportunityFilter
    search_fields = ["name", "account__name", "contact__last_name", "lost_reason"]
    ordering_fields = ["amount", "expected_close_date", "created_at", "updated_at", "name"]
    create_service = services.opportunity_create
    export_kind = "opportunities"

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no tenant schema
            return context
        if not hasattr(self, "_currency"):
            self._currency = CrmSettings.current().currency
        return {**context, "currency": self._currency}

    @extend_schema(request=serializers.MoveInput)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to another pipeline stage (the board's drag and drop does the same)."""
        opportunity = self.get_object()
        data = self.validated(serializers.MoveInput)
        opportunity = services.opportunity_move(opportunity=opportunity, **data)
        return self.respond(opportunity)

    @extend_schema(responses=serializers.StageChangeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The opportunity's stage changes, newest first."""
        changes = self.get_object().stage_changes.select_related("changed_by")
        return Response(serializers.StageChangeSerializer(changes, many=True).data)


class ActivityViewSet(CrmRecordViewSet):
    queryset = selectors.activity_rows()
    serializer_class = serializers.ActivitySerializer
    filterset_class = filters.ActivityFilter
    search_fields = ["subject", "body"]
    ordering_fields = ["due_at", "created_at", "updated_at", "kind"]
    create_service = services.activity_create

    @action(detail=False, methods=["get"], url_path="my-open-tasks")
    def my_open_tasks(self, request):
        """The requesting user's open to-dos, soonest due first."""
        rows = self.paginate_queryset(selectors.open_tasks_of(request.user))
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        activity = services.activity_complete(activity=self._changeable())
        return self.respond(activity)

    def _changeable(self):
        obj = self.get_object()
        if not selectors.can(self.request.user, obj, "change"):
            raise PermissionDenied("You may not change this activity.")
        return obj


class StageWrites(BasePermission):
    """Anyone in the CRM reads the pipeline; changing it takes the model permission."""

    message = "Changing the pipeline takes a CRM manager."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        needed = {"POST": "add", "DELETE": "delete"}.get(request.method, "change")
        return request.user.has_perm(f"crm.{needed}_stage")


class StageViewSet(ModelViewSet):
    queryset = selectors.stages()
    serializer_class = serializers.StageSerializer
    permission_classes = [AppAreaAccess, StageWrites]
    ordering_fields = ["position", "name", "probability"]
    search_fields = ["name"]
    filterset_fields = ["kind"]

    def perform_create(self, serializer):
        serializer.instance = services.stage_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.record_update(
            instance=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.record_delete(instance=instance)


class ReportViewSet(BaseViewSet):
    """Sales reports over the records the requester can see. The forecast needs the
    `crm.forecasting` feature (Pro plan and up)."""

    resource_type = "report"
    serializer_class = serializers.PipelineRowSerializer
    queryset = Opportunity.objects.none()  # reports read through apps.crm.selectors
    filter_backends: list = []
    pagination_class = None

    @extend_schema(responses=serializers.PipelineRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def pipeline(self, request):
        """Open pipeline value by stage."""
        return Response(reports.pipeline_rows(request.user))

    @extend_schema(responses=serializers.ForecastRowSerializer(many=True))
    @action(detail=False, methods=["get"])
    def forecast(self, request):
        """Weighted forecast by month of expected close (amount × stage probability)."""
        ensure_feature(FORECASTING)
        return Response(reports.forecast_rows(request.user))

    @extend_schema(responses=serializers.WinRateSerializer)
    @action(detail=False, methods=["get"], url_path="win-rate")
    def win_rate(self, request):
        return Response(reports.win_rate_row(request.user))

    @extend_schema(responses=serializers.ConversionRowSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="lead-conversion")
    def lead_conversion(self, request):
        """Lead conversion rate by source."""
        return Response(reports.conversion_rows(request.user))
