from apps.projects.models.extras import *  # noqa: F403
from apps.projects.models.links import *  # noqa: F403
from apps.projects.models.notifications import *  # noqa: F403
from apps.projects.models.projects import *  # noqa: F403
from apps.projects.models.tasks import *  # noqa: F403
from apps.projects.models.templates import *  # noqa: F403
from apps.projects.models.time import *  # noqa: F403
