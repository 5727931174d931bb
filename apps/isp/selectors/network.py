"""IPAM reads: prefixes with their depth in the tree and what they hold, in one query.

A prefix's depth is the number of prefixes of its VRF that contain it; what it holds is its
addresses (a prefix handing out addresses) or the space its top-level children cover (a
container). Both are subqueries on the GiST indexes, so a page of prefixes stays one query.
"""

from django.db.models.expressions import RawSQL

from apps.isp.models import IPAddress, Prefix

__all__ = ["prefix_addresses", "prefix_utilisation", "prefixes_with_usage"]

_SAME_VRF = "{alias}.vrf_id IS NOT DISTINCT FROM isp_prefix.vrf_id"
_DEPTH = f"""(SELECT count(*) FROM isp_prefix AS outer_p
    WHERE {_SAME_VRF.format(alias="outer_p")} AND outer_p.prefix >> isp_prefix.prefix)"""
_ADDRESSES = f"""(SELECT count(*) FROM isp_ipaddress AS a
    WHERE {_SAME_VRF.format(alias="a")} AND a.address <<= isp_prefix.prefix)"""
_SIZE = "power(2::numeric, (CASE family({p}) WHEN 4 THEN 32 ELSE 128 END) - masklen({p}))"
_COVERED = f"""(SELECT coalesce(sum({_SIZE.format(p="c.prefix")}), 0) FROM isp_prefix AS c
    WHERE {_SAME_VRF.format(alias="c")} AND c.prefix << isp_prefix.prefix
      AND NOT EXISTS (SELECT 1 FROM isp_prefix AS m
          WHERE m.vrf_id IS NOT DISTINCT FROM c.vrf_id AND m.prefix << isp_prefix.prefix
            AND c.prefix << m.prefix))"""


def prefixes_with_usage(queryset=None):
    """Prefixes annotated with `depth`, `address_count` and `child_space` (addresses covered by
    the top-level child prefixes)."""
    queryset = Prefix.objects.all() if queryset is None else queryset
    return queryset.select_related("vrf").annotate(
        depth=RawSQL(_DEPTH, ()),
        address_count=RawSQL(_ADDRESSES, ()),
        child_space=RawSQL(_COVERED, ()),
    )


def prefix_addresses(prefix: Prefix, queryset=None):
    """The addresses recorded inside a prefix, in its VRF (what `address_count` counts)."""
    queryset = IPAddress.objects.all() if queryset is None else queryset
    return queryset.filter(vrf_id=prefix.vrf_id, address__net_contained_or_equal=str(prefix.prefix))


def prefix_utilisation(prefix: Prefix) -> float:
    """Percent used: a container's share covered by child prefixes, another prefix's usable
    addresses in use (at most 100)."""
    if prefix.status == Prefix.Status.CONTAINER:
        used, size = int(getattr(prefix, "child_space", 0)), prefix.network.num_addresses
    else:
        used, size = int(getattr(prefix, "address_count", 0)), prefix.usable_size
    return round(min(100.0, 100.0 * used / size), 2) if size else 0.0
