from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.core.localcache import tenancy_cache
from apps.platform.tenants.models import Domain, Tenant


@receiver([post_save, post_delete], sender=Tenant)
@receiver([post_save, post_delete], sender=Domain)
def _forget_routes(sender, **kwargs):
    # After commit: another worker must not reload the old row before the change is visible.
    transaction.on_commit(tenancy_cache.invalidate)
