from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.platform.billing"
    label = "billing"
    verbose_name = "Platform billing"
