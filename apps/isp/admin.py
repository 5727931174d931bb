"""The tenant admin's ISP section (/admin/isp/...): accounts, plans, services here; invoices,
credit notes, payments, billing runs, settings and dunning in apps/isp/admin_billing.py.

Writes go through the services, as on the API and the pages: an account is opened with
customer_create (within `isp.max_customers`, a clear message and nothing written past it), a
service is ordered, activated, suspended, restored and terminated by the lifecycle services,
a billing run is requested with billing_run_request. Balances, numbers and billing dates are
kept by the billing engine and read-only here; invoices, credit notes and payments are never
edited (credit notes and refunds correct them). Every change is audited (AuditedAdmin, or the
service). The licence filter of the admin site hides all of it from a tenant without ISP.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from apps.core.admin_actions import error_text, run_for_each
from apps.core.admin_audit import AuditedAdmin
from apps.core.exceptions import DomainError, LimitExceededError
from apps.isp.admin_common import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    back_to_change_page,
    money,
)
from apps.isp.models import (
    Customer,
    CustomerContact,
    Invoice,
    Service,
    ServicePlan,
    ServicePlanChange,
    TaxClass,
    TimelineEvent,
)
from apps.isp.services import customers, plans, subscriptions
from apps.isp.services.customers import (
    customer_erasable,
    customer_erase,
    customer_set_status,
)
from apps.platform.licensing.guards import within_limit

# --- Customers ---------------------------------------------------------------------------------


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


class ContactInline(admin.TabularInline):
    """Saved through the contact services (CustomerAdmin.save_formset)."""

    model = CustomerContact
    extra = 0
    fields = ["name", "role", "email", "phone"]


class ServiceInline(ReadOnlyInline):
    model = Service
    fields = ["plan", "status", "activated_on", "terminated_on", "billed_until"]
    show_change_link = True


class InvoiceInline(ReadOnlyInline):
    model = Invoice
    fields = ["number", "issue_date", "due_date", "total", "amount_due", "status"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
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
        """Through the customer services (they audit and record the timeline)."""
        data = form.cleaned_data
        if not change:
            fields = {name: data[name] for name in customers.EDITABLE_FIELDS if name in data}
            created = customers.customer_create(user=data.get("user"), **fields)
            obj.pk, obj.account_number, obj._state.adding = (
                created.pk,
                created.account_number,
                False,
            )
            return
        stored = Customer.objects.get(pk=obj.pk)
        changed = [name for name in form.changed_data if name in customers.EDITABLE_FIELDS]
        if changed:
            stored = customers.customer_update(
                customer=stored, **{name: data[name] for name in changed}
            )
        if "user" in form.changed_data:
            stored = customers.customer_link_user(customer=stored, user=data.get("user"))
        if "status" in form.changed_data:
            customer_set_status(customer=stored, status=data["status"])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:  # e.g. the limit reached meanwhile
            self.message_user(request, f"Not saved: {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_formset(self, request, form, formset, change):
        if formset.model is not CustomerContact:
            return super().save_formset(request, form, formset, change)
        customer = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.forms:
            contact = inline.instance
            if inline in formset.deleted_forms:
                if contact.pk is not None:
                    customers.contact_delete(contact=CustomerContact.objects.get(pk=contact.pk))
                    formset.deleted_objects.append(contact)
            elif contact.pk is None:
                if inline.has_changed():
                    fields = {name: inline.cleaned_data[name] for name in ContactInline.fields}
                    created = customers.contact_create(customer=customer, **fields)
                    formset.new_objects.append(created)
            elif inline.has_changed():
                updated = customers.contact_update(
                    contact=CustomerContact.objects.get(pk=contact.pk),
                    **{name: inline.cleaned_data[name] for name in inline.changed_data},
                )
                formset.changed_objects.append((updated, inline.changed_data))
        return None

    def has_delete_permission(self, request, obj=None):
        # Only an account opened by mistake is deleted; the others are closed (their history
        # is kept): see services.customers.customer_erase.
        if obj is not None and not customer_erasable(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """An erasable account takes its contacts and timeline with it: no separate
        permission is needed for those (the timeline is otherwise read-only)."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj):
        customer_erase(customer=obj)

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            try:
                customer_erase(customer=customer)
            except DomainError as error:
                self.message_user(request, error_text(error), messages.ERROR)

    @admin.action(description="Close the selected accounts")
    def close_accounts(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda c: customer_set_status(customer=c, status=Customer.Status.CLOSED),
            done="{} closed.",
            doing="close",
        )


@admin.register(CustomerContact)
class CustomerContactAdmin(AuditedAdmin):
    list_display = ["name", "role", "email", "phone", "customer"]
    list_filter = ["role"]
    search_fields = ["name", "email", "phone", "customer__name", "customer__account_number"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ["name", "role", "email", "phone"]}
        if change:
            customers.contact_update(contact=CustomerContact.objects.get(pk=obj.pk), **data)
        else:
            created = customers.contact_create(customer=form.cleaned_data["customer"], **data)
            obj.pk, obj._state.adding = created.pk, False

    def delete_model(self, request, obj):
        customers.contact_delete(contact=obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            customers.contact_delete(contact=contact)


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer", "kind", "message", "actor"]
    list_filter = ["kind"]
    search_fields = ["message", "customer__name", "customer__account_number", "actor"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"


# --- Plans and tax -----------------------------------------------------------------------------


@admin.register(TaxClass)
class TaxClassAdmin(AuditedAdmin):
    list_display = ["code", "name", "rate", "is_default", "plan_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(plan_count=Count("plans"))

    @admin.display(description="plans", ordering="plan_count")
    def plan_count(self, tax_class):
        return tax_class.plan_count


@admin.register(ServicePlan)
class ServicePlanAdmin(AuditedAdmin):
    list_display = [
        "name",
        "code",
        "speeds",
        "data_cap_gb",
        "price",
        "setup_fee",
        "billing_period",
        "tax_class",
        "status",
        "service_count",
    ]
    list_filter = ["status", "billing_period", "tax_class"]
    search_fields = ["name", "code", "description"]
    list_select_related = ["tax_class"]
    readonly_fields = ["status", "created_at", "updated_at"]
    actions = ["retire_plans"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description="down / up (Mbit/s)")
    def speeds(self, plan):
        return f"{plan.download_mbps} / {plan.upload_mbps}"

    @admin.display(description="services", ordering="service_count")
    def service_count(self, plan):
        return plan.service_count

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
        }
        if change:
            if fields:
                plans.plan_update(plan=ServicePlan.objects.get(pk=obj.pk), **fields)
            return
        data = {name: value for name, value in form.cleaned_data.items() if value is not None}
        created = plans.plan_create(**data)
        obj.pk, obj._state.adding = created.pk, False

    @admin.action(description="Retire the selected plans (stop selling them)")
    def retire_plans(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda plan: plans.plan_retire(plan=plan),
            done="{} retired.",
            doing="retire",
        )


# --- Services ----------------------------------------------------------------------------------


class PlanChangeInline(ReadOnlyInline):
    model = ServicePlanChange
    fk_name = "service"
    fields = ["effective_on", "from_plan", "to_plan", "credited", "charged", "actor"]


#: Change-page buttons: (admin action, label, style, statuses it applies to).
SERVICE_BUTTONS = [
    ("activate_services", "Activate today", "", {"pending"}),
    ("suspend_services", "Suspend", "warning", {"active"}),
    ("restore_services", "Restore", "", {"suspended"}),
    ("terminate_services", "Terminate today", "danger", {"pending", "active", "suspended"}),
]


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = [
        "__str__",
        "customer",
        "plan",
        "status",
        "activated_on",
        "billed_until",
        "suspension_reason",
    ]
    list_filter = ["status", "suspension_reason", "plan"]
    search_fields = [
        "customer__name",
        "customer__account_number",
        "plan__name",
        "install_street",
        "install_postcode",
    ]
    list_select_related = ["customer", "plan"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "status",
        "activated_on",
        "terminated_on",
        "billed_until",
        "suspended_at",
        "suspension_reason",
        "created_at",
        "updated_at",
    ]
    inlines = [PlanChangeInline]
    actions = ["activate_services", "suspend_services", "restore_services", "terminate_services"]
    change_form_template = "admin/isp/service/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ["customer", "plan", *self.readonly_fields]  # moved by change-plan, not edited

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["lifecycle_buttons"] = [
                {"action": name, "label": label, "style": style}
                for name, label, style, statuses in SERVICE_BUTTONS
                if obj.status in statuses
            ]
            context["action_checkbox_name"] = helpers.ACTION_CHECKBOX_NAME
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        if change:  # the install address and price: no business rule beyond the model's
            return super().save_model(request, obj, form, change)
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if value is not None and name not in ("customer", "plan")
        }
        created = subscriptions.service_create(
            customer=form.cleaned_data["customer"], plan=form.cleaned_data["plan"], **data
        )
        obj.pk, obj._state.adding = created.pk, False
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:
            self.message_user(request, f"Not saved: {error_text(error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def has_delete_permission(self, request, obj=None):
        return False  # a service is terminated, never deleted

    def _lifecycle(self, request, queryset, call, done, doing):
        run_for_each(self, request, queryset, call, done=done, doing=doing)
        return back_to_change_page(request)

    @admin.action(description="Activate the selected services today")
    def activate_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_activate(service=s),
            "{} activated; its first invoice is issued.",
            "activate",
        )

    @admin.action(description="Suspend the selected services")
    def suspend_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_suspend(service=s),
            "{} suspended.",
            "suspend",
        )

    @admin.action(description="Restore the selected services")
    def restore_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_restore(service=s),
            "{} restored.",
            "restore",
        )

    @admin.action(description="Terminate the selected services today")
    def terminate_services(self, request, queryset):
        return self._lifecycle(
            request,
            queryset,
            lambda s: subscriptions.service_terminate(service=s),
            "{} terminated.",
            "terminate",
        )


@admin.register(ServicePlanChange)
class ServicePlanChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "service",
        "from_plan",
        "to_plan",
        "effective_on",
        "credited",
        "charged",
        "actor",
    ]
    list_select_related = ["service__customer", "service__plan", "from_plan", "to_plan"]
    date_hierarchy = "effective_on"


from apps.isp import admin_billing  # noqa: E402, F401  (the money pages)
