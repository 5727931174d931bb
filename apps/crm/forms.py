"""Page forms. They validate input only; the views hand the cleaned data to apps.crm.services."""

from django import forms

from apps.core.kit import csvimport
from apps.crm import selectors
from apps.crm.constants import ActivityKind, LeadStatus
from apps.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage
from apps.crm.models.base import normalise_tags
from apps.identity.models import User


class TagsField(forms.CharField):
    """Tags typed as "vip, renewal"."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return normalise_tags(value)
        return normalise_tags((value or "").split(","))


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class CrmForm(forms.ModelForm):
    """Owner and tags shared by every record form; `user` narrows related choices to the
    records the user may see."""

    tags = TagsField(required=False, help_text="Comma separated.")

    def __init__(self, *args, user=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)

        if "owner" in self.fields:
            self.fields["owner"] = OwnerChoiceField(
                queryset=owners if owners is not None else User.objects.filter(is_active=True),
                required=False, help_text="Blank: you.",
            )  # fmt: skip
        related = {"account": selectors.accounts, "contact": selectors.contacts,
                   "lead": selectors.leads, "opportunity": selectors.opportunities}  # fmt: skip
        for name, rows in related.items():
            if name in self.fields and user is not None:
                self.fields[name].queryset = rows(user).order_by()
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "input")
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3 if name != "body" else 2


class AccountForm(CrmForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Account
        fields = ["name", "website", "domain", "industry", "email", "phone", "street", "city",
                  "postal_code", "region", "country", "tags", "description", "owner"]  # fmt: skip


class ContactForm(CrmForm):
    class Meta:
        model = Contact
        fields = ["account", "first_name", "last_name", "title", "email", "phone", "street",
                  "city", "postal_code", "region", "country", "tags", "notes", "owner"]  # fmt: skip


class LeadForm(CrmForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "company", "title", "email", "phone", "website",
                  "source", "status", "score", "tags", "notes", "owner"]  # fmt: skip

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status == LeadStatus.CONVERTED and self.instance.status != LeadStatus.CONVERTED:
            raise forms.ValidationError("Convert a qualified lead with the Convert button.")
        return status


class OpportunityForm(CrmForm):
    class Meta:
        model = Opportunity
        fields = ["name", "account", "contact", "stage", "amount", "expected_close_date",
                  "lost_reason", "tags", "description", "owner"]  # fmt: skip
        widgets = {"expected_close_date": forms.DateInput(attrs={"type": "date"})}


class ActivityForm(CrmForm):
    class Meta:
        model = Activity
        fields = ["kind", "subject", "body", "due_at", "done", "owner"]
        widgets = {"due_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
                   "subject": forms.TextInput(attrs={"placeholder": "Subject"}),
                   "body": forms.Textarea(attrs={"rows": 2, "placeholder": "Details"})}  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ActivityKind.choices  # no blank choice
        self.fields["kind"].initial = self.initial.get("kind", ActivityKind.CALL)


class ConvertForm(forms.Form):
    """Lead conversion: merge into existing records or create new ones."""

    account = forms.ModelChoiceField(queryset=Account.objects.none(), required=False,
                                     help_text="Merge into this existing account.")  # fmt: skip
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False,
                                     help_text="Merge into this existing contact.")  # fmt: skip
    create_new = forms.BooleanField(required=False, label="Create new records anyway")
    create_opportunity = forms.BooleanField(required=False, initial=True)
    opportunity_name = forms.CharField(required=False, max_length=200)
    amount = forms.DecimalField(required=False, max_digits=14, decimal_places=2, min_value=0)
    expected_close_date = forms.DateField(required=False, widget=forms.DateInput(
        attrs={"type": "date"}))  # fmt: skip
    stage = forms.ModelChoiceField(queryset=Stage.objects.filter(kind="open"), required=False)

    def __init__(self, *args, user=None, duplicates=None, **kwargs):
        super().__init__(*args, **kwargs)

        if user is not None:
            self.fields["account"].queryset = selectors.accounts(user).order_by()
            self.fields["contact"].queryset = selectors.contacts(user).order_by()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


class CsvUploadForm(csvimport.CsvUploadForm):
    kind = forms.ChoiceField(choices=[("leads", "Leads"), ("accounts", "Accounts"),
                                      ("contacts", "Contacts")])  # fmt: skip
    field_order = ["kind", "file"]
