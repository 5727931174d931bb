"""The platform's billing day, as celery beat runs it (and the time-travel tests do)."""

from __future__ import annotations

from django.utils import timezone

from apps.platform.billing.services import changes, collection, runs
from apps.platform.billing.services.periods import period_of


def billing_day() -> dict:
    """Trials that ended, this period's invoices (a no-op once made), the payments due today,
    then dunning. Each step is idempotent: running the day twice changes nothing more."""
    today = timezone.localdate()
    outcome = {"trials": changes.trials_process()}
    run = runs.run_request(period_start=period_of(today)[0])
    outcome["invoices"] = runs.run_execute(run=run).invoices_created
    outcome["collected"] = collection.collect_due(today=today)
    outcome["dunning"] = collection.dunning_advance()
    return outcome
