"""ISP Framework models, one module per aggregate. The network side (IPAM now; devices and
monitoring next) is models/network.py; support (tickets) arrives later as models/support.py."""

from apps.isp.models.billing import *  # noqa: F403
from apps.isp.models.customers import *  # noqa: F403
from apps.isp.models.dunning import *  # noqa: F403
from apps.isp.models.network import *  # noqa: F403
from apps.isp.models.plans import *  # noqa: F403
from apps.isp.models.subscriptions import *  # noqa: F403
