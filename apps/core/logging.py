"""Structured logging: every record carries the request id and tenant schema."""

import logging

from apps.core.context import request_id_var, tenant_var


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        return True
