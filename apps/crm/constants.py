"""Names and choices of the CRM shared by models, services, API and pages."""

from django.db import models

APP_KEY = "crm"
AREA = "crm"
FORECASTING = "crm.forecasting"
MAX_USERS = "crm.max_users"

#: Models whose rows have an owner and are visible per user (object permissions).
OWNED_MODELS = ("account", "contact", "lead", "opportunity", "activity")
OWNER_ACTIONS = ("view", "change", "delete")
SHARE_ACTIONS = ("view", "change")


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    UNQUALIFIED = "unqualified", "Unqualified"
    CONVERTED = "converted", "Converted"


class LeadSource(models.TextChoices):
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    EVENT = "event", "Event"
    COLD_CALL = "cold_call", "Cold call"
    CAMPAIGN = "campaign", "Campaign"
    PARTNER = "partner", "Partner"
    OTHER = "other", "Other"


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    TASK = "task", "Task"
    NOTE = "note", "Note"


#: (name, win probability %, kind): the pipeline every tenant starts with (editable).
DEFAULT_STAGES = (
    ("Prospecting", 10, StageKind.OPEN),
    ("Qualification", 25, StageKind.OPEN),
    ("Proposal", 50, StageKind.OPEN),
    ("Negotiation", 75, StageKind.OPEN),
    ("Won", 100, StageKind.WON),
    ("Lost", 0, StageKind.LOST),
)

#: Largest CSV accepted by the import (bytes) and rows per import.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 5000
