"""Create (or complete) the demo installation of DESIGN.md §10. Safe to run again."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from apps.core.demo import DEMO_TENANTS, PLATFORM_ADMIN
from apps.core.registry import registry
from apps.platform.catalog.models import Plan
from apps.platform.licensing.models import Subscription
from apps.platform.licensing.services import subscription_activate, subscription_change_plan
from apps.platform.tenants import services


class Command(BaseCommand):
    help = "Create the demo tenants, hosts and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000", help="Port printed in the URLs.")

    def handle(self, *args, port, **options):
        password = settings.DEMO_PASSWORD
        services.public_tenant_ensure()
        User = get_user_model()
        if not User.objects.filter(username=PLATFORM_ADMIN).exists():
            User.objects.create_superuser(PLATFORM_ADMIN, f"admin@{settings.BASE_DOMAIN}", password)

        for demo in DEMO_TENANTS:
            owner = demo.super_admin
            tenant = services.tenant_create_now(
                name=demo.name,
                slug=demo.slug,
                admin_username=owner.username,
                admin_email=f"{owner.username}@{demo.slug}.example.com",
                admin_password=password,
                apps=demo.apps,
            )
            for subscription in tenant.subscriptions.filter(status=Subscription.Status.TRIAL):
                subscription_activate(subscription=subscription, actor="demo")
            for app_key, plan_key in demo.plans.items():
                subscription = tenant.subscriptions.select_related("plan").get(app__key=app_key)
                if subscription.plan.key != plan_key:
                    plan = Plan.objects.get(app__key=app_key, key=plan_key)
                    subscription_change_plan(subscription=subscription, plan=plan, actor="demo")
            with schema_context(tenant.schema_name):
                for seeder in registry.demo_seeders:
                    seeder.run(tenant=tenant, demo=demo, password=password)

        # The platform's bill and the partner (by name: billing and partners sit above tenants).
        call_command("seed_billing_demo", stdout=self.stdout)
        # Today's resource use, so the usage pages show it before the hourly beat (by name too).
        call_command("measure_usage", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"  Platform  http://{settings.BASE_DOMAIN}:{port}/admin/   {PLATFORM_ADMIN}"
        )
        for demo in DEMO_TENANTS:
            users = ", ".join(user.username for user in demo.users)
            host = services.tenant_host(demo.slug)
            self.stdout.write(f"  {demo.name:<16}http://{host}:{port}/   {users}")
        self.stdout.write(f"  Partner   http://{settings.BASE_DOMAIN}:{port}/partners/   partner")
        self.stdout.write(f"  Password for every demo login: {password}")
