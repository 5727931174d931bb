from apps.platform.licensing.models.subscriptions import Subscription, SubscriptionEvent

__all__ = ["Subscription", "SubscriptionEvent"]
