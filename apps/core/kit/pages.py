"""The page kit: the server-rendered pages of every app, built the same way and drawn in the one
shell (templates/shell.html: app switcher, the area's tabs, user menu, footer).

    class PlanList(ListPage):
        template_name = "isp/plans.html"
        section = "plans"                      # the shell's current tab
        search_fields = ("name", "code")       # ?q=
        filterset_class = filters.PlanFilter   # the API's filters, on the page too

        def rows(self):
            return selectors.plan_list()

- Every page reads through `restrict(queryset, action)` (the API kit's hook: what the user may
  not see is a 404, what they see but may not change a 403) and writes through the app's
  services with the signed-in user as the actor.
- A service's refusal is shown the same way everywhere (apps.core.kit.refusals): on a form, on
  its fields; elsewhere, as the page's message. Nothing is written.
- Pages answer 400 when what was posted is refused, so that tests and tools see it (a form page
  may name another status for a refusal: `refused_status`, e.g. 403 for a plan's limit).
"""

from copy import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from apps.core.kit import organisation
from apps.core.kit.refusals import REFUSALS, form_refusal, page_refusal

__all__ = ["ActionPage", "DeletePage", "DetailPage", "FormPage", "ListPage", "Page"]

PAGE_SIZE = 25


class Page(LoginRequiredMixin, View):
    """A signed-in page of an app area (the area middleware has checked licence and roles)."""

    login_url = "/login/"
    #: The shell's current tab (an Area's Tab.section).
    section = ""
    template_name = ""

    # --- reading -------------------------------------------------------------------------------

    def restrict(self, queryset, action: str):
        """The rows the signed-in user may `action` ("view", "change", "delete")."""
        return queryset

    def get_row(self, queryset, pk, action: str = "view"):
        """One row the user may see (404 otherwise, like one that never existed) and, for
        another action, may do it to (403 otherwise)."""
        obj = self.restrict(queryset, "view").filter(pk=pk).first()
        if obj is None:
            raise Http404(f"No such {queryset.model._meta.verbose_name}.")
        if action != "view" and not self.restrict(queryset.filter(pk=pk), action).exists():
            raise PermissionDenied(
                f"You may not {action} this {queryset.model._meta.verbose_name}."
            )
        return obj

    # --- drawing -------------------------------------------------------------------------------

    def page_context(self) -> dict:
        """What every page of the app shows (the app's pages override and extend it)."""
        return {}

    def render(self, template: str | None = None, status: int = 200, **context):
        base = {"section": self.section, "currency": organisation.currency()}
        return render(
            self.request,
            template or self.template_name,
            {**base, **self.page_context(), **context},
            status=status,
        )

    # --- writing -------------------------------------------------------------------------------

    @property
    def actor(self):
        return self.request.user

    def refuse(self, error: Exception) -> None:
        page_refusal(self.request, error)

    def back(self, default: str):
        """Back to a `next` page of this site that the form named, else to `default`."""
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            target = default
        return redirect(target)


class ListPage(Page):
    """Rows with search (?q= over `search_fields`), the API's filters and pagination."""

    search_fields: tuple[str, ...] = ()
    filterset_class = None
    #: A filter value the filterset refuses (an unknown status) empties the list; with this,
    #: it is no filter at all and the valid filters still apply.
    ignore_invalid_filters = False
    page_size = PAGE_SIZE

    def rows(self):
        raise NotImplementedError

    def listed(self):
        """The rows as listed: visible, searched, filtered (what an export writes, too)."""
        rows = self.restrict(self.rows(), "view")
        query = self.request.GET.get("q", "").strip()
        if query and self.search_fields:
            match = Q()
            for field in self.search_fields:
                match |= Q(**{f"{field}__icontains": query})
            rows = rows.filter(match)
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET, queryset=rows,
                                                  request=self.request)  # fmt: skip
            valid = self.filterset.is_valid() or self.ignore_invalid_filters
            rows = self.filterset.qs if valid else rows.none()
        return rows

    def list_context(self) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        rows = self.listed()
        page = Paginator(rows, self.page_size).get_page(request.GET.get("page"))
        params = {key: value for key, value in request.GET.items() if key != "page" and value}
        return self.render(
            page=page,
            query=request.GET.get("q", "").strip(),
            filterset=self.filterset,
            params=urlencode(params),
            **self.list_context(),
        )


class DetailPage(Page):
    def object(self):
        raise NotImplementedError

    def detail_context(self, obj) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        obj = self.object()
        return self.render(obj=obj, **self.detail_context(obj))


class FormPage(Page):
    """A create (no object) or edit form whose valid data goes to the app's service:

    create_service(**cleaned, actor=)          # blank fields left out
    update_service(<object>=obj, **changed, actor=)
    """

    form_class = None
    create_service = None
    update_service = None
    service_object: str | None = None
    #: The flash message after a successful save.
    created_message = "Created."
    saved_message = "Saved."

    def instance(self):
        """The object edited (None: a create)."""
        return

    def form_kwargs(self) -> dict:
        return {}

    def make_form(self, data=None, instance=None):
        kwargs = self.form_kwargs()
        if instance is not None:
            kwargs["instance"] = instance
        return self.form_class(data, **kwargs)

    def create(self, data: dict):
        return type(self).create_service(**data, actor=self.actor)

    def update(self, instance, data: dict):
        keyword = self.service_object or type(instance)._meta.model_name
        return type(self).update_service(**{keyword: instance}, **data, actor=self.actor)

    def cleaned_for_create(self, form) -> dict:
        return {k: v for k, v in form.cleaned_data.items() if v is not None and v != ""}

    def cleaned_for_update(self, form) -> dict:
        return {name: form.cleaned_data[name] for name in form.changed_data
                if name in form.cleaned_data}  # fmt: skip

    def saved(self, obj):
        """Where to go after a save (the object's page)."""
        raise NotImplementedError

    def form_context(self, form, instance) -> dict:
        return {}

    def refused_status(self, error: Exception) -> int:
        """The status of the form a service refused (a page may answer 403 for a plan's
        limit, 402 for a declined card)."""
        return 400

    def show(self, form, instance, status: int = 200):
        return self.render(status=status, form=form, instance=instance,
                           **self.form_context(form, instance))  # fmt: skip

    def get(self, request, *args, **kwargs):
        instance = self.instance()
        return self.show(self.make_form(instance=instance), instance)

    def post(self, request, *args, **kwargs):
        instance = self.instance()
        # The form works on a copy: a model form sets what was posted on its instance, and the
        # update service must see the row as it is to know what changes.
        form = self.make_form(request.POST, instance=None if instance is None else copy(instance))
        if not form.is_valid():
            return self.show(form, instance, status=400)
        try:
            if instance is None:
                obj = self.create(self.cleaned_for_create(form))
                messages.success(request, self.created_message)
            else:
                obj = self.update(instance, self.cleaned_for_update(form))
                messages.success(request, self.saved_message)
        except REFUSALS as error:
            form_refusal(form, error)
            return self.show(form, instance, status=self.refused_status(error))
        return self.saved(obj)


class DeletePage(Page):
    """GET: "delete this?"; POST: the app's delete service. A refusal (the object is still in
    use) goes back to the object with the reason."""

    template_name = "confirm_delete.html"
    destroy_service = None
    service_object: str | None = None

    def object(self):
        raise NotImplementedError

    def list_url(self, obj) -> str:
        """Where to go once deleted."""
        raise NotImplementedError

    def object_url(self, obj) -> str:
        """The object's page: Cancel, and where a refused delete goes back to."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        obj = self.object()
        return self.render(obj=obj, kind=obj._meta.verbose_name, back_url=self.object_url(obj))

    def post(self, request, *args, **kwargs):
        obj = self.object()
        keyword = self.service_object or type(obj)._meta.model_name
        name = f"{obj._meta.verbose_name} {obj}"
        try:
            type(self).destroy_service(**{keyword: obj}, actor=self.actor)
        except REFUSALS as error:
            self.refuse(error)
            return redirect(self.object_url(obj))
        messages.success(request, f"{name[:1].upper()}{name[1:]} deleted.")
        return redirect(self.list_url(obj))


class ActionPage(Page):
    """A button's POST that runs one service and goes back: `act()` answers the success
    message; a refusal becomes the error message."""

    http_method_names = ["post"]

    def act(self) -> str:
        raise NotImplementedError

    def done(self):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            message = self.act()
        except REFUSALS as error:
            self.refuse(error)
        else:
            if message:
                messages.success(request, message)
        return self.done()
