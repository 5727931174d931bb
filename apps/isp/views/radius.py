"""The staff page of unconfirmed network changes (/isp/network/radius/changes/): the changes of
authorization (CoA / Disconnect) still waiting for an attempt or never confirmed by their NAS,
with a Retry button for the failed ones. Reads through the API's filter, retries through the
CoA service (apps.isp.services.coa)."""

from django.urls import reverse

from apps.core.kit.pages import ActionPage, ListPage
from apps.isp.api.radius_changes import AuthorizationChangeFilter
from apps.isp.models import AuthorizationChange, Service
from apps.isp.services import coa
from apps.isp.views.network import NetworkPage

#: What the page lists: not (yet) confirmed by the NAS.
UNCONFIRMED = (AuthorizationChange.Status.PENDING, AuthorizationChange.Status.FAILED)


class ChangeList(NetworkPage, ListPage):
    template_name = "isp/network/radius_changes.html"
    search_fields = ("service__customer__name", "session__username", "session__session_id")
    filterset_class = AuthorizationChangeFilter
    ignore_invalid_filters = True
    page_size = 50

    def rows(self):
        return (
            AuthorizationChange.objects.filter(status__in=UNCONFIRMED)
            .select_related("service__customer", "service__plan", "session__nas")
            .order_by("-created_at", "-pk")
        )

    def list_context(self) -> dict:
        statuses = [(value, label) for value, label in AuthorizationChange.Status.choices
                    if value in UNCONFIRMED]  # fmt: skip
        return {"statuses": statuses, "radius_licensed": coa.radius_licensed()}


class ChangeRetry(NetworkPage, ActionPage):
    """Send a failed change again: it needs the change permission on the change's service."""

    def act(self) -> str:
        change = self.get_row(
            AuthorizationChange.objects.select_related("service__customer"), self.kwargs["pk"]
        )
        self.get_row(Service.objects.all(), change.service_id, "change")
        coa.change_retry(change=change, actor=self.actor)
        return f"{change.get_action_display()} for {change.service.customer.name} sent again."

    def done(self):
        return self.back(reverse("isp:radius-changes"))
