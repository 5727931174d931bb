"""Entitlements are derived from apps, plans and subscriptions: any committed change to one of
them, through whatever path (services, console, a shell), invalidates them everywhere."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.platform.catalog.models import App, Plan
from apps.platform.licensing import entitlements
from apps.platform.licensing.models import Subscription


@receiver([post_save, post_delete], sender=App)
@receiver([post_save, post_delete], sender=Plan)
@receiver([post_save, post_delete], sender=Subscription)
def _entitlements_changed(sender, **kwargs):
    transaction.on_commit(entitlements.invalidate)
