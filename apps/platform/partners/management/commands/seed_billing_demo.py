"""The demo's platform bill and partner (apps.platform.partners.demo). Safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.platform.partners import demo


class Command(BaseCommand):
    help = "Give the demo tenants a year of platform invoices and create the demo partner."

    def handle(self, *args, **options):
        outcome = demo.seed(password=settings.DEMO_PASSWORD)
        self.stdout.write(f"  Platform bill: {outcome['invoices']} demo invoices; partner "
                          f"{outcome['partner']} (login {demo.PARTNER_USERNAME})")  # fmt: skip
