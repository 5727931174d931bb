"""Self-service signup: the form a prospective tenant fills in on the public host.

The form checks what it can tell the person about field by field (address format, reserved or
taken, password strength); `tenant_request` re-checks the rules that matter when it writes.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, QuerySet, Subquery

from apps.platform.catalog.models import App, Plan
from apps.platform.tenants.constants import RESERVED_SLUGS
from apps.platform.tenants.models.tenants import slug_validator, validate_not_reserved
from apps.platform.tenants.services import slug_is_available

SLUG_TAKEN = "This address is taken. Try another one."


def apps_for_trial() -> QuerySet[App]:
    """The apps on sale, each with the trial length of its entry plan (`trial_days`).

    The entry plan is the one provisioning starts a trial of: the first active plan by position
    and price (licensing.services.subscription_ensure_trial).
    """
    entry_plan = Plan.objects.filter(app=OuterRef("pk"), is_active=True).order_by(
        "position", "price"
    )
    return App.objects.filter(is_active=True).annotate(
        trial_days=Subquery(entry_plan.values("trial_days")[:1])
    )


def slug_problem(slug: str) -> tuple[str, str]:
    """Why `slug` cannot name a new workspace, as (reason code, message); ("", "") if it can.

    One query at most: format and reserved names are checked before the database.
    """
    try:
        slug_validator(slug)
    except ValidationError as exc:
        return "invalid", exc.messages[0]
    if slug in RESERVED_SLUGS:
        return "reserved", "This name is reserved. Try another one."
    if not slug_is_available(slug):
        return "taken", SLUG_TAKEN
    return "", ""


class WorkspaceSlugField(forms.CharField):
    """A DNS label, typed in any case (addresses are case-insensitive), kept in lower case."""

    default_validators = [slug_validator, validate_not_reserved]

    def to_python(self, value):
        return super().to_python(value).lower()


class AppChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SignupForm(forms.Form):
    name = forms.CharField(
        label="Organisation name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )
    slug = WorkspaceSlugField(
        label="Workspace address",
        max_length=63,
        help_text="Lowercase letters, digits and hyphens. You cannot change it later.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
        error_messages={"reserved": "This name is reserved. Try another one."},
    )
    admin_email = forms.EmailField(
        label="Your work email",
        help_text="You will be the workspace's administrator.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    admin_password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    admin_password_confirm = forms.CharField(
        label="Confirm password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    apps = AppChoiceField(
        label="Apps to trial",
        queryset=App.objects.none(),
        to_field_name="key",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one app to trial."},
    )
    accept_terms = forms.BooleanField(
        label="I accept the terms of service and the privacy policy.",
        error_messages={"required": "Please accept the terms to continue."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["apps"].queryset = apps_for_trial()

    @property
    def password_help(self) -> list[str]:
        return password_validators_help_texts()

    @property
    def selected_apps(self) -> list[str]:
        """The app keys ticked in the submitted data (to re-tick them when re-rendering)."""
        return self.data.getlist("apps") if self.is_bound else []

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not slug_is_available(slug):
            raise ValidationError(SLUG_TAKEN, code="taken")
        return slug

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("admin_password")
        confirm = cleaned.get("admin_password_confirm")
        if password:
            email = cleaned.get("admin_email", "")
            # The administrator-to-be (never saved), so that a password like the email is weak.
            future_admin = get_user_model()(username=email.split("@", 1)[0], email=email)
            try:
                validate_password(password, user=future_admin)
            except ValidationError as exc:
                self.add_error("admin_password", exc)
        if password and confirm and password != confirm:
            self.add_error("admin_password_confirm", "The two passwords do not match.")
        return cleaned

    def tenant_request_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "slug": data["slug"],
            "admin_email": data["admin_email"],
            "admin_password": data["admin_password"],
            "apps": [app.key for app in data["apps"]],
        }

    def add_service_error(self, exc: ValidationError) -> None:
        """Show a rule the service refused on the field it concerns."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:  # validate_password raises a plain list
            self.add_error("admin_password", exc)
