"""The CRM's pages at /crm/. Licence and area access are checked by middleware before these
run; visibility and ownership by `CrmPage` through apps.crm.selectors, as the API does; every
write calls the same service as the API."""

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from apps.core.exceptions import DomainError
from apps.core.parties import party_directory
from apps.crm import forms, imports, reports, selectors, services
from apps.crm.api import filters
from apps.crm.constants import AREA, FORECASTING, ActivityKind, StageKind
from apps.crm.models import Account, Contact, CrmSettings, Lead, Opportunity, Stage
from apps.identity.models import User
from apps.platform.licensing.entitlements import entitlements_for


@dataclass(frozen=True)
class Kind:
    """One kind of CRM record as the pages show it."""

    key: str  # URL segment: accounts, contacts...
    model: type
    rows: callable  # selectors.<kind>(user): the visible rows
    form: type
    create: callable
    filterset: type
    search: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (heading, attribute or template key)
    filters: tuple[str, ...]  # filterset fields offered above the list
    title: str

    @property
    def singular(self) -> str:
        return self.model._meta.verbose_name


KINDS = {
    kind.key: kind
    for kind in (
        Kind("accounts", Account, selectors.accounts, forms.AccountForm, services.account_create,
             filters.AccountFilter, ("name", "domain", "email", "city", "industry"),
             (("Name", "name"), ("Industry", "industry"), ("City", "city"),
              ("Contacts", "contact_count"), ("Owner", "owner"), ("Tags", "tags")),
             ("owner", "industry", "tag"), "Accounts"),
        Kind("contacts", Contact, selectors.contacts, forms.ContactForm, services.contact_create,
             filters.ContactFilter, ("first_name", "last_name", "email", "phone", "account__name"),
             (("Name", "full_name"), ("Account", "account"), ("Title", "title"),
              ("Email", "email"), ("Phone", "phone"), ("Owner", "owner")),
             ("owner", "tag"), "Contacts"),
        Kind("leads", Lead, selectors.leads, forms.LeadForm, services.lead_create,
             filters.LeadFilter, ("first_name", "last_name", "company", "email"),
             (("Name", "full_name"), ("Company", "company"), ("Source", "source"),
              ("Status", "status"), ("Score", "score"), ("Owner", "owner")),
             ("owner", "status", "source", "tag"), "Leads"),
        Kind("opportunities", Opportunity, selectors.opportunities, forms.OpportunityForm,
             services.opportunity_create, filters.OpportunityFilter,
             ("name", "account__name"),
             (("Name", "name"), ("Account", "account"), ("Stage", "stage"), ("Amount", "amount"),
              ("Close", "expected_close_date"), ("Owner", "owner")),
             ("owner", "stage", "tag"), "Opportunities"),
    )
}  # fmt: skip


def _currency() -> str:
    return CrmSettings.current().currency


def _crm_users():
    """Who can own CRM records (the owner pickers)."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(role_assignments__role__areas__contains=[AREA]))
        .distinct()
        .order_by("first_name", "username")
    )


class CrmPage(LoginRequiredMixin, View):
    """Base of every CRM page: the signed-in user's visible records, one place."""

    login_url = "/login/"
    section = ""

    def render(self, template: str, status: int = 200, **context):
        base = {
            "tenant": self.request.tenant, "section": self.section, "currency": _currency(),
            "is_manager": selectors.is_manager(self.request.user),
            "has_forecasting": entitlements_for(connection.schema_name).has_feature(FORECASTING),
        }  # fmt: skip
        return render(self.request, f"crm/{template}", {**base, **context}, status=status)

    def kind(self, key: str) -> Kind:
        if key not in KINDS:
            raise Http404
        return KINDS[key]

    def record(self, kind: Kind, pk: int, action: str = "view"):
        """The record if the user may see it (else 404, like a record that does not exist) and
        may `action` it (else 403)."""
        obj = kind.rows(self.request.user).filter(pk=pk).first()
        if obj is None:
            raise Http404(f"No such {kind.singular}.")
        if action != "view" and not selectors.can(self.request.user, obj, action):
            raise PermissionDenied(f"You may not {action} this {kind.singular}.")
        return obj

    def fail(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            by_field = getattr(error, "message_dict", None) or {"__all__": error.messages}
            text = "; ".join(
                ", ".join(msgs) if field == "__all__" else f"{field}: {', '.join(msgs)}"
                for field, msgs in by_field.items()
            )
        else:
            text = getattr(error, "message", str(error))
        messages.error(self.request, text)


class HomeView(CrmPage):
    """The CRM's start page: my open tasks, my pipeline at a glance."""

    section = "home"

    def get(self, request):
        user = request.user
        open_opps = selectors.opportunities(user).filter(stage__kind=StageKind.OPEN)
        mine = open_opps.filter(owner=user)
        return self.render(
            "home.html",
            tasks=selectors.open_tasks_of(user)[:8],
            open_count=open_opps.count(),
            my_pipeline=sum((o.amount for o in mine), 0),
            my_count=mine.count(),
            lead_count=selectors.leads(user).filter(status__in=["new", "contacted"]).count(),
            win=selectors.win_rate(user),
            closing=open_opps.filter(expected_close_date__isnull=False).order_by(
                "expected_close_date"
            )[:6],  # fmt: skip
        )


class PipelineView(CrmPage):
    """The kanban board: a column per stage, a card per visible opportunity."""

    section = "pipeline"

    def get(self, request):
        rows = selectors.opportunities(request.user)
        owner = request.GET.get("owner", "")
        if owner == "me":
            rows = rows.filter(owner=request.user)
        elif owner.isdigit():
            rows = rows.filter(owner_id=int(owner))
        by_stage: dict[int, list] = {}
        for opp in rows.order_by("expected_close_date", "id"):
            by_stage.setdefault(opp.stage_id, []).append(opp)
        columns = []
        for stage in Stage.objects.all():
            cards = by_stage.get(stage.pk, [])
            if stage.is_closed and not request.GET.get("closed") and len(cards) > 12:
                cards = cards[:12]
            columns.append({"stage": stage, "cards": cards,
                            "total": sum((c.amount for c in by_stage.get(stage.pk, [])), 0),
                            "count": len(by_stage.get(stage.pk, []))})  # fmt: skip
        return self.render("pipeline.html", columns=columns, owner=owner, owners=_crm_users())


class MoveView(CrmPage):
    """The board's drag and drop (fetch, JSON): the same service as the API's move action."""

    def post(self, request, pk):
        opportunity = self.record(KINDS["opportunities"], pk, "change")
        try:
            payload = json.loads(request.body or b"{}")
            stage = Stage.objects.get(pk=int(payload.get("stage")))
        except (ValueError, TypeError, Stage.DoesNotExist):
            return JsonResponse({"error": {"code": "VALIDATION_ERROR",
                                           "message": "Unknown stage."}}, status=400)  # fmt: skip
        try:
            opportunity = services.opportunity_move(
                opportunity=opportunity, stage=stage,
                lost_reason=str(payload.get("lost_reason") or ""),
            )  # fmt: skip
        except (DomainError, ValidationError) as error:
            return JsonResponse({"error": {"code": "CONFLICT", "message": str(error)}}, status=409)
        return JsonResponse({"id": opportunity.pk, "stage": stage.pk, "stage_name": stage.name})


class ListView(CrmPage):
    """A list with search (?q=), filters (the API's filtersets) and pagination."""

    def get(self, request, kind):
        kind = self.kind(kind)
        self.section = kind.key
        rows = kind.rows(request.user)
        query = request.GET.get("q", "").strip()
        if query:
            match = Q()
            for field in kind.search:
                match |= Q(**{f"{field}__icontains": query})
            rows = rows.filter(match)
        filterset = kind.filterset(request.GET, queryset=rows, request=request)
        rows = filterset.qs if filterset.is_valid() else rows.none()
        page = Paginator(rows, 25).get_page(request.GET.get("page"))
        params = {k: v for k, v in request.GET.items() if k != "page" and v}
        return self.render(
            "list.html", kind=kind, page=page, query=query, filterset=filterset,
            params=urlencode(params), owners=_crm_users(), stages=Stage.objects.all(),
            export_url=reverse("crm:export", args=[kind.key]) + (f"?{urlencode(params)}"
                                                                   if params else ""),
        )  # fmt: skip


class FormView(CrmPage):
    """Create (pk None) or edit a record through its service."""

    def get(self, request, kind, pk=None):
        kind = self.kind(kind)
        self.section = kind.key
        instance = self.record(kind, pk, "change") if pk else None
        initial = {key: value for key, value in request.GET.items() if key in
                   ("account", "contact", "stage")}  # fmt: skip
        if kind.key == "opportunities" and "stage" not in initial:
            initial["stage"] = Stage.objects.filter(kind=StageKind.OPEN).values_list(
                "pk", flat=True).first()  # fmt: skip
        form = kind.form(instance=instance, user=request.user, owners=_crm_users(),
                         initial=initial)  # fmt: skip
        return self.render("form.html", kind=kind, form=form, instance=instance)

    def post(self, request, kind, pk=None):
        kind = self.kind(kind)
        self.section = kind.key
        instance = self.record(kind, pk, "change") if pk else None
        form = kind.form(request.POST, instance=instance, user=request.user, owners=_crm_users())
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in
                    form.cleaned_data} if instance else dict(form.cleaned_data)  # fmt: skip
            owner = data.pop("owner", None)
            try:
                if (
                    owner
                    and owner != request.user
                    and not (
                        selectors.is_manager(request.user)
                        or (instance is not None and instance.owner_id == request.user.pk)
                    )
                ):
                    raise PermissionDenied("Only a CRM manager can give records to someone else.")
                if instance is None:
                    obj = kind.create(owner=owner or request.user, **_without_blank(data))
                    messages.success(request, f"{kind.singular.capitalize()} created.")
                else:
                    if owner:
                        data["owner"] = owner
                    obj = services.record_update(instance=instance, **data)
                    messages.success(request, "Saved.")
                return redirect("crm:detail", kind=kind.key, pk=obj.pk)
            except ValidationError as error:
                for field, errors in getattr(error, "message_dict", {}).items():
                    form.add_error(field if field in form.fields else None, errors)
            except DomainError as error:
                form.add_error(None, error.message)
        return self.render("form.html", status=400, kind=kind, form=form, instance=instance)


def _without_blank(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None and v != ""}


class DetailView(CrmPage):
    """A record with its facts, timeline, activities form, sharing and (accounts) ISP link."""

    def get(self, request, kind, pk):
        kind = self.kind(kind)
        self.section = kind.key
        obj = self.record(kind, pk)
        context = {"kind": kind, "obj": obj, "timeline": selectors.timeline(obj, request.user),
                   "activity_form": forms.ActivityForm(user=request.user, owners=_crm_users()),
                   "can_change": selectors.can(request.user, obj, "change"),
                   "can_delete": selectors.can(request.user, obj, "delete"),
                   "can_reassign": obj.owner_id == request.user.pk
                   or selectors.is_manager(request.user),
                   "shared_with": services.shared_with(obj), "owners": _crm_users()}  # fmt: skip
        if kind.key == "accounts":
            context.update(self.account_context(obj))
        elif kind.key == "leads":
            context["duplicates"] = selectors.lead_duplicates(obj)
        elif kind.key == "opportunities":
            context["stages"] = Stage.objects.all()
            context["history"] = obj.stage_changes.select_related("changed_by")
        return self.render(f"detail_{kind.key}.html", **context)

    def account_context(self, account) -> dict:
        user = self.request.user
        has_isp = entitlements_for(connection.schema_name).has_app("isp")
        directory = party_directory("isp") if has_isp else None
        query = self.request.GET.get("isp_q", "").strip()
        return {
            "contacts": selectors.contacts(user).filter(account=account),
            "opportunities": selectors.opportunities(user).filter(account=account),
            "isp_available": directory is not None,
            "isp_subscribed": has_isp,
            "isp_customer": directory.facts(account.isp_customer_ref)
            if directory and account.isp_customer_ref else None,
            "isp_query": query,
            "isp_results": directory.search(query) if directory and query else [],
        }  # fmt: skip


class DeleteView(CrmPage):
    def post(self, request, kind, pk):
        kind = self.kind(kind)
        obj = self.record(kind, pk, "delete")
        try:
            services.record_delete(instance=obj)
        except DomainError as error:
            self.fail(error)
            return redirect("crm:detail", kind=kind.key, pk=pk)
        messages.success(request, f"{kind.singular.capitalize()} deleted.")
        return redirect("crm:list", kind=kind.key)


class OwnershipView(CrmPage):
    """Reassign, share, unshare (POST `op`)."""

    def post(self, request, kind, pk):
        kind = self.kind(kind)
        obj = self.record(kind, pk, "change")
        op = request.POST.get("op")
        user = User.objects.filter(pk=request.POST.get("user") or 0, is_active=True).first()
        try:
            if user is None:
                raise ValidationError("Choose a user.")
            if op == "reassign":
                if not (obj.owner_id == request.user.pk or selectors.is_manager(request.user)):
                    raise PermissionDenied("Only the owner or a CRM manager can reassign.")
                services.record_reassign(obj=obj, owner=user,
                                         cascade=bool(request.POST.get("cascade")))  # fmt: skip
                messages.success(request, f"Now owned by {user.get_full_name() or user}.")
                if not selectors.visible(request.user, type(obj).objects.filter(pk=pk)).exists():
                    return redirect("crm:list", kind=kind.key)
            elif op == "share":
                services.record_share(obj=obj, user=user)
                messages.success(request, f"Shared with {user.get_full_name() or user}.")
            elif op == "unshare":
                services.record_unshare(obj=obj, user=user)
                messages.success(request, f"No longer shared with {user.get_full_name() or user}.")
            else:
                raise ValidationError("Unknown operation.")
        except (ValidationError, DomainError) as error:
            self.fail(error)
        return redirect("crm:detail", kind=kind.key, pk=pk)


class ActivityAddView(CrmPage):
    """Log a call, meeting, task or note on a record (its timeline)."""

    def post(self, request, kind, pk):
        kind = self.kind(kind)
        obj = self.record(kind, pk)
        form = forms.ActivityForm(request.POST, user=request.user, owners=_crm_users())
        if form.is_valid():
            data = _without_blank(dict(form.cleaned_data))
            owner = data.pop("owner", None) or request.user
            try:
                services.activity_create(owner=owner, **data, **{kind.model._meta.model_name: obj})
                messages.success(request, "Activity added.")
            except (ValidationError, DomainError) as error:
                self.fail(error)
        else:
            self.fail(ValidationError(form.errors))
        return redirect("crm:detail", kind=kind.key, pk=pk)


class TasksView(CrmPage):
    """My open tasks (and recently done), with a quick "done" button."""

    section = "tasks"

    def get(self, request):
        user = request.user
        now = timezone.now()
        tasks = list(selectors.open_tasks_of(user))
        done = selectors.activities(user).filter(owner=user, done=True).exclude(
            kind=ActivityKind.NOTE).order_by("-done_at")[:10]  # fmt: skip
        return self.render(
            "tasks.html", overdue=[t for t in tasks if t.due_at and t.due_at < now],
            upcoming=[t for t in tasks if not t.due_at or t.due_at >= now], done=done,
            form=forms.ActivityForm(user=user, owners=_crm_users(),
                                    initial={"kind": ActivityKind.TASK}),
        )  # fmt: skip

    def post(self, request):
        form = forms.ActivityForm(request.POST, user=request.user, owners=_crm_users())
        if form.is_valid():
            data = _without_blank(dict(form.cleaned_data))
            owner = data.pop("owner", None) or request.user
            try:
                services.activity_create(owner=owner, **data)
                messages.success(request, "Task added.")
            except (ValidationError, DomainError) as error:
                self.fail(error)
        else:
            self.fail(ValidationError(form.errors))
        return redirect("crm:tasks")


class ActivityDoneView(CrmPage):
    def post(self, request, pk):
        activity = selectors.activities(request.user).filter(pk=pk).first()
        if activity is None:
            raise Http404("No such activity.")
        if not selectors.can(request.user, activity, "change"):
            raise PermissionDenied("You may not change this activity.")
        services.activity_complete(activity=activity, done=request.POST.get("done", "1") == "1")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):  # fmt: skip
            target = reverse("crm:tasks")
        return redirect(target)


class ConvertView(CrmPage):
    """Lead conversion, with the duplicates it matches offered for merge."""

    section = "leads"

    def get(self, request, pk):
        lead = self.record(KINDS["leads"], pk, "change")
        duplicates = selectors.lead_duplicates(lead)
        form = forms.ConvertForm(user=request.user, initial={
            "opportunity_name": f"{lead.company or lead.full_name} deal",
            "account": duplicates.accounts[0].pk if duplicates.accounts else None,
            "contact": duplicates.contacts[0].pk if duplicates.contacts else None,
            "create_opportunity": True})  # fmt: skip
        return self.render("convert.html", lead=lead, form=form, duplicates=duplicates)

    def post(self, request, pk):
        lead = self.record(KINDS["leads"], pk, "change")
        duplicates = selectors.lead_duplicates(lead)
        form = forms.ConvertForm(request.POST, user=request.user)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v is not None}
            try:
                lead = services.lead_convert(lead=lead, actor=request.user, **data)
                messages.success(request, "Lead converted.")
                if lead.converted_opportunity_id:
                    return redirect("crm:detail", kind="opportunities",
                                    pk=lead.converted_opportunity_id)  # fmt: skip
                return redirect("crm:detail", kind="accounts", pk=lead.converted_account_id)
            except ValidationError as error:
                for field, errors in getattr(error, "message_dict", {}).items():
                    form.add_error(field if field in form.fields else None, errors)
            except DomainError as error:
                form.add_error(None, error.message)
        return self.render("convert.html", status=400, lead=lead, form=form,
                           duplicates=duplicates)  # fmt: skip


class PartyLinkView(CrmPage):
    """Link the account to an ISP customer (or unlink it)."""

    def post(self, request, pk):
        account = self.record(KINDS["accounts"], pk, "change")
        if not entitlements_for(connection.schema_name).has_app("isp"):
            raise PermissionDenied("This organisation does not subscribe to ISP Framework.")
        ref = request.POST.get("ref", "")
        directory = party_directory("isp")
        if ref and (directory is None or directory.facts(ref) is None):
            messages.error(request, "No such ISP customer.")
        else:
            services.account_link_party(account=account, app="isp", ref=ref)
            messages.success(request, "Linked to the ISP customer." if ref else "Unlinked.")
        return redirect("crm:detail", kind="accounts", pk=pk)


class ReportsView(CrmPage):
    """Pipeline value by stage, weighted forecast by month (Pro: crm.forecasting), win rate,
    lead conversion by source, each with a server-drawn chart."""

    section = "reports"

    def get(self, request):
        user = request.user
        pipeline = selectors.pipeline_by_stage(user)
        conversion = selectors.conversion_by_source(user)
        forecasting = entitlements_for(connection.schema_name).has_feature(FORECASTING)
        forecast = selectors.weighted_forecast(user) if forecasting else []
        return self.render(
            "reports.html",
            pipeline=pipeline,
            pipeline_chart=reports.bar_chart([(b.label, b.value, b.extra) for b in pipeline]),
            pipeline_total=sum((b.value for b in pipeline), 0),
            forecasting=forecasting,
            forecast=forecast,
            forecast_chart=reports.bar_chart([(b.label, b.value, b.extra) for b in forecast]),
            forecast_total=sum((b.value for b in forecast), 0),
            win=selectors.win_rate(user),
            conversion=conversion,
            conversion_chart=reports.bar_chart(
                [(r["label"], r["rate"], f"{r['converted']}/{r['total']}") for r in conversion],
                fmt="{:.1f}%",
                top=100,
            ),
        )


class ForecastView(CrmPage):
    """The forecast section alone (its own URL, so the plan gate is visible as a 403)."""

    section = "reports"

    def get(self, request):
        if not entitlements_for(connection.schema_name).has_feature(FORECASTING):
            return self.render("forecast_locked.html", status=403)
        forecast = selectors.weighted_forecast(request.user)
        return self.render(
            "forecast.html", forecast=forecast,
            forecast_chart=reports.bar_chart([(b.label, b.value, b.extra) for b in forecast]),
            forecast_total=sum((b.value for b in forecast), 0),
        )  # fmt: skip


class ImportView(CrmPage):
    """CSV import: upload → preview with each row's errors → confirm (all rows or none)."""

    section = "import"
    session_key = "crm_import"

    def get(self, request):
        return self.render("import.html", form=forms.CsvUploadForm(), columns=imports.COLUMNS)

    def post(self, request):
        if request.POST.get("confirm"):
            return self.confirm(request)
        form = forms.CsvUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render("import.html", status=400, form=form, columns=imports.COLUMNS)
        upload = form.cleaned_data["file"]
        try:
            text = upload.read(imports.IMPORT_MAX_BYTES + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
            return self.render("import.html", status=400, form=form, columns=imports.COLUMNS)
        kind = form.cleaned_data["kind"]
        result = imports.csv_check(kind=kind, text=text, importer=request.user)
        if result.ok:
            request.session[self.session_key] = {"kind": kind, "text": text}
        return self.render("import_preview.html", status=200 if result.ok else 400,
                           result=result, columns=imports.COLUMNS[kind])  # fmt: skip

    def confirm(self, request):
        pending = request.session.pop(self.session_key, None)
        if not pending:
            messages.error(request, "Nothing to import: upload the file again.")
            return redirect("crm:import")
        try:
            result = imports.csv_import(kind=pending["kind"], text=pending["text"],
                                        importer=request.user)  # fmt: skip
        except imports.ImportRejected as rejected:
            result = imports.csv_check(kind=pending["kind"], text=pending["text"],
                                       importer=request.user)  # fmt: skip
            messages.error(request, rejected.message)
            return self.render("import_preview.html", status=400, result=result,
                               rejected=rejected.details,
                               columns=imports.COLUMNS[pending["kind"]])  # fmt: skip
        messages.success(request, f"Imported {result.created} {pending['kind']}.")
        return redirect("crm:list", kind=pending["kind"])


class ExportView(CrmPage):
    """The list as CSV, with the list page's search and filters."""

    def get(self, request, kind):
        if kind not in imports.EXPORT_COLUMNS:
            raise Http404
        kind_ = self.kind(kind)
        rows = kind_.rows(request.user)
        filterset = kind_.filterset(request.GET, queryset=rows, request=request)
        rows = filterset.qs if filterset.is_valid() else rows.none()
        query = request.GET.get("q", "").strip()
        if query:
            match = Q()
            for field in kind_.search:
                match |= Q(**{f"{field}__icontains": query})
            rows = rows.filter(match)
        stamp = timezone.now().strftime("%Y%m%d")
        return HttpResponse(
            imports.csv_export(kind=kind, queryset=rows),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="crm-{kind}-{stamp}.csv"'},
        )
