"""Demo seeder (DESIGN.md §10): abc-corp gets a living pipeline. Idempotent: every record is
looked up by a natural key first, so a second run adds nothing."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.crm.constants import APP_KEY, LeadStatus
from apps.crm.models import Account, Activity, Contact, Lead, Opportunity, Stage
from apps.crm.services import leads, pipeline, records, setup
from apps.identity.models import User

ACCOUNTS = [
    # name, domain, industry, city, country, owner, tags
    ("Northwind Traders", "northwind.example", "Wholesale", "Seattle", "USA", "mike", ["key"]),
    ("Globex Corporation", "globex.example", "Manufacturing", "Springfield", "USA", "mike", []),
    ("Initech", "initech.example", "Software", "Austin", "USA", "mike", ["saas"]),
    ("Umbrella Health", "umbrella.example", "Healthcare", "Raccoon City", "USA", "sarah", []),
    ("Stark Logistics", "starklog.example", "Logistics", "New York", "USA", "sarah", ["key"]),
    ("Wayne Hotels", "waynehotels.example", "Hospitality", "Gotham", "USA", "john", ["vip"]),
]
CONTACTS = [
    # account, first, last, title, email, owner
    (
        "Northwind Traders",
        "Nancy",
        "Davolio",
        "Purchasing Manager",
        "nancy@northwind.example",
        "mike",
    ),
    ("Northwind Traders", "Andrew", "Fuller", "VP Sales", "andrew@northwind.example", "mike"),
    ("Globex Corporation", "Hank", "Scorpio", "CEO", "hank@globex.example", "mike"),
    ("Initech", "Bill", "Lumbergh", "Division VP", "bill@initech.example", "mike"),
    ("Umbrella Health", "Alice", "Abernathy", "CIO", "alice@umbrella.example", "sarah"),
    ("Stark Logistics", "Pepper", "Potts", "COO", "pepper@starklog.example", "sarah"),
    ("Wayne Hotels", "Lucius", "Fox", "CTO", "lucius@waynehotels.example", "john"),
]
OPPORTUNITIES = [
    # name, account, stage, amount, days to close, owner
    ("Northwind fibre backbone", "Northwind Traders", "Proposal", "48000", 20, "mike"),
    ("Northwind branch Wi-Fi", "Northwind Traders", "Prospecting", "9500", 65, "mike"),
    ("Globex managed network", "Globex Corporation", "Qualification", "27500", 40, "mike"),
    ("Globex SD-WAN pilot", "Globex Corporation", "Negotiation", "15000", 10, "mike"),
    ("Initech office internet", "Initech", "Won", "6200", -15, "mike"),
    ("Initech VoIP", "Initech", "Lost", "4800", -30, "mike"),
    ("Umbrella clinic links", "Umbrella Health", "Proposal", "36000", 35, "sarah"),
    ("Stark warehouse IoT", "Stark Logistics", "Negotiation", "52000", 25, "sarah"),
    ("Stark HQ redundancy", "Stark Logistics", "Won", "21000", -5, "sarah"),
    ("Wayne guest Wi-Fi", "Wayne Hotels", "Qualification", "18000", 80, "john"),
]
LEADS = [
    # first, last, company, email, source, status, score, owner
    (
        "Dana",
        "Scully",
        "Bureau Analytics",
        "dana@bureau.example",
        "referral",
        "qualified",
        80,
        "mike",
    ),
    ("Fox", "Mulder", "Xfiles Media", "fox@xfiles.example", "website", "contacted", 55, "mike"),
    ("Walter", "White", "Heisenberg Labs", "walter@heisenberg.example", "event", "new", 30, "mike"),
    (
        "Ellen",
        "Ripley",
        "Nostromo",
        "ellen@nostromo.example",
        "cold_call",
        "unqualified",
        10,
        "sarah",
    ),
    ("Sarah", "Lund", "Forbrydelsen ApS", "sarah@lund.example", "campaign", "new", 40, "sarah"),
    (
        "Leslie",
        "Knope",
        "Pawnee Parks",
        "leslie@pawnee.example",
        "website",
        "qualified",
        70,
        "john",
    ),
]
TASKS = [
    # kind, subject, account, days until due, owner
    ("task", "Send revised proposal to Northwind", "Northwind Traders", 1, "mike"),
    ("call", "Follow-up call with Hank (Globex)", "Globex Corporation", 2, "mike"),
    ("meeting", "SD-WAN pilot review at Globex", "Globex Corporation", 5, "mike"),
    ("task", "Prepare Umbrella security questionnaire", "Umbrella Health", 3, "sarah"),
    ("note", "Initech chose a cheaper VoIP vendor", "Initech", None, "mike"),
]


def crm_demo_ensure(*, tenant, demo, password: str = "", **_) -> None:
    """Demo seeder: the sales pipeline of a demo tenant that subscribes to CRM."""
    if APP_KEY not in demo.apps:
        return
    users = {user.username: user for user in User.objects.filter(is_active=True)}
    if "mike" not in users:
        return
    setup.crm_defaults_ensure()
    owner_of = lambda name: users.get(name) or users["mike"]  # noqa: E731
    now = timezone.now()
    with transaction.atomic():
        accounts = {}
        for name, domain, industry, city, country, owner, tags in ACCOUNTS:
            accounts[name] = Account.objects.filter(name=name).first() or records.account_create(
                owner=owner_of(owner), name=name, domain=domain, website=f"https://{domain}",
                industry=industry, city=city, country=country, tags=tags,
                email=f"info@{domain}", phone="+1 555 0100",
            )  # fmt: skip
        contacts = {}
        for account, first, last, title, email, owner in CONTACTS:
            contacts[account] = contacts.get(account) or None
            found = Contact.objects.filter(email=email).first() or records.contact_create(
                owner=owner_of(owner), account=accounts[account], first_name=first,
                last_name=last, title=title, email=email, phone="+1 555 0111",
            )  # fmt: skip
            contacts[account] = contacts[account] or found
        stages = {stage.name: stage for stage in Stage.objects.all()}
        for name, account, stage, amount, days, owner in OPPORTUNITIES:
            if Opportunity.objects.filter(name=name).exists() or stage not in stages:
                continue
            pipeline.opportunity_create(
                owner=owner_of(owner), account=accounts[account], contact=contacts.get(account),
                name=name, amount=Decimal(amount), stage=stages[stage],
                expected_close_date=(now + timedelta(days=days)).date(),
                lost_reason="Went with a cheaper vendor" if stage == "Lost" else "",
            )  # fmt: skip
        for first, last, company, email, source, status, score, owner in LEADS:
            if Lead.objects.filter(email=email).exists():
                continue
            leads.lead_create(
                owner=owner_of(owner), first_name=first, last_name=last, company=company,
                email=email, source=source, status=status, score=score,
            )  # fmt: skip
        for kind, subject, account, days, owner in TASKS:
            if Activity.objects.filter(subject=subject).exists():
                continue
            records.activity_create(
                owner=owner_of(owner), kind=kind, subject=subject, account=accounts[account],
                due_at=now + timedelta(days=days) if days is not None else None,
                done=kind == "note",
            )  # fmt: skip
        _convert_one_lead(users)


def _convert_one_lead(users) -> None:
    """One converted lead, so conversion reports are not empty."""
    email = "gordon@blackmesa.example"
    if Lead.objects.filter(email=email).exists():
        return
    lead = leads.lead_create(
        owner=users["mike"], first_name="Gordon", last_name="Freeman", company="Black Mesa",
        email=email, website="https://blackmesa.example", source="referral",
        status=LeadStatus.QUALIFIED, score=90,
    )  # fmt: skip
    leads.lead_convert(
        lead=lead, actor=users["mike"], opportunity_name="Black Mesa campus network",
        amount=Decimal("64000"), expected_close_date=(timezone.now() + timedelta(days=45)).date(),
    )  # fmt: skip
