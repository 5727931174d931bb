"""Catalog app "ISP Framework": subscribers, service plans, services and the billing engine."""
