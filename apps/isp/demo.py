"""Demo data for the ISP app (DESIGN.md §10): a believable ISP with a year of history.

A demo seeder (apps/isp/apps.py), run inside the tenant's schema for demo tenants with the ISP
app. Everything goes through the services — customers, services, the billing engine month by
month, payments, plan changes, terminations, dunning — replayed day by day from twelve months
ago, so the books balance exactly as they would in production. Deterministic (a fixed seed per
tenant) and idempotent: once the plans exist, a second run adds nothing.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.core.kit.writes import record_create
from apps.core.money import money
from apps.isp.demo_monitoring import monitoring_demo_ensure
from apps.isp.demo_radius import radius_demo_ensure
from apps.isp.demo_support import support_demo_ensure
from apps.isp.models import (
    Circuit,
    Customer,
    Invoice,
    IPAddress,
    Prefix,
    Service,
    ServicePlan,
    Site,
    TaxClass,
    Vrf,
)
from apps.isp.services.customers import customer_create, customer_link_user, customer_set_status
from apps.isp.services.dunning import dunning_run
from apps.isp.services.inventory import device_create
from apps.isp.services.ipam import prefix_allocate
from apps.isp.services.payments import PaymentEntry, payment_record, payments_import
from apps.isp.services.plans import plan_create
from apps.isp.services.proration import add_months
from apps.isp.services.runs import billing_run_execute, billing_run_request
from apps.isp.services.subscriptions import (
    service_activate,
    service_change_plan,
    service_create,
    service_terminate,
)

#: Customers per demo tenant.
CUSTOMERS = {"abc-corp": 300, "xyz-isp": 150}
ACTOR = "demo"

PLANS = (
    # code, name, down, up, price, setup fee, period, description
    ("fiber-100", "Fiber 100", 100, 20, "29.99", "49.00", "monthly",
     "Everyday browsing and HD streaming."),
    ("fiber-300", "Fiber 300", 300, 50, "44.99", "49.00", "monthly",
     "A busy household, 4K on every screen."),
    ("fiber-1000", "Fiber 1000", 1000, 200, "69.99", "0.00", "monthly",
     "Gigabit for gamers and creators."),
    ("business-500", "Business 500", 500, 500, "119.00", "99.00", "monthly",
     "Symmetric, static IP, 4-hour support."),
    ("fiber-300-quarterly", "Fiber 300 Quarterly", 300, 50, "129.00", "0.00", "quarterly",
     "Fiber 300, billed every three months."),
    ("fiber-1000-yearly", "Fiber 1000 Yearly", 1000, 200, "699.00", "0.00", "yearly",
     "Fiber 1000, two months free when paid yearly."),
)  # fmt: skip
PLAN_WEIGHTS = (30, 34, 14, 8, 8, 6)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Olivia Liam Emma Noah Amelia Oliver Sophia Elijah Isabella James Ava William Mia Benjamin "
    "Charlotte Lucas Harper Henry Evelyn Theodore Abigail Jack Emily Levi Ella Alexander "
    "Elizabeth Mateo Sofia Daniel Avery Michael Scarlett Mason Grace Sebastian Chloe Ethan "
    "Victoria Logan Riley Owen Aria Samuel Lily Jacob Aurora Asher Zoey Aiden Nora Priya Ahmed "
    "Fatima Kenji Yuki Chen Mei Carlos Lucia Omar Leila Ivan Anya Tomasz Zofia Kwame Amara"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Patel Khan Okafor Tanaka Kowalski Novak Schmidt Rossi Dubois Silva Haddad Mensah"
)
COMPANY_WORDS = _words(
    "Northwind Bluebird Granite Harbor Summit Maple Cedar Orbit Beacon Atlas Pioneer Riverside "
    "Lakeside Evergreen Silverline Keystone Crescent Falcon Meridian Redwood"
)
COMPANY_KINDS = _words(
    "Dental Bakery Logistics Architects Consulting Studio Clinic Motors Legal Labs"
)
STREETS = (
    "Oak Street", "Maple Avenue", "Cedar Lane", "Elm Road", "Pine Close", "Willow Way",
    "Station Road", "High Street", "Church Lane", "Park Avenue", "Mill Road", "Victoria Road",
    "Kings Road", "Queens Drive", "Orchard Grove", "Riverside Walk", "Harbour View",
)  # fmt: skip
CITIES = {
    "abc-corp": (("Springfield", "SP"), ("Riverton", "RV"), ("Lakeside", "LK"), ("Fairview", "FV")),
    "xyz-isp": (("Northbridge", "NB"), ("Eastfield", "EF"), ("Westport", "WP")),
}


def _plans() -> dict[str, ServicePlan]:
    tax = TaxClass.objects.filter(is_default=True).first() or TaxClass.objects.first()
    plans = {}
    for code, name, down, up, price, setup, period, description in PLANS:
        plans[code] = ServicePlan.objects.filter(code=code).first() or plan_create(
            code=code,
            name=name,
            description=description,
            download_mbps=down,
            upload_mbps=up,
            burst_download_mbps=down + down // 5,
            burst_upload_mbps=up + up // 5,
            data_cap_gb=None,
            fair_use_policy="Unlimited data; traffic shaping only under sustained abuse.",
            price=Decimal(price),
            setup_fee=Decimal(setup),
            billing_period=period,
            tax_class=tax,
            static_ip=code.startswith("business"),
            actor=ACTOR,
        )
    return plans


#: The demo's address plan: (VRF, prefix, purpose, status, description). Documentation and
#: shared address ranges only (RFC 5737, RFC 6598, RFC 3849), never anyone's real network.
NETWORK = (
    (None, "100.64.0.0/16", "customer", "container", "CGNAT space"),
    (None, "100.64.0.0/22", "customer", "active", "CGNAT pool, residential"),
    (None, "100.64.4.0/22", "customer", "reserved", "CGNAT pool, next town"),
    (None, "198.51.100.0/25", "static", "active", "Static public IPs (business plans)"),
    (None, "203.0.113.0/28", "infrastructure", "active", "Core links and loopbacks"),
    ("management", "10.255.0.0/24", "management", "active", "Device management"),
    (None, "2001:db8:100::/48", "customer", "container", "IPv6 subscriber space"),
    (None, "2001:db8:100::/56", "customer", "active", "IPv6 subscriber pool"),
)
DEVICE_ADDRESSES = (
    (None, "203.0.113.1", "Core router loopback"),
    (None, "203.0.113.2", "Border router loopback"),
    ("management", "10.255.0.1", "Management gateway"),
    ("management", "10.255.0.10", "OLT 1 (management)"),
    ("management", "10.255.0.11", "OLT 2 (management)"),
)


SITES = (
    # name, street, latitude, longitude
    ("Central POP", "1 Exchange Street", "51.507400", "-0.127800"),
    ("North cabinet", "88 Holloway Road", "51.553300", "-0.111700"),
    ("East tower", "12 Canary Walk", "51.505400", "-0.023500"),
)
CPES_PER_TENANT = 24


def _inventory(addresses: dict) -> list:
    """Sites, the core and access devices on their management addresses, two carrier circuits;
    answers the OLTs (the CPEs hang off them)."""
    sites = [
        Site.objects.create(name=name, street=street, city="London", country="GB",
                            latitude=Decimal(lat), longitude=Decimal(lon))
        for name, street, lat, lon in SITES
    ]  # fmt: skip
    core = device_create(
        name="core-1", role="router", vendor="Juniper", model="MX204", serial="JN0001",
        site=sites[0], management_ip=addresses["203.0.113.1"], actor=ACTOR,
    )  # fmt: skip
    olts = [
        device_create(
            name=f"olt-{n}",
            role="olt",
            vendor="Huawei",
            model="MA5800-X7",
            serial=f"HW00{n}",
            site=sites[n],
            parent=core,
            management_ip=addresses[f"10.255.0.{9 + n}"],
            actor=ACTOR,
        )  # fmt: skip
        for n in (1, 2)
    ]
    Circuit.objects.create(provider="Openreach", cid="OR-100231", kind="Backhaul",
                           capacity_mbps=10_000, monthly_cost=Decimal("850.00"),
                           site_a=sites[0], site_z=sites[1])  # fmt: skip
    Circuit.objects.create(provider="Cogent", cid="CG-5521", kind="Transit",
                           capacity_mbps=20_000, monthly_cost=Decimal("1400.00"),
                           site_a=sites[0])  # fmt: skip
    return olts


def _network() -> tuple[dict[str, Prefix], dict[str, IPAddress]]:
    """The address plan; addresses for the core's devices."""
    vrfs = {"management": Vrf.objects.get_or_create(name="management", rd="65000:999")[0]}
    prefixes = {}
    for vrf, network, purpose, status, description in NETWORK:
        prefixes[network] = Prefix.objects.create(
            vrf=vrfs.get(vrf), prefix=network, purpose=purpose, status=status,
            description=description,
        )  # fmt: skip
    addresses = {
        address: record_create(
            IPAddress(
                vrf=vrfs.get(vrf),
                address=address,
                status=IPAddress.Status.ACTIVE,
                description=description,
            ),
            actor=ACTOR,
        )  # fmt: skip
        for vrf, address, description in DEVICE_ADDRESSES
    }
    return prefixes, addresses


class _Person:
    def __init__(self, rng: random.Random, slug: str, index: int):
        self.business = rng.random() < 0.12
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if self.business:
            self.name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} Ltd"
            self.email = f"accounts{index}@{self.name.split()[0].lower()}-{index}.example.com"
        else:
            self.name = f"{first} {last}"
            self.email = f"{first.lower()}.{last.lower()}{index}@example.com"
        city, code = rng.choice(CITIES.get(slug, CITIES["abc-corp"]))
        self.address = {
            "street": f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
            "city": city,
            "postcode": f"{code}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",  # noqa: E501
            "country": "GB",
        }
        self.phone = f"+44 20 7946 {rng.randint(0, 9999):04d}"


def _payment_delay(rng: random.Random, habit: str, issued, today) -> int | None:
    """Days after issue a customer pays (None: does not pay). Those who stopped paying did so
    about two months ago: a few overdue invoices each, for dunning to act on."""
    if habit == "prompt":
        return rng.randint(1, 10)
    if habit == "late":
        return rng.randint(18, 40)
    return None if (today - issued).days < 70 else rng.randint(1, 10)


def isp_demo_ensure(*, tenant, demo, password: str = "", **_) -> None:
    """Demo seeder: plans, customers and a year of billing (see the module docstring), then
    RADIUS (apps/isp/demo_radius.py), the support desk and Tom's jobs (apps/isp/demo_support.py)
    and monitoring with a past outage (apps/isp/demo_monitoring.py: after the desk, so the
    outage's ticket is timed by its policy), each with its own idempotence, so a seeded demo
    gets them too."""
    if "isp" not in demo.apps:
        return
    if not ServicePlan.objects.filter(code="fiber-100").exists():
        with transaction.atomic():
            _seed(tenant, demo)
    radius_demo_ensure(demo=demo, password=password)
    support_demo_ensure(demo=demo)
    monitoring_demo_ensure(demo=demo)


def _seed(tenant, demo) -> None:
    rng = random.Random(f"dotmac-demo-{demo.slug}")
    plans = _plans()
    prefixes, addresses = _network()
    olts = _inventory(addresses)
    codes = list(plans)
    today = timezone.localdate()
    start = add_months(today.replace(day=1), -12)
    days = (today - start).days

    # Who joins when, on which plan, and how they pay.
    people = []
    for index in range(CUSTOMERS.get(demo.slug, 100)):
        person = _Person(rng, demo.slug, index + 1)
        person.joins = start + datetime.timedelta(
            days=0 if rng.random() < 0.55 else rng.randint(0, days - 20)
        )
        person.plan = "business-500" if person.business else rng.choices(codes, PLAN_WEIGHTS)[0]
        person.habit = rng.choices(("prompt", "late", "stopped"), (86, 10, 4))[0]
        person.churns = (
            person.joins + datetime.timedelta(days=rng.randint(60, 200))
            if rng.random() < 0.05
            else None
        )
        person.upgrade = rng.random() < 0.06 and person.plan in ("fiber-100", "fiber-300")
        person.billing_day = rng.choice((1, 1, 1, 15))
        people.append(person)

    jane = _demo_user("jane")
    if jane is not None:  # Jane's account: a year on Fiber 300, paid up but for one invoice
        people[0].name, people[0].email = f"{jane.first_name} {jane.last_name}", jane.email
        people[0].joins, people[0].plan, people[0].habit = start, "fiber-300", "prompt"
        people[0].churns, people[0].upgrade, people[0].billing_day = None, False, 1
        people[0].user = jane

    by_day: dict[datetime.date, list] = {}
    for person in people:
        by_day.setdefault(person.joins, []).append(("join", person))
        if person.churns and person.churns < today:
            by_day.setdefault(person.churns, []).append(("churn", person))
        if person.upgrade:
            when = person.joins + datetime.timedelta(days=rng.randint(40, 250))
            if when < today:
                by_day.setdefault(when, []).append(("upgrade", person))

    services: dict[int, Service] = {}
    payments: dict[datetime.date, list] = {}

    def schedule_payments(invoices, on):
        for invoice in invoices:
            person = owners[invoice.customer_id]
            delay = _payment_delay(rng, person.habit, on, today)
            if person is people[0] and jane is not None and on > add_months(today, -1):
                delay = None  # Jane's latest invoice stays open for the portal
            if delay is not None and on + datetime.timedelta(days=delay) < today:
                payments.setdefault(on + datetime.timedelta(days=delay), []).append(invoice)

    owners: dict[int, _Person] = {}
    day = start
    while day <= today:
        for kind, person in by_day.get(day, ()):
            if kind == "join":
                customer = customer_create(
                    name=person.name,
                    kind="business" if person.business else "residential",
                    email=person.email,
                    phone=person.phone,
                    billing_day=person.billing_day,
                    service_street=person.address["street"],
                    service_city=person.address["city"],
                    service_postcode=person.address["postcode"],
                    service_country="GB",
                    billing_street=person.address["street"],
                    billing_city=person.address["city"],
                    billing_postcode=person.address["postcode"],
                    billing_country="GB",
                    actor=ACTOR,
                )
                owners[customer.pk] = person
                person.customer = customer
                if getattr(person, "user", None) is not None:
                    customer_link_user(customer=customer, user=person.user, actor=ACTOR)
                service = service_create(
                    customer=customer,
                    plan=plans[person.plan],
                    install_street=person.address["street"],
                    install_city=person.address["city"],
                    install_postcode=person.address["postcode"],
                    install_country="GB",
                    discount_percent=Decimal("10") if rng.random() < 0.08 else Decimal("0"),
                    actor=ACTOR,
                )
                services[customer.pk] = service
                invoice = service_activate(service=service, on=day, actor=ACTOR)
                schedule_payments([invoice], day)
            elif kind == "churn":
                service = services[person.customer.pk]
                service_terminate(service=service, on=day, actor=ACTOR)
                customer_set_status(
                    customer=person.customer,
                    status=Customer.Status.CLOSED,
                    reason="moved away",
                    actor=ACTOR,
                )
            elif kind == "upgrade" and services[person.customer.pk].status == Service.Status.ACTIVE:
                target = "fiber-300" if person.plan == "fiber-100" else "fiber-1000"
                service_change_plan(
                    service=services[person.customer.pk], plan=plans[target], on=day, actor=ACTOR
                )
        if day.day in (1, 15) and day > start:
            run = billing_run_request(as_of=day, actor=ACTOR, dispatch=False)
            billing_run_execute(run=run, actor=ACTOR)
            schedule_payments(list(Invoice.objects.filter(billing_run=run)), day)
        due = {invoice.pk for invoice in payments.pop(day, ())}
        if due:  # the day's bank statement
            still_open = Invoice.objects.filter(pk__in=due, status=Invoice.Status.OPEN)
            payments_import(
                entries=[
                    PaymentEntry(
                        customer_id=customer_id,
                        amount=amount,
                        method=rng.choice(("bank_transfer", "bank_transfer", "card", "cash")),
                        received_on=day,
                        reference=f"Re {number}",
                    )
                    for customer_id, amount, number in still_open.order_by("id").values_list(
                        "customer_id", "amount_due", "number"
                    )
                ],
                actor=ACTOR,
            )
        day += datetime.timedelta(days=1)

    # Every live subscriber without a static address is on the CGNAT pool.
    cgnat = prefixes["100.64.0.0/22"]
    live = Service.objects.filter(status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED])
    for service in live.filter(ip_addresses__isnull=True).order_by("pk"):
        prefix_allocate(prefix=cgnat, service=service, actor=ACTOR, description="CGNAT")
    for n, service in enumerate(live.order_by("pk")[:CPES_PER_TENANT]):
        device_create(
            name=f"cpe-{service.pk:05d}", role="cpe", vendor="Nokia", model="G-140W-F",
            serial=f"ALCL{service.pk:08d}", parent=olts[n % 2], service=service, actor=ACTOR,
        )  # fmt: skip

    # The unpaid are reminded and, past the grace period, suspended (mail kept in memory).
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        dunning_run(as_of=today, actor=ACTOR)
    # One customer overpaid: a little credit for the next invoice.
    if len(people) > 10 and getattr(people[5], "customer", None) is not None:
        payment_record(
            customer=people[5].customer, amount=money("25.00"), method="cash", actor=ACTOR
        )


def _demo_user(username: str):
    return get_user_model().objects.filter(username=username).first()
