"""Reads of the ISP app that pages (and the party directory) reuse, a module per subject
(gathered here): accounts, services and documents; the dashboard's figures and its monthly
series. Every one is a fixed number of SQL statements whatever the number of rows (aggregates
and subqueries, never a query per row)."""

from apps.isp.selectors.accounts import *  # noqa: F403
from apps.isp.selectors.dashboard import *  # noqa: F403
