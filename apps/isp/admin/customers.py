"""Customer accounts, their contacts and timeline."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.core.admin_actions import run_for_each
from apps.core.exceptions import LimitExceededError
from apps.core.kit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceInline
from apps.isp.admin.common import money
from apps.isp.models import Customer, CustomerContact, Invoice, Service, TimelineEvent
from apps.isp.services import customers
from apps.platform.licensing.guards import within_limit


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [*customers.EDITABLE_FIELDS, "status", "user"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            # Refuse past the plan's limit here, with the form kept; customer_create checks
            # again under the lock when saving.
            try:
                with within_limit("isp.max_customers"):
                    pass
            except LimitExceededError as error:
                raise forms.ValidationError(
                    f"{error.message} Close an account or upgrade the ISP plan to add one."
                ) from error
        return cleaned


class ContactInline(ServiceInline):
    model = CustomerContact
    extra = 0
    fields = ["name", "role", "email", "phone"]
    create_service = staticmethod(customers.contact_create)
    update_service = staticmethod(customers.contact_update)
    destroy_service = staticmethod(customers.contact_delete)
    service_object = "contact"


class ServiceInline(ReadOnlyInline):
    model = Service
    fields = ["plan", "status", "activated_on", "terminated_on", "billed_until"]
    show_change_link = True


class InvoiceInline(ReadOnlyInline):
    model = Invoice
    fields = ["number", "issue_date", "due_date", "total", "amount_due", "status"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    form = CustomerForm
    list_display = [
        "account_number",
        "name",
        "kind",
        "status",
        "email",
        "balance_shown",
        "created_at",
    ]
    list_filter = ["status", "kind", "billing_day"]
    search_fields = ["account_number", "name", "email", "phone", "company_registration"]
    list_select_related = ["user"]
    readonly_fields = [
        "account_number",
        "balance_shown",
        "recent_timeline",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "account_number",
                    "kind",
                    "name",
                    "company_registration",
                    "status",
                    "balance_shown",
                    "billing_day",
                    "user",
                ]
            },
        ),
        ("Contact", {"fields": ["email", "phone"]}),
        (
            "Service address",
            {"fields": ["service_street", "service_city", "service_postcode", "service_country"]},
        ),
        (
            "Billing address",
            {"fields": ["billing_street", "billing_city", "billing_postcode", "billing_country"]},
        ),
        (
            "Notes and history",
            {"fields": ["notes", "recent_timeline", "created_at", "updated_at"]},
        ),
    ]
    inlines = [ContactInline, ServiceInline, InvoiceInline]
    actions = ["close_accounts"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new account: numbered, a prospect, nothing owed yet
            return [
                (
                    None,
                    {
                        "fields": [
                            "kind",
                            "name",
                            "company_registration",
                            "email",
                            "phone",
                            "billing_day",
                            "user",
                        ]
                    },
                ),
                *self.fieldsets[2:4],
                ("Notes", {"fields": ["notes"]}),
            ]
        return self.fieldsets

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="balance", ordering="balance")
    def balance_shown(self, customer):
        return money(customer.balance)

    @admin.display(description="timeline (latest 20)")
    def recent_timeline(self, customer):
        events = customer.timeline.all()[:20]
        if not events:
            return "—"
        return format_html(
            "<ul class='dm-timeline'>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · {}</li>",
                (
                    (f"{e.created_at:%Y-%m-%d %H:%M}", e.actor or "system", e.message)
                    for e in events
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        """Through the customer services (they audit and record the timeline): the details,
        the portal user and the status each by its own."""
        data, actor = form.cleaned_data, request.user
        if not change:
            fields = {name: data[name] for name in customers.EDITABLE_FIELDS if name in data}
            created = customers.customer_create(user=data.get("user"), actor=actor, **fields)
            obj.pk, obj.account_number, obj._state.adding = (
                created.pk,
                created.account_number,
                False,
            )
            return
        stored = self._stored(obj)
        changed = [name for name in form.changed_data if name in customers.EDITABLE_FIELDS]
        if changed:
            stored = customers.customer_update(
                customer=stored, actor=actor, **{name: data[name] for name in changed}
            )
        if "user" in form.changed_data:
            stored = customers.customer_link_user(
                customer=stored, user=data.get("user"), actor=actor
            )
        if "status" in form.changed_data:
            customers.customer_set_status(customer=stored, status=data["status"], actor=actor)

    def has_delete_permission(self, request, obj=None):
        # Only an account opened by mistake is deleted; the others are closed (their history
        # is kept): see services.customers.customer_erase.
        if obj is not None and not customers.customer_erasable(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """An erasable account takes its contacts and timeline with it: no separate
        permission is needed for those (the timeline is otherwise read-only)."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    destroy_service = staticmethod(customers.customer_erase)

    @admin.action(description="Close the selected accounts")
    def close_accounts(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: customers.customer_set_status(
                customer=c, status=Customer.Status.CLOSED, actor=request.user
            ),
            done="{} closed.",
            doing="close",
        )


@admin.register(CustomerContact)
class CustomerContactAdmin(ServiceAdmin):
    list_display = ["name", "role", "email", "phone", "customer"]
    list_filter = ["role"]
    search_fields = ["name", "email", "phone", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    create_service = staticmethod(customers.contact_create)
    update_service = staticmethod(customers.contact_update)
    destroy_service = staticmethod(customers.contact_delete)
    service_object = "contact"


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "kind", "message", "actor"]
    list_filter = ["kind"]
    search_fields = ["message", "customer__name", "customer__account_number", "actor"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
