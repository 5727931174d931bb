"""ISP API serializers, a module per subdomain (gathered here): resources as clients see them,
and the inputs of the named actions. They shape data only; the rules live in the services.

Amounts are JSON strings with two decimals ("12.50", never floats), each next to its currency:
documents (invoices, credit notes, payments) carry their own; balances and prices are in the
organisation's currency.
"""

from apps.isp.api.serializers.billing import *  # noqa: F403
from apps.isp.api.serializers.customers import *  # noqa: F403
from apps.isp.api.serializers.field import *  # noqa: F403
from apps.isp.api.serializers.inventory import *  # noqa: F403
from apps.isp.api.serializers.network import *  # noqa: F403
from apps.isp.api.serializers.plans import *  # noqa: F403
from apps.isp.api.serializers.portal import *  # noqa: F403
from apps.isp.api.serializers.radius import *  # noqa: F403
from apps.isp.api.serializers.runs import *  # noqa: F403
from apps.isp.api.serializers.services import *  # noqa: F403
from apps.isp.api.serializers.support import *  # noqa: F403
