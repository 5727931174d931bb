"""Public tenant, tenant `stock` on stock.localhost, user bench, 200 items (manage.py shell)."""

from decimal import Decimal

from customers.models import Client, Domain
from django_tenants.utils import schema_context

public = Client.objects.get_or_create(schema_name="public", defaults={"name": "public"})[0]
Domain.objects.get_or_create(domain="localhost", defaults={"tenant": public, "is_primary": True})
tenant = Client.objects.filter(schema_name="stock").first()
if tenant is None:
    tenant = Client.objects.create(schema_name="stock", name="Stock")  # creates the schema
Domain.objects.get_or_create(domain="stock.localhost", defaults={"tenant": tenant})
with schema_context("stock"):
    from catalog.models import Category, Item
    from django.contrib.auth.models import User

    if not User.objects.filter(username="bench").exists():
        User.objects.create_user("bench", "bench@example.com", "bench-password-1")
    if not Item.objects.exists():
        category = Category.objects.create(name="Residential")
        Item.objects.bulk_create(
            Item(category=category, code=f"ACC-{n:05d}", name=f"Customer {n}",
                 email=f"c{n}@example.com", phone="+44 20 7946 0958", street=f"{n} High St",
                 city="London", postcode="N1 1AA", balance=Decimal("12.50"), notes="")
            for n in range(200)
        )  # fmt: skip
