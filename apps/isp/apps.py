from django.apps import AppConfig


class IspConfig(AppConfig):
    name = "apps.isp"
    label = "isp"
    verbose_name = "ISP Framework"
