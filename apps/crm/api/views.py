"""The CRM API (DESIGN.md §3): /api/v1/crm/<resource>/, on the API kit (apps.core.api).

Every owned record's resource restricts its queryset through `apps.crm.selectors.visible`
(the kit's `restrict` hook: what a user may not see is a 404, what they see but may not change
or delete a 403) and writes through the CRM services, which hold the ownership rules.
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

from apps.core.api.imports import CsvImportActions
from apps.core.api.viewsets import BaseViewSet, ModelViewSet
from apps.crm import imports, reports, selectors
from apps.crm.api import filters, serializers
from apps.crm.constants import FORECASTING
from apps.crm.models import Opportunity
from apps.crm.services import delivery, leads, ownership, pipeline, records
from apps.identity.permissions import AppAreaAccess
from apps.platform.licensing.guards import ensure_app


class CrmRecordViewSet(CsvImportActions, ModelViewSet):
    """CRUD of an owned CRM record, plus reassign/share/unshare/export (and import where the
    resource has a CSV format)."""

    restrict = staticmethod(selectors.visible)
    object_actions = {
        **ModelViewSet.object_actions, "move": "change", "convert": "change",
        "reassign": "change", "share": "change", "unshare": "change", "link_party": "change",
        "complete": "change", "start_project": "change",
    }  # fmt: skip
    update_service = staticmethod(records.record_update)
    destroy_service = staticmethod(records.record_delete)
    service_object = "instance"
    export_kind: str | None = None
    import_kind: str | None = None
    search_fields: list[str] = []
    ordering_fields: list[str] = []

    @extend_schema(request=serializers.ReassignInput)
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        """Hand the record to another owner (audited; its owner or a CRM manager). `cascade`:
        an account's contacts and opportunities of the same owner, and open activities,
        follow."""
        obj = self.get_object()
        data = self.validated(serializers.ReassignInput)
        return self.respond(ownership.record_reassign(obj=obj, actor=self.actor, **data))

    @extend_schema(request=serializers.ShareInput)
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        """Let another user see and edit this record."""
        obj = self.get_object()
        user = self.validated(serializers.ShareInput)["user"]
        ownership.record_share(obj=obj, user=user, actor=self.actor)
        return self.respond(obj)

    @extend_schema(request=serializers.ShareInput)
    @action(detail=True, methods=["post"])
    def unshare(self, request, pk=None):
        obj = self.get_object()
        user = self.validated(serializers.ShareInput)["user"]
        ownership.record_unshare(obj=obj, user=user, actor=self.actor)
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

    def csv_import_run(self, *, text: str, dry_run: bool):
        if self.import_kind is None:
            raise PermissionDenied("This resource has no CSV import.")
        run = imports.csv_check if dry_run else imports.csv_import
        return run(kind=self.import_kind, text=text, importer=self.request.user)


class AccountViewSet(CrmRecordViewSet):
    queryset = selectors.account_rows()
    serializer_class = serializers.AccountSerializer
    filterset_class = filters.AccountFilter
    search_fields = ["name", "domain", "email", "phone", "city", "industry"]
    # city is encrypted at rest: searched and filtered by exact value, never ordered by
    ordering_fields = ["name", "created_at", "updated_at", "country"]
    create_service = staticmethod(records.account_create)
    export_kind = import_kind = "accounts"

    @extend_schema(request=serializers.LinkPartyInput)
    @action(detail=True, methods=["post"], url_path="link-party")
    def link_party(self, request, pk=None):
        """Link the account to a party record of another app of this organisation, such as an
        ISP customer (`{"app": "isp", "ref": "12"}`; a blank ref unlinks)."""
        account = self.get_object()
        data = self.validated(serializers.LinkPartyInput)
        ensure_app(data["app"])
        return self.respond(records.account_link_party(account=account, actor=self.actor, **data))


class ContactViewSet(CrmRecordViewSet):
    queryset = selectors.contact_rows()
    serializer_class = serializers.ContactSerializer
    filterset_class = filters.ContactFilter
    search_fields = ["first_name", "last_name", "email", "phone", "account__name", "title"]
    ordering_fields = ["last_name", "first_name", "created_at", "updated_at"]
    create_service = staticmethod(records.contact_create)
    export_kind = import_kind = "contacts"


class LeadViewSet(CrmRecordViewSet):
    queryset = selectors.lead_rows()
    serializer_class = serializers.LeadSerializer
    filterset_class = filters.LeadFilter
    search_fields = ["first_name", "last_name", "company", "email", "phone"]
    ordering_fields = ["created_at", "updated_at", "score", "last_name", "company", "status"]
    create_service = staticmethod(leads.lead_create)
    export_kind = import_kind = "leads"

    @extend_schema(request=serializers.ConvertInput)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Convert a qualified lead into an account, a contact and an opportunity, in one
        transaction. If it matches existing records, CONFLICT lists them: send `account`
        (and `contact`) to merge into them, or `create_new: true`."""
        lead = self.get_object()
        data = self.validated(serializers.ConvertInput)
        return self.respond(leads.lead_convert(lead=lead, actor=self.actor, **data))

    @extend_schema(responses=serializers.DuplicateSerializer(many=True))
    @action(detail=True, methods=["get"], resource_type="duplicate", filter_backends=[])
    def duplicates(self, request, pk=None):
        """Existing accounts and contacts the lead matches (candidates to merge into), a page."""
        found = selectors.lead_duplicates(self.get_object())
        rows = [
            {"id": str(a.pk), "type": "account", "name": a.name, "domain": a.domain}
            for a in found.accounts
        ] + [
            {"id": str(c.pk), "type": "contact", "name": c.full_name, "email": c.email,
             "account": c.account_id}
            for c in found.contacts
        ]  # fmt: skip
        return self.respond_page(rows, serializers.DuplicateSerializer)


class OpportunityViewSet(CrmRecordViewSet):
    queryset = selectors.opportunity_rows()
    serializer_class = serializers.OpportunitySerializer
    filterset_class = filters.OpportunityFilter
    search_fields = ["name", "account__name", "contact__last_name", "lost_reason"]
    ordering_fields = ["amount", "expected_close_date", "created_at", "updated_at", "name"]
    create_service = staticmethod(pipeline.opportunity_create)
    export_kind = "opportunities"

    @extend_schema(request=serializers.MoveInput)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to another pipeline stage (the board's drag and drop does the same)."""
        opportunity = self.get_object()
        data = self.validated(serializers.MoveInput)
        moved = pipeline.opportunity_move(opportunity=opportunity, actor=self.actor, **data)
        return self.respond(moved)

    @extend_schema(request=serializers.StartProjectInput,
                   responses={201: serializers.StartedProjectSerializer})  # fmt: skip
    @action(detail=True, methods=["post"], url_path="start-project", resource_type="project")
    def start_project(self, request, pk=None):
        """Start a project from a Project Management template for this won opportunity, linked
        back to it (409 CONFLICT when not won; 403 APP_NOT_SUBSCRIBED without Projects)."""
        opportunity = self.get_object()
        data = self.validated(serializers.StartProjectInput)
        facts = delivery.opportunity_start_project(opportunity=opportunity, actor=self.actor,
                                                   **data)  # fmt: skip
        return Response({"id": int(facts.ref), "name": facts.name, "url": facts.url},
                        status=status.HTTP_201_CREATED)  # fmt: skip

    @extend_schema(responses=serializers.StageChangeSerializer(many=True))
    @action(detail=True, methods=["get"], resource_type="stage_change", filter_backends=[])
    def history(self, request, pk=None):
        """The opportunity's stage changes, newest first, a page."""
        changes = self.get_object().stage_changes.select_related("changed_by")
        return self.respond_page(changes, serializers.StageChangeSerializer)


class ActivityViewSet(CrmRecordViewSet):
    queryset = selectors.activity_rows()
    serializer_class = serializers.ActivitySerializer
    filterset_class = filters.ActivityFilter
    search_fields = ["subject", "body"]
    ordering_fields = ["due_at", "created_at", "updated_at", "kind"]
    create_service = staticmethod(records.activity_create)

    @extend_schema(responses=serializers.ActivitySerializer(many=True))
    @action(detail=False, methods=["get"], url_path="my-open-tasks", filter_backends=[])
    def my_open_tasks(self, request):
        """The requesting user's open to-dos, soonest due first, a page."""
        return self.respond_page(selectors.open_tasks_of(request.user))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        activity = records.activity_complete(activity=self.get_object(), actor=self.actor)
        return self.respond(activity)


class StageWrites(BasePermission):
    """Anyone in the CRM reads the pipeline; changing it takes the model permission."""

    message = "Changing the pipeline takes a CRM manager."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        needed = {"POST": "add", "DELETE": "delete"}.get(request.method, "change")
        return request.user.has_perm(f"crm.{needed}_stage")


class StageViewSet(ModelViewSet):
    """The pipeline's stages (columns of the board). A stage in use cannot be deleted (409)."""

    queryset = selectors.stages()
    serializer_class = serializers.StageSerializer
    permission_classes = [AppAreaAccess, StageWrites]
    ordering_fields = ["position", "name", "probability"]
    search_fields = ["name"]
    filterset_fields = ["kind"]
    create_service = staticmethod(pipeline.stage_create)


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
    @action(detail=False, methods=["get"], required_feature=FORECASTING)
    def forecast(self, request):
        """Weighted forecast by month of expected close (amount × stage probability)."""
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
