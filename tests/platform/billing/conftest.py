"""Fixtures of the platform billing and partner tests."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from apps.platform.partners.models import CommissionRule, PartnerUser
from apps.platform.partners.services import partner_create


@pytest.fixture
def partner(db):
    """Acme Resellers: 20 % of CRM revenue for 12 months; its portal user `acme`."""
    connection.set_schema_to_public()
    partner = partner_create(name="Acme Resellers", referral_code="acme", actor="test")
    CommissionRule.objects.create(partner=partner, app_key="crm", percent=Decimal("20"),
                                  duration_months=12)  # fmt: skip
    user = get_user_model().objects.create_user("acme", password="acme-pass-123")
    PartnerUser.objects.create(partner=partner, user=user)
    return partner
