from apps.crm.models.accounts import Account, Contact
from apps.crm.models.activities import Activity
from apps.crm.models.leads import Lead
from apps.crm.models.pipeline import Opportunity, Stage, StageChange

__all__ = [
    "Account", "Activity", "Contact", "Lead", "Opportunity", "Stage", "StageChange",
]  # fmt: skip
