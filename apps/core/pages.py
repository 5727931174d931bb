"""Landing pages of the public host and of a tenant host."""

from django.views.generic import TemplateView


class PlatformHomeView(TemplateView):
    template_name = "core/platform_home.html"


class TenantHomeView(TemplateView):
    template_name = "core/tenant_home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(tenant=self.request.tenant, **kwargs)
