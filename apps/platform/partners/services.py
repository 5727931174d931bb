"""Partners: attribution, commissions from paid invoices only, clawbacks, payouts.

* Commission accrues when an invoice is paid, never before: per app, the invoice's lines of
  that app (before tax) × the rule's percent (the app's rule, else the partner's rule for every
  app; raised by the highest volume tier the partner's attributed tenants reach), while the
  tenant is within the rule's duration from its attribution. Half-up to the cent.
* An entry is held HOLD_DAYS (30) before a payout may include it.
* A refund is a clawback: negative entries in proportion to the refunded share of the invoice,
  whether the accrual was paid out or not; no entry is ever edited.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.audit import audit_created
from apps.core.exceptions import ConflictError
from apps.core.money import ZERO, money
from apps.platform.billing.models import Invoice
from apps.platform.partners.models import (
    Attribution,
    CommissionRule,
    LedgerEntry,
    Partner,
    PartnerUser,
    Payout,
)

HOLD_DAYS = 30


@transaction.atomic
def partner_create(*, name: str, referral_code: str, actor: str, email: str = "") -> Partner:
    partner = Partner(name=name, referral_code=referral_code, email=email)
    partner.full_clean()
    partner.save()
    audit_created(partner, actor=actor)
    return partner


@transaction.atomic
def attribute(*, tenant, referral_code: str, actor: str) -> Attribution | None:
    """Attribute `tenant` to the partner of `referral_code` (at signup); an unknown or empty
    code attributes nothing; a tenant keeps its first partner."""
    code = (referral_code or "").strip().lower()
    if not code:
        return None
    partner = Partner.objects.filter(referral_code=code, is_active=True).first()
    if partner is None:
        raise ValidationError({"referral_code": "No partner has this referral code."})
    attribution, created = Attribution.objects.get_or_create(
        tenant=tenant, defaults={"partner": partner, "since": timezone.localdate()}
    )
    if created:
        audit_created(attribution, actor=actor)
    return attribution


def _percent(rule: CommissionRule, tenants: int) -> Decimal:
    percent = rule.percent
    for tier in sorted(rule.tiers or [], key=lambda t: t.get("tenants", 0)):
        if tenants >= int(tier.get("tenants", 0)):
            percent = Decimal(str(tier["percent"]))
    return percent


@transaction.atomic
def commission_accrue(*, invoice: Invoice) -> list[LedgerEntry]:
    """The commission of a paid invoice (idempotent: one entry per invoice and app)."""
    if invoice.status != Invoice.Status.PAID:
        return []
    attribution = (Attribution.objects.select_related("partner")
                   .filter(tenant_id=invoice.account.tenant_id).first())  # fmt: skip
    if attribution is None:
        return []
    partner = attribution.partner
    rules = {rule.app_key: rule for rule in partner.rules.all()}
    tenants = partner.attributions.count()
    by_app: dict[str, Decimal] = {}
    for app_key, amount in invoice.lines.values_list("app_key", "amount"):
        by_app[app_key] = by_app.get(app_key, ZERO) + amount
    today = timezone.localdate()
    entries = []
    for app_key, base in sorted(by_app.items()):
        rule = rules.get(app_key) or rules.get("")
        if rule is None or base <= 0:
            continue
        if rule.duration_months is not None and invoice.issued_on >= (
            attribution.since + relativedelta(months=rule.duration_months)
        ):
            continue
        percent = _percent(rule, tenants)
        entry, created = LedgerEntry.objects.get_or_create(
            key=f"accrual:{invoice.pk}:{app_key}",
            defaults={"partner": partner, "tenant_id": invoice.account.tenant_id,
                      "invoice": invoice, "kind": LedgerEntry.Kind.ACCRUAL, "app_key": app_key,
                      "base": base, "percent": percent, "amount": money(base * percent / 100),
                      "available_on": today + datetime.timedelta(days=HOLD_DAYS)},
        )  # fmt: skip
        if created:
            entries.append(entry)
    return entries


@transaction.atomic
def commission_clawback(*, invoice: Invoice, amount: Decimal) -> list[LedgerEntry]:
    """Negative entries for the refunded share of the invoice's accruals."""
    if invoice.total <= 0:
        return []
    share = Decimal(amount) / invoice.total
    today = timezone.localdate()
    entries = []
    for accrual in LedgerEntry.objects.filter(invoice=invoice, kind=LedgerEntry.Kind.ACCRUAL):
        entries.append(LedgerEntry.objects.create(
            partner_id=accrual.partner_id, tenant_id=accrual.tenant_id, invoice=invoice,
            kind=LedgerEntry.Kind.CLAWBACK, key=f"clawback:{accrual.pk}:{uuid.uuid4().hex[:12]}",
            app_key=accrual.app_key, base=money(-accrual.base * share), percent=accrual.percent,
            amount=-money(accrual.amount * share), available_on=today,
        ))  # fmt: skip
    return entries


@transaction.atomic
def payout_create(*, partner: Partner, actor: str) -> Payout:
    """A batch of every entry available today and not paid yet (clawbacks deducted)."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    entries = LedgerEntry.objects.filter(partner=partner, payout__isnull=True,
                                         available_on__lte=timezone.localdate())  # fmt: skip
    total = entries.aggregate(total=Sum("amount"))["total"] or ZERO
    if total <= 0:
        raise ConflictError(f"{partner.name} has nothing to pay out (available: {total}).")
    payout = Payout.objects.create(partner=partner, total=total)
    entries.update(payout=payout)
    audit_created(payout, actor=actor)
    return payout


def payout_csv(payout: Payout) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["payout", "partner", "entry", "kind", "tenant", "invoice", "app", "revenue",
                     "percent", "amount"])  # fmt: skip
    for e in payout.entries.select_related("tenant", "invoice").order_by("pk"):
        row = [payout.pk, payout.partner.name, e.pk, e.kind, e.tenant.slug,
               e.invoice.display_number, e.app_key, e.base, e.percent, e.amount]  # fmt: skip
        writer.writerow(row)
    return out.getvalue()


def partner_of(user) -> Partner | None:
    if not (user and user.is_authenticated):
        return None
    membership = PartnerUser.objects.select_related("partner").filter(user=user).first()
    return membership.partner if membership and membership.partner.is_active else None
