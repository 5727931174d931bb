"""ISP Framework models, one module per aggregate. The network side is models/network.py
(IPAM) and models/inventory.py (sites, devices, circuits); support is
models/support.py (tickets, SLAs) and field work models/field.py (work orders)."""

from apps.isp.models.billing import *  # noqa: F403
from apps.isp.models.charges import *  # noqa: F403
from apps.isp.models.customers import *  # noqa: F403
from apps.isp.models.dunning import *  # noqa: F403
from apps.isp.models.field import *  # noqa: F403
from apps.isp.models.inventory import *  # noqa: F403
from apps.isp.models.monitoring import *  # noqa: F403
from apps.isp.models.network import *  # noqa: F403
from apps.isp.models.plans import *  # noqa: F403
from apps.isp.models.radius import *  # noqa: F403
from apps.isp.models.subscriptions import *  # noqa: F403
from apps.isp.models.support import *  # noqa: F403
