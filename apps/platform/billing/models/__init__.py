from apps.platform.billing.models.accounts import *  # noqa: F403
from apps.platform.billing.models.invoices import *  # noqa: F403
from apps.platform.billing.models.prices import *  # noqa: F403
