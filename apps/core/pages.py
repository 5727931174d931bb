"""Landing page of the public host (a tenant host's is the identity launcher)."""

from django.views.generic import TemplateView


class PlatformHomeView(TemplateView):
    template_name = "core/platform_home.html"
