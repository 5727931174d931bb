"""The console's form requesting a new tenant (provisioned by a worker)."""

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)

from apps.platform.catalog.models import App
from apps.platform.tenants import services
from apps.platform.tenants.models import Tenant


class TenantAddForm(forms.ModelForm):
    """Request a new tenant. Saving calls `tenant_request`, which records it as pending and
    queues its provisioning (schema, super admin, trials, host) on a Celery worker."""

    admin_password = forms.CharField(
        label="Super admin password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    apps = forms.ModelMultipleChoiceField(
        label="Apps to trial",
        queryset=App.objects.filter(is_active=True),
        to_field_name="key",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each app starts as a trial of its entry plan.",
    )

    class Meta:
        model = Tenant
        fields = ["name", "slug", "admin_email", "admin_username"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = (
            f"The tenant's address: <em>slug</em>.{settings.BASE_DOMAIN}. 3 to 63 lowercase "
            "letters, digits and hyphens, starting with a letter."
        )
        self.fields["admin_email"].required = True
        username = self.fields["admin_username"]
        username.help_text = "Optional: the part of the email before the @ when left empty."

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip().lower()

    def clean_admin_password(self) -> str:
        password = self.cleaned_data["admin_password"]
        validate_password(password)
        return password

    def save(self, commit: bool = True) -> Tenant:
        data = self.cleaned_data
        self.instance = services.tenant_request(
            name=data["name"],
            slug=data["slug"],
            admin_email=data["admin_email"],
            admin_username=data.get("admin_username", ""),
            admin_password=data["admin_password"],
            apps=[app.key for app in data["apps"]],
            source=Tenant.Source.CONSOLE,
        )
        return self.instance

    def save_m2m(self) -> None:
        """Nothing to do: the service saved everything."""
