"""Support pages: the staff queue (/isp/tickets/: the API's filters, saved views), a ticket's
page (replies and notes, assign, wait, resolve, reopen, merge, attach), a new ticket; and the
customer's own tickets in the portal (/portal/tickets/: internal notes never shown). Writes go
through services/support.py."""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse

from apps.core.kit.pages import ActionPage, DetailPage, FormPage, ListPage
from apps.core.kit.refusals import REFUSALS
from apps.isp.api.filters import TicketFilter
from apps.isp.forms import PortalTicketForm, ReplyForm, TicketForm
from apps.isp.models import SavedTicketView, SupportTeam, Ticket, TicketAttachment, TicketReply
from apps.isp.selectors import support as queries
from apps.isp.services import support
from apps.isp.views.base import IspPage, PortalPage

ACTIONS = ("reply", "assign", "resolve", "reopen", "merge", "attach", "status")


class TicketQueue(IspPage, ListPage):
    """The queue: filters (status, priority, team, assignee, mine, breached, open), search,
    the agent's saved views; a constant number of queries whatever the number of tickets."""

    template_name = "isp/support/queue.html"
    section = "tickets"
    search_fields = ("subject",)
    filterset_class = TicketFilter
    ignore_invalid_filters = True

    def rows(self):
        return queries.ticket_queue()

    def list_context(self) -> dict:
        return {
            "statuses": Ticket.Status.choices,
            "priorities": Ticket.Priority.choices,
            "teams": list(SupportTeam.objects.order_by("name")),
            "views": list(queries.saved_views_of(self.request.user)),
        }


class SavedViewCreate(IspPage, ActionPage):
    def act(self) -> str:
        name = self.request.POST.get("name", "").strip()[:80]
        if not name:
            raise ValidationError({"name": "Name the view."})
        query = self.request.POST.get("query", "")[:500]
        shared = self.request.POST.get("shared") == "on"
        support.saved_view_create(owner=self.request.user, name=name, query=query,
                                  shared=shared, actor=self.actor)  # fmt: skip
        return f"View “{name}” saved."

    def done(self):
        return redirect("isp:tickets")


class SavedViewDelete(IspPage, ActionPage):
    def act(self) -> str:
        view = self.get_row(SavedTicketView.objects.filter(owner_id=self.request.user.pk),
                            self.kwargs["pk"])  # fmt: skip
        support.saved_view_delete(view=view, actor=self.actor)
        return "View deleted."

    def done(self):
        return redirect("isp:tickets")


class TicketCreate(IspPage, FormPage):
    template_name = "isp/support/form.html"
    section = "tickets"
    form_class = TicketForm
    create_service = staticmethod(support.ticket_open)
    created_message = "Ticket opened."

    def make_form(self, data=None, instance=None):
        initial = {"customer": self.request.GET.get("customer")} if data is None else None
        return self.form_class(data, initial=initial)

    def saved(self, obj):
        return redirect("isp:ticket-detail", obj.pk)


class TicketPage(IspPage):
    section = "tickets"

    @cached_property
    def ticket(self) -> Ticket:
        queryset = Ticket.objects.select_related(
            "customer", "service", "device", "team", "assignee", "sla_policy", "merged_into"
        )
        return self.get_row(queryset, self.kwargs["pk"])


class TicketDetail(TicketPage, DetailPage):
    template_name = "isp/support/detail.html"

    def object(self):
        return self.ticket

    def detail_context(self, ticket) -> dict:
        return {
            "ticket": ticket,
            "replies": list(ticket.replies.select_related("author")),
            "attachments": list(ticket.attachments.all()),
            "work_orders": list(ticket.work_orders.select_related("technician")),
            "teams": list(SupportTeam.objects.order_by("name")),
            "agents": list(queries.agents()),
            "form": ReplyForm(),
        }


class TicketAction(TicketPage, ActionPage):
    """The buttons and forms of a ticket's page, one service each."""

    def post(self, request, *args, **kwargs):
        if self.kwargs["action"] not in ACTIONS:
            raise Http404("No such action.")
        return super().post(request, *args, **kwargs)

    def act(self) -> str:
        ticket, post, actor = self.ticket, self.request.POST, self.actor
        action = self.kwargs["action"]
        if action == "reply":
            form = ReplyForm(post)
            data = self.valid(form, "The reply was not sent", why=True)
            wait = "waiting" if data["waiting"] else None
            support.ticket_reply(ticket=ticket, body=data["body"], internal=data["internal"],
                                 status=wait, actor=actor)  # fmt: skip
            return "Note added." if data["internal"] else "Reply sent."
        if action == "assign":
            team = _row_or_none(SupportTeam.objects.all(), post.get("team"), "team")
            assignee = _row_or_none(queries.agents(), post.get("assignee"), "assignee")
            support.ticket_assign(ticket=ticket, team=team, assignee=assignee, actor=actor)
            return "Assigned."
        if action == "resolve":
            support.ticket_resolve(ticket=ticket, note=post.get("note", "")[:20_000], actor=actor)
            return "Resolved."
        if action == "reopen":
            support.ticket_reopen(ticket=ticket, actor=actor)
            return "Reopened."
        if action == "status":
            support.ticket_set_status(ticket=ticket, status=post.get("status", ""), actor=actor)
            return "Status changed."
        if action == "merge":
            into = _row_or_none(Ticket.objects.all(), post.get("into"), "into")
            if into is None:
                raise ValidationError({"into": "Give the number of the ticket it duplicates."})
            support.ticket_merge(ticket=ticket, into=into, actor=actor)
            return f"Merged into #{into.pk}."
        file = self.request.FILES.get("file")
        if file is None:
            raise ValidationError({"file": "Choose a file."})
        support.attachment_add(ticket=ticket, file=file, internal=post.get("internal") == "on",
                               actor=actor)  # fmt: skip
        return "File attached."

    def done(self):
        return redirect("isp:ticket-detail", self.ticket.pk)


def _row_or_none(queryset, value, field: str):
    if value in (None, ""):
        return None
    if not str(value).isdigit():
        raise ValidationError({field: "Choose one from the list."})
    row = queryset.filter(pk=int(value)).first()
    if row is None:
        raise ValidationError({field: "Choose one from the list."})
    return row


class AttachmentDownload(TicketPage):
    def get(self, request, pk, attachment_pk):
        attachment = self.ticket.attachments.filter(pk=attachment_pk).first()
        if attachment is None:
            raise Http404("No such file.")
        return _file(attachment)


def _file(attachment: TicketAttachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=True, filename=attachment.name)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the portal ----------------------------------------------------------------------------------


class PortalTicketList(PortalPage, ListPage):
    template_name = "portal/tickets.html"
    section = "tickets"

    def rows(self):
        return Ticket.objects.order_by("-created_at", "-id")


class PortalTicketCreate(PortalPage, FormPage):
    template_name = "portal/ticket_form.html"
    section = "tickets"
    form_class = PortalTicketForm
    created_message = "Thank you: we received your request."

    def create(self, data: dict):
        return support.ticket_open(customer=self.customer, source=Ticket.Source.PORTAL,
                                   actor=self.actor, **data)  # fmt: skip

    def saved(self, obj):
        return redirect("portal:ticket-detail", obj.pk)


class PortalTicketPage(PortalPage):
    section = "tickets"

    @cached_property
    def ticket(self) -> Ticket:
        return self.get_row(Ticket.objects.all(), self.kwargs["pk"])


class PortalTicketDetail(PortalTicketPage, DetailPage):
    template_name = "portal/ticket_detail.html"

    def object(self):
        return self.ticket

    def detail_context(self, ticket) -> dict:
        return {
            "ticket": ticket,
            "replies": list(TicketReply.objects.filter(ticket=ticket, internal=False)),
            "attachments": list(ticket.attachments.filter(internal=False)),
        }


class PortalTicketReply(PortalTicketPage):
    http_method_names = ["post"]

    def post(self, request, pk):
        body = request.POST.get("body", "")[:20_000]
        try:
            support.ticket_reply(ticket=self.ticket, body=body, from_customer=True,
                                 actor=self.actor)  # fmt: skip
        except REFUSALS as error:
            self.refuse(error)
        else:
            messages.success(request, "Reply sent.")
        return redirect(reverse("portal:ticket-detail", args=[self.ticket.pk]))


class PortalAttachmentDownload(PortalTicketPage):
    def get(self, request, pk, attachment_pk):
        attachment = self.ticket.attachments.filter(pk=attachment_pk, internal=False).first()
        if attachment is None:
            raise Http404("No such file.")
        return _file(attachment)
