"""Lists, forms and detail pages of accounts, contacts, leads and opportunities; sharing,
reassignment, activities, lead conversion and the ISP link."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse

from apps.core.exceptions import DomainError
from apps.core.parties import party_directory
from apps.crm import forms, selectors, services
from apps.crm.constants import StageKind
from apps.crm.models import Stage
from apps.crm.views.base import (
    KINDS,
    CrmPage,
    crm_owners,
    tenant_has_app,
    without_blank,
)
from apps.identity.models import User


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
            params=urlencode(params), owners=crm_owners(), stages=Stage.objects.all(),
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
        form = kind.form(instance=instance, user=request.user, owners=crm_owners(),
                         initial=initial)  # fmt: skip
        return self.render("form.html", kind=kind, form=form, instance=instance)

    def post(self, request, kind, pk=None):
        kind = self.kind(kind)
        self.section = kind.key
        instance = self.record(kind, pk, "change") if pk else None
        form = kind.form(request.POST, instance=instance, user=request.user, owners=crm_owners())
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
                    obj = kind.create(owner=owner or request.user, **without_blank(data))
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


class DetailView(CrmPage):
    """A record with its facts, timeline, activities form, sharing and (accounts) ISP link."""

    def get(self, request, kind, pk):
        kind = self.kind(kind)
        self.section = kind.key
        obj = self.record(kind, pk)
        context = {"kind": kind, "obj": obj, "timeline": selectors.timeline(obj, request.user),
                   "activity_form": forms.ActivityForm(user=request.user, owners=crm_owners()),
                   "can_change": selectors.can(request.user, obj, "change"),
                   "can_delete": selectors.can(request.user, obj, "delete"),
                   "can_reassign": obj.owner_id == request.user.pk
                   or selectors.is_manager(request.user),
                   "shared_with": services.shared_with(obj), "owners": crm_owners()}  # fmt: skip
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
        has_isp = tenant_has_app("isp")
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
        form = forms.ActivityForm(request.POST, user=request.user, owners=crm_owners())
        if form.is_valid():
            data = without_blank(dict(form.cleaned_data))
            owner = data.pop("owner", None) or request.user
            try:
                services.activity_create(owner=owner, **data, **{kind.model._meta.model_name: obj})
                messages.success(request, "Activity added.")
            except (ValidationError, DomainError) as error:
                self.fail(error)
        else:
            self.fail(ValidationError(form.errors))
        return redirect("crm:detail", kind=kind.key, pk=pk)


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
        if not tenant_has_app("isp"):
            raise PermissionDenied("This organisation does not subscribe to ISP Framework.")
        ref = request.POST.get("ref", "")
        try:
            services.account_link_party(account=account, app="isp", ref=ref)
            messages.success(request, "Linked to the ISP customer." if ref else "Unlinked.")
        except (ValidationError, DomainError) as error:
            self.fail(error)
        return redirect("crm:detail", kind="accounts", pk=pk)
