"""The console's forms of subscriptions: subscribe a tenant, set overrides, change the plan."""

from django import forms
from django.core.exceptions import ValidationError

from apps.core.tenancy import organisations, tenant_model
from apps.platform.catalog.models import Plan
from apps.platform.licensing import services
from apps.platform.licensing.models import Subscription

Status = Subscription.Status
JSON_WIDGET = forms.Textarea(attrs={"rows": 4, "class": "dm-json"})


def _plans_on_sale():
    return Plan.objects.filter(is_active=True, app__is_active=True).select_related("app")


class SubscriptionAddForm(forms.ModelForm):
    """Subscribe a tenant to an app: a trial of the plan ("start trial") or active from now."""

    status = forms.ChoiceField(
        label="Start as",
        choices=[(Status.TRIAL, "Trial (the plan's trial days)"), (Status.ACTIVE, "Active")],
        initial=Status.TRIAL,
    )
    note = forms.CharField(label="Note", required=False, help_text="Kept in the history.")

    class Meta:
        model = Subscription
        fields = ["tenant", "plan", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = organisations().exclude(
            status=tenant_model().Status.OFFBOARDED
        )
        self.fields["plan"].queryset = _plans_on_sale()

    def save(self, commit: bool = True, *, actor: str = "") -> Subscription:
        data = self.cleaned_data
        self.instance = services.subscription_create(
            tenant=data["tenant"],
            plan=data["plan"],
            status=data["status"],
            actor=actor,
            note=data.get("note", ""),
        )
        return self.instance

    def save_m2m(self) -> None:
        """Nothing to do: the service saved everything."""


class SubscriptionOverridesForm(forms.ModelForm):
    """The overrides on top of the plan; the service validates and records the change."""

    override_note = forms.CharField(
        label="Reason for the change", required=False, help_text="Kept in the history."
    )

    class Meta:
        model = Subscription
        fields = ["feature_overrides", "limit_overrides"]
        widgets = {"feature_overrides": JSON_WIDGET, "limit_overrides": JSON_WIDGET}
        help_texts = {
            "feature_overrides": "Flags granted (true) or withdrawn (false) on top of the plan, "
            'e.g. {"crm.forecasting": true}.',
            "limit_overrides": 'Limits replacing the plan\'s, e.g. {"crm.max_users": 50}; '
            "null is unlimited.",
        }

    def clean_feature_overrides(self):
        value = self.cleaned_data["feature_overrides"] or {}
        if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
            raise ValidationError("A JSON object mapping each flag to true or false.")
        return value

    def clean_limit_overrides(self):
        value = self.cleaned_data["limit_overrides"] or {}
        if not isinstance(value, dict) or not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
            for v in value.values()
        ):
            raise ValidationError("A JSON object mapping each limit to a whole number or null.")
        return value


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(label="New plan", queryset=Plan.objects.none(), empty_label=None)
    note = forms.CharField(label="Note", required=False, help_text="Kept in the history.")

    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = _plans_on_sale().filter(app=app)
