from apps.platform.partners.models.partners import *  # noqa: F403
