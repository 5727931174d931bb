"""ISP Framework models, one module per aggregate. The network side (IPAM, devices, monitoring)
and support (tickets) arrive later as models/network.py and models/support.py."""

from apps.isp.models.billing import *  # noqa: F403
from apps.isp.models.customers import *  # noqa: F403
from apps.isp.models.dunning import *  # noqa: F403
from apps.isp.models.plans import *  # noqa: F403
from apps.isp.models.subscriptions import *  # noqa: F403
