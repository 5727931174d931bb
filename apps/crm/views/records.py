"""Lists, forms, detail and delete pages of accounts, contacts, leads and opportunities;
sharing, reassignment, activities, lead conversion and links to other apps' records."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from apps.core.kit.declaration import declared_apps
from apps.core.kit.pages import ActionPage, DeletePage, DetailPage, FormPage, ListPage
from apps.core.kit.refusals import REFUSALS, form_refusal
from apps.core.parties import linked_parties, party_directory, party_link_of
from apps.crm import forms, selectors
from apps.crm.constants import APP_KEY, StageKind
from apps.crm.models import Stage
from apps.crm.services import delivery, leads, ownership, records
from apps.crm.views.base import KINDS, CrmPage, KindPage, crm_owners
from apps.identity.models import User
from apps.platform.licensing.entitlements import tenant_has_app


class ListView(KindPage, ListPage):
    """A list with search (?q=), filters (the API's filtersets) and pagination."""

    template_name = "crm/list.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.search_fields = self.record_kind.search
        self.filterset_class = self.record_kind.filterset

    def rows(self):
        return self.record_kind.rows()

    def list_context(self) -> dict:
        export = reverse("crm:export", args=[self.record_kind.key])
        query = self.request.GET.urlencode()
        return {
            "kind": self.record_kind, "owners": crm_owners(), "stages": Stage.objects.all(),
            "export_url": f"{export}?{query}" if query else export,
        }  # fmt: skip


class FormView(KindPage, FormPage):
    """Create (no pk) or edit a record through its service."""

    template_name = "crm/form.html"
    update_service = staticmethod(records.record_update)
    service_object = "instance"

    def instance(self):
        pk = self.kwargs.get("pk")
        return self.record(self.record_kind, pk, "change") if pk else None

    def create(self, data: dict):
        return self.record_kind.create(**data, actor=self.actor)

    def form_kwargs(self) -> dict:
        kwargs = {"user": self.request.user, "owners": crm_owners()}
        if self.request.method == "GET":
            initial = {key: value for key, value in self.request.GET.items()
                       if key in ("account", "contact", "stage")}  # fmt: skip
            if self.record_kind.key == "opportunities" and "stage" not in initial:
                initial["stage"] = Stage.objects.filter(kind=StageKind.OPEN).values_list(
                    "pk", flat=True).first()  # fmt: skip
            kwargs["initial"] = initial
        return kwargs

    def make_form(self, data=None, instance=None):
        return self.record_kind.form(data, instance=instance, **self.form_kwargs())

    @property
    def created_message(self) -> str:
        return f"{self.record_kind.singular.capitalize()} created."

    def saved(self, obj):
        return redirect("crm:detail", kind=self.record_kind.key, pk=obj.pk)

    def form_context(self, form, instance) -> dict:
        return {"kind": self.record_kind}


class DetailView(KindPage, DetailPage):
    """A record with its facts, timeline, activities form, sharing and (accounts) the records
    of other apps linked to it."""

    def object(self):
        return self.record(self.record_kind, self.kwargs["pk"])

    def detail_context(self, obj) -> dict:
        user, kind = self.request.user, self.record_kind
        context = {
            "kind": kind, "timeline": selectors.timeline(obj, user),
            "activity_form": forms.ActivityForm(user=user, owners=crm_owners()),
            "can_change": selectors.can(user, obj, "change"),
            "can_delete": selectors.can(user, obj, "delete"),
            "can_reassign": obj.owner_id == user.pk or selectors.is_manager(user),
            "shared_with": ownership.shared_with(obj), "owners": crm_owners(),
        }  # fmt: skip
        if kind.key == "accounts":
            context.update(contacts=selectors.contact_rows().filter(account=obj),
                           opportunities=selectors.opportunity_rows().filter(account=obj),
                           parties=self.parties(obj))  # fmt: skip
            context["contacts"] = self.restrict(context["contacts"], "view")
            context["opportunities"] = self.restrict(context["opportunities"], "view")
        elif kind.key == "leads":
            context["duplicates"] = selectors.lead_duplicates(obj)
        elif kind.key == "opportunities":
            context["stages"] = Stage.objects.all()
            context["history"] = obj.stage_changes.select_related("changed_by")
            context["projects"] = delivery.opportunity_projects(obj)
            won = obj.stage.kind == StageKind.WON and context["can_change"]
            context["project_templates"] = delivery.project_templates(user) if won else []
        return context

    def template_for(self) -> str:
        return f"crm/detail_{self.record_kind.key}.html"

    def get(self, request, *args, **kwargs):
        obj = self.object()
        return self.render(self.template_for(), obj=obj, **self.detail_context(obj))

    def parties(self, account) -> list[dict]:
        """For each other app that declares a party directory: the record linked to the
        account, and the candidates matching the search of its box (?party=<app>&party_q=)."""
        linked = {party.app: party for party in linked_parties(APP_KEY, account.pk)}
        searched_app = self.request.GET.get("party", "")
        query = self.request.GET.get("party_q", "").strip()
        boxes = []
        for declaration in declared_apps():
            app = declaration.key
            if app == APP_KEY or not declaration.party_directory:
                continue
            subscribed = tenant_has_app(app)
            directory = party_directory(app) if subscribed else None
            searching = directory is not None and app == searched_app and query
            boxes.append({
                "app": app, "name": declaration.name,
                "subscribed": subscribed, "available": directory is not None,
                "linked": linked.get(app), "ref": party_link_of(APP_KEY, account.pk, app),
                "query": query if app == searched_app else "",
                "results": directory.search(query) if searching else [],
            })  # fmt: skip
        return boxes


class DeleteView(KindPage, DeletePage):
    destroy_service = staticmethod(records.record_delete)
    service_object = "instance"

    def object(self):
        return self.record(self.record_kind, self.kwargs["pk"], "delete")

    def list_url(self, obj) -> str:
        return reverse("crm:list", args=[self.record_kind.key])

    def object_url(self, obj) -> str:
        return reverse("crm:detail", args=[self.record_kind.key, obj.pk])


class RecordAction(KindPage, ActionPage):
    """A button on a record's page (POST), back to the record."""

    needs = "change"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.moved_away = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.method == "POST":
            self.obj = self.record(self.record_kind, kwargs["pk"], self.needs)
        return super().dispatch(request, *args, **kwargs)

    def done(self):
        if self.moved_away:
            return redirect("crm:list", kind=self.record_kind.key)
        return redirect("crm:detail", kind=self.record_kind.key, pk=self.obj.pk)


class OwnershipView(RecordAction):
    """Reassign, share, unshare (POST `op`)."""

    def act(self) -> str:
        request, obj = self.request, self.obj
        user = User.objects.filter(pk=request.POST.get("user") or 0, is_active=True).first()
        if user is None:
            raise ValidationError("Choose a user.")
        name = user.get_full_name() or user.get_username()
        op = request.POST.get("op")
        if op == "reassign":
            ownership.record_reassign(obj=obj, owner=user, actor=self.actor,
                                      cascade=bool(request.POST.get("cascade")))  # fmt: skip
            self.moved_away = not selectors.can(request.user, obj, "view")
            return f"Now owned by {name}."
        if op == "share":
            ownership.record_share(obj=obj, user=user, actor=self.actor)
            return f"Shared with {name}."
        if op == "unshare":
            ownership.record_unshare(obj=obj, user=user, actor=self.actor)
            return f"No longer shared with {name}."
        raise ValidationError("Unknown operation.")


class ActivityAddView(RecordAction):
    """Log a call, meeting, task or note on a record (its timeline). Anyone who sees the
    record may; giving the activity to someone else is the CRM's ownership rule."""

    needs = "view"

    def act(self) -> str:
        form = forms.ActivityForm(self.request.POST, user=self.request.user, owners=crm_owners())
        if not form.is_valid():
            raise ValidationError(form.errors)
        data = {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}
        records.activity_create(actor=self.actor, **data,
                                **{self.record_kind.model._meta.model_name: self.obj})  # fmt: skip
        return "Activity added."


class PartyLinkView(RecordAction):
    """Link the account to a record of another app of the organisation (or unlink it)."""

    def act(self) -> str:
        app, ref = self.request.POST.get("app", ""), self.request.POST.get("ref", "")
        if not tenant_has_app(app):
            raise PermissionDenied("This organisation does not subscribe to that app.")
        records.account_link_party(account=self.obj, app=app, ref=ref, actor=self.actor)
        return "Linked." if ref else "Unlinked."


class StartProjectView(RecordAction):
    """A won opportunity starts a project from a template (Project Management licensed)."""

    def act(self) -> str:
        if self.record_kind.key != "opportunities":
            raise Http404
        facts = delivery.opportunity_start_project(
            opportunity=self.obj, template=self.request.POST.get("template", ""),
            name=self.request.POST.get("name", "").strip(), actor=self.actor,
        )  # fmt: skip
        return f"Project “{facts.name}” started."


class ConvertView(CrmPage):
    """Lead conversion, with the duplicates it matches offered for merge."""

    section = "leads"

    def lead(self):
        return self.record(KINDS["leads"], self.kwargs["pk"], "change")

    def get(self, request, pk):
        lead = self.lead()
        duplicates = selectors.lead_duplicates(lead)
        form = forms.ConvertForm(user=request.user, initial={
            "opportunity_name": f"{lead.company or lead.full_name} deal",
            "account": duplicates.accounts[0].pk if duplicates.accounts else None,
            "contact": duplicates.contacts[0].pk if duplicates.contacts else None,
            "create_opportunity": True})  # fmt: skip
        return self.render("crm/convert.html", lead=lead, form=form, duplicates=duplicates)

    def post(self, request, pk):
        lead = self.lead()
        form = forms.ConvertForm(request.POST, user=request.user)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if v is not None}
            try:
                lead = leads.lead_convert(lead=lead, actor=self.actor, **data)
            except REFUSALS as error:
                form_refusal(form, error)
            else:
                messages.success(request, "Lead converted.")
                if lead.converted_opportunity_id:
                    return redirect("crm:detail", kind="opportunities",
                                    pk=lead.converted_opportunity_id)  # fmt: skip
                return redirect("crm:detail", kind="accounts", pk=lead.converted_account_id)
        return self.render("crm/convert.html", status=400, lead=lead, form=form,
                           duplicates=selectors.lead_duplicates(lead))  # fmt: skip
