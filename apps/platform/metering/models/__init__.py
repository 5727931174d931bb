from apps.platform.metering.models.usage import *  # noqa: F403
