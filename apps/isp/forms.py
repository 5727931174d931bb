"""Forms of the ISP pages. They validate input only; the services do the writing."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from apps.identity.models import User
from apps.isp.models import (
    Customer,
    CustomerContact,
    Payment,
    Service,
    ServicePlan,
    Ticket,
    WorkOrder,
)
from apps.isp.services.customers import EDITABLE_FIELDS, PORTAL_EDITABLE
from apps.isp.services.radius import MAX_TOP_UP_GB
from apps.isp.services.subscriptions import SERVICE_FIELDS


class CustomerForm(forms.ModelForm):
    """Staff create and edit a customer account (status, number and balance have their own
    rules and are not on the form)."""

    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class PortalContactForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = PORTAL_EDITABLE

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class ContactForm(forms.ModelForm):
    class Meta:
        model = CustomerContact
        fields = ("name", "role", "email", "phone")


class PortalAccessForm(forms.Form):
    """Give the portal of this customer to a tenant user whose roles open the portal and who is
    not linked to another account."""

    user = forms.ModelChoiceField(queryset=None, label="Portal user", empty_label="Choose a user")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(
                is_active=True,
                isp_customer__isnull=True,
                role_assignments__role__areas__contains=["isp.portal"],
            )
            .distinct()
            .order_by("username")
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Customer.Status.choices)
    reason = forms.CharField(max_length=200, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


def active_plans():
    return ServicePlan.objects.filter(status=ServicePlan.Status.ACTIVE).order_by("price", "name")


class ServiceForm(forms.ModelForm):
    """Order a service (pending until activated)."""

    plan = forms.ModelChoiceField(queryset=ServicePlan.objects.none())

    class Meta:
        model = Service
        fields = ("plan", *SERVICE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = active_plans()

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("plan")
        if data.get("price_override") is None:
            data.pop("price_override", None)
        if data.get("discount_percent") in (None, Decimal(0)):
            data.pop("discount_percent", None)
        return {name: value for name, value in data.items() if value not in ("", None)}


class DateForm(forms.Form):
    on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Effective on"
    )


class ChangePlanForm(DateForm):
    plan = forms.ModelChoiceField(queryset=ServicePlan.objects.none(), label="New plan")

    def __init__(self, *args, service: Service | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        plans = active_plans()
        if service is not None:
            plans = plans.exclude(pk=service.plan_id)
        self.fields["plan"].queryset = plans


class PaymentForm(forms.Form):
    """Staff record money received (cash or bank transfer; cards go through the gateway)."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(
        choices=[
            (Payment.Method.BANK_TRANSFER, Payment.Method.BANK_TRANSFER.label),
            (Payment.Method.CASH, Payment.Method.CASH.label),
        ]
    )
    received_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    reference = forms.CharField(max_length=100, required=False)


class CardForm(forms.Form):
    """The portal's card form (the sandbox gateway takes only the number; the rest is there
    for the look of a real checkout and is checked for shape only)."""

    card_number = forms.CharField(
        max_length=23,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "placeholder": "1234 5678 9012 3456",
            }
        ),
    )
    expiry = forms.RegexField(
        regex=r"^(0[1-9]|1[0-2])\s*/\s*\d{2}$",
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "MM/YY", "autocomplete": "cc-exp"}),
        error_messages={"invalid": "Enter the expiry as MM/YY."},
    )
    cvc = forms.RegexField(
        regex=r"^\d{3,4}$",
        max_length=4,
        label="CVC",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-csc"}),
        error_messages={"invalid": "Enter the 3 or 4 digits on the back of the card."},
    )

    def clean_card_number(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["card_number"] if not ch.isspace())
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise forms.ValidationError("Enter the card number (12 to 19 digits).")
        return digits


class StatementForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The statement must start before it ends.")
        return data


class TopUpForm(forms.Form):
    """Extra data for the month (the portal's: bought at the plan's price)."""

    gigabytes = forms.IntegerField(min_value=1, max_value=MAX_TOP_UP_GB, initial=10, label="GB")


class StaffTopUpForm(TopUpForm):
    charge = forms.BooleanField(
        required=False, initial=True, label="Invoice at the plan's top-up price"
    )


# --- Support and field work ---------------------------------------------------------------------


class TicketForm(forms.Form):
    """Staff open a ticket (the customer by account id: a queue of 100,000 customers is no
    select list)."""

    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000,
                                  required=False)  # fmt: skip
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False,
                                      widget=forms.NumberInput,
                                      help_text="The customer's id (from their page).")  # fmt: skip
    category = forms.ChoiceField(choices=Ticket.Category.choices)
    priority = forms.ChoiceField(choices=Ticket.Priority.choices, initial="normal")


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    internal = forms.BooleanField(required=False, label="Internal note (staff only)")
    waiting = forms.BooleanField(required=False, label="Wait for the customer's answer")


class PortalTicketForm(forms.Form):
    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    category = forms.ChoiceField(choices=Ticket.Category.choices)


class WorkOrderForm(forms.Form):
    kind = forms.ChoiceField(choices=WorkOrder.Kind.choices)
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), widget=forms.NumberInput)
    service = forms.ModelChoiceField(queryset=Service.objects.all(), widget=forms.NumberInput,
                                     required=False)  # fmt: skip
    technician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    slot_start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    slot_end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                   max_length=5000)  # fmt: skip

    def __init__(self, *args, technicians=None, **kwargs):
        super().__init__(*args, **kwargs)
        if technicians is not None:
            self.fields["technician"].queryset = technicians
