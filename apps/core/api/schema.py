"""The OpenAPI schema describes what clients really receive: the envelope, not bare serializers
(the kit's declarations are read by apps.core.api.autoschema).

`envelope_postprocessing_hook` runs once over the whole generated schema, for every app:

- every 2xx JSON answer becomes the envelope `{data, meta, links}` as apps.core.api.envelope
  writes it: a resource is `{id, type, attributes, links?}` whose `id` is the serializer's `id`
  taken out of the attributes (a string; null when the serializer has none), a page carries
  `meta.pagination` and `links.self/next/prev` (apps.core.api.pagination), an unpaginated list
  only `links.self`;
- every operation lists the errors it can answer, each in the ErrorEnvelope: 400 when it takes
  input, 404 when it names an object, 409 and 413 when it writes, and 401, 403, 429, 503
  everywhere; 429 and 503 carry Retry-After, every answer X-Request-ID.
"""

import copy
import re

META = {
    "type": "object",
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "version": {"type": "string"},
    },
    "required": ["timestamp", "version"],
}
PAGINATION = {
    "type": "object",
    "properties": {
        **{name: {"type": "integer"} for name in ("count", "page", "page_size", "pages")},
        "count_is_estimate": {
            "type": "boolean",
            "description": "Present (true) only when `count` and `pages` are the database's "
            "estimate: a list longer than API_COUNT_EXACT_UP_TO rows is not counted exactly.",
        },
    },
    "required": ["count", "page", "page_size", "pages"],
}
PAGINATED_META = {
    "type": "object",
    "properties": {**META["properties"], "pagination": PAGINATION},
    "required": ["timestamp", "version", "pagination"],
}
#: The links of a page (self, next, prev: host-relative, null at either end).
PAGE_LINKS = {
    "type": "object",
    "properties": {
        "self": {"type": "string"},
        "next": {"type": "string", "nullable": True},
        "prev": {"type": "string", "nullable": True},
    },
    "required": ["self", "next", "prev"],
}
#: The links of an object or an unpaginated list.
LINKS = {
    "type": "object",
    "properties": {"self": {"type": "string"}},
    "required": ["self"],
}
ERROR_ENVELOPE = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "VALIDATION_ERROR"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string", "nullable": True},
                            "message": {"type": "string"},
                        },
                        "required": ["field", "message"],
                    },
                },
                "request_id": {"type": "string"},
            },
            "required": ["code", "message", "details", "request_id"],
        }
    },
    "required": ["error"],
}
#: Marks the schemas built here (resources and envelopes), so the hook finds and finishes them.
RESOURCE_MARK = "x-dotmac-resource"
ENVELOPE_MARK = "x-dotmac-envelope"

HEADERS = {
    "X-Request-ID": {
        "description": "The request's id, as in the error envelope's `request_id`.",
        "schema": {"type": "string"},
        "required": True,
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "required": True,
    },
}
REQUEST_ID_HEADER = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
RETRY_AFTER_HEADER = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
ERRORS = {
    "400": "VALIDATION_ERROR: the input (body or query) is invalid; nothing was written.",
    "401": "NOT_AUTHENTICATED: no credentials, or invalid or expired ones.",
    "403": "PERMISSION_DENIED, APP_NOT_SUBSCRIBED, FEATURE_NOT_IN_PLAN or LIMIT_EXCEEDED.",
    "404": "NOT_FOUND: no such object, or not one the requester may see.",
    "409": "CONFLICT: the request conflicts with the current state (e.g. still referenced).",
    "413": "PAYLOAD_TOO_LARGE: the body is larger than the server accepts.",
    "429": "RATE_LIMITED: too many requests; retry after Retry-After seconds.",
    "503": "SERVICE_UNAVAILABLE: a data store is down; retry after Retry-After seconds.",
}
WRITES = ("post", "put", "patch", "delete")


def resource_schema(attributes: dict) -> dict:
    """A resource object; the hook moves the attributes' `id` to the resource."""
    return {
        "type": "object",
        RESOURCE_MARK: True,
        "properties": {
            "id": {"type": "string", "nullable": True},
            "type": {"type": "string"},
            "attributes": attributes,
            "links": {
                "type": "object",
                "properties": {"self": {"type": "string"}},
                "required": ["self"],
            },
        },
        "required": ["id", "type", "attributes"],
    }


def list_envelope_schema(item: dict) -> dict:
    """A page (apps.core.api.pagination.EnvelopePagination)."""
    return {
        "type": "object",
        ENVELOPE_MARK: True,
        "properties": {
            "data": {"type": "array", "items": resource_schema(item)},
            "meta": PAGINATED_META,
            "links": PAGE_LINKS,
        },
        "required": ["data", "meta", "links"],
    }


def unpaginated_list_envelope_schema(item: dict) -> dict:
    return {
        "type": "object",
        ENVELOPE_MARK: True,
        "properties": {
            "data": {"type": "array", "items": resource_schema(item)},
            "meta": META,
            "links": LINKS,
        },
        "required": ["data", "meta", "links"],
    }


def object_envelope_schema(attributes: dict) -> dict:
    return {
        "type": "object",
        ENVELOPE_MARK: True,
        "properties": {"data": resource_schema(attributes), "meta": META, "links": LINKS},
        "required": ["data", "meta", "links"],
    }


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _without_id(schema: dict) -> dict:
    stripped = copy.deepcopy(schema)
    stripped["properties"].pop("id", None)
    required = [name for name in stripped.get("required", []) if name != "id"]
    if required:
        stripped["required"] = required
    else:
        stripped.pop("required", None)
    return stripped


def _finish_resource(resource: dict, components: dict) -> None:
    """The renderer's split: `id` out of the attributes into the resource (a string), a value
    that is not an object as `{"value": ...}`."""
    resource.pop(RESOURCE_MARK)
    properties = resource["properties"]
    attributes = properties["attributes"]
    target = _resolve(attributes, components)
    if target.get("type") not in (None, "object") or "allOf" in target or "oneOf" in target:
        if target.get("type") not in (None, "object"):
            properties["attributes"] = {
                "type": "object",
                "properties": {"value": attributes},
                "required": ["value"],
            }
        return
    if "id" not in target.get("properties", {}):
        properties["id"] = {"type": "string", "nullable": True, "enum": [None]}
        return
    properties["id"] = {"type": "string"}
    ref = attributes.get("$ref")
    if ref is None:
        properties["attributes"] = _without_id(target)
        return
    name = f"{ref.rsplit('/', 1)[-1]}Attributes"
    if name not in components:
        components[name] = _without_id(target)
    properties["attributes"] = {"$ref": f"#/components/schemas/{name}"}


#: drf-spectacular's pattern of a DecimalField, which also matches "", "-" and "." (none of
#: them a number DRF takes).
_SPECTACULAR_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _fix_decimal_pattern(schema: dict) -> None:
    """A decimal string as DRF reads it: at least one digit ("12", "12.", ".5", "-0.25")."""
    found = _SPECTACULAR_DECIMAL.match(schema.get("pattern", ""))
    if schema.get("format") != "decimal" or not found:
        return
    whole, decimals = found.groups()
    if whole == "0":
        schema["pattern"] = rf"^-?0?\.\d{{1,{decimals}}}$"
    elif decimals == "0":
        schema["pattern"] = rf"^-?\d{{1,{whole}}}\.?$"
    else:
        schema["pattern"] = (
            rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{decimals}}})?|\.\d{{1,{decimals}}})$"
        )


def _walk(node, visit) -> None:
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get(RESOURCE_MARK):
                visit(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _walk_all(node, visit) -> None:
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            visit(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _error(status_code: str, error_ref: dict) -> dict:
    headers = dict(REQUEST_ID_HEADER)
    if status_code in ("429", "503"):
        headers.update(RETRY_AFTER_HEADER)
    return {
        "description": ERRORS[status_code],
        "headers": headers,
        "content": {"application/json": {"schema": error_ref}},
    }


def _errors_of(method: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in parameters)
    codes = ["401", "403", "429", "503"]
    if takes_input:
        codes.append("400")
    if any(p.get("in") == "path" for p in parameters):
        codes.append("404")
    if method in WRITES:
        codes.append("409")
    if "requestBody" in operation:
        codes.append("413")
    return sorted(codes)


def _wrap(schema: dict, components: dict) -> dict:
    if _resolve(schema, components).get(ENVELOPE_MARK):
        return schema
    if schema.get("type") == "array":
        return unpaginated_list_envelope_schema(schema["items"])
    return object_envelope_schema(schema)


def _link_name(method: str, path: str) -> str:
    words = [w for w in path.strip("/").split("/")[2:] if w != "{id}"]
    return method.capitalize() + "".join(
        w.replace("-", " ").title().replace(" ", "") for w in words
    )


def _add_links(paths: dict) -> None:
    """OpenAPI links from what a collection answers to its objects' operations: the object a
    create answered (`data.id`), the first row of a page (`data.0.id`), so that a client (or
    schemathesis's stateful phase) can follow create -> read/update/delete."""
    for collection, item in paths.items():
        members = [
            (path, method, operation)
            for path, member in paths.items()
            if path.startswith(f"{collection}{{id}}/")
            for method, operation in member.items()
            if isinstance(operation, dict) and "operationId" in operation
        ]
        if not members:
            continue
        for method, source in (("post", "/data/id"), ("get", "/data/0/id")):
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            for status_code, response in operation["responses"].items():
                if not str(status_code).startswith("2") or "content" not in response:
                    continue
                response["links"] = {
                    _link_name(member_method, path): {
                        "operationId": member["operationId"],
                        "parameters": {"id": f"$response.body#{source}"},
                    }
                    for path, member_method, member in members
                }


def envelope_postprocessing_hook(result, generator, request, public):
    """Describe the envelope of every answer, success and error, for every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorEnvelope"] = ERROR_ENVELOPE
    result["components"].setdefault("headers", {}).update(copy.deepcopy(HEADERS))
    error_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status_code, response in responses.items():
                response.setdefault("headers", {}).update(REQUEST_ID_HEADER)
                content = response.get("content", {}).get("application/json")
                if content and str(status_code).startswith("2"):
                    content["schema"] = _wrap(content.get("schema", {}), components)
            for status_code in _errors_of(method, operation):
                responses.setdefault(status_code, _error(status_code, error_ref))
            responses.setdefault(
                "default",
                {
                    "description": "Error envelope (any other 4xx/5xx)",
                    "headers": dict(REQUEST_ID_HEADER),
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
    _walk(result, lambda resource: _finish_resource(resource, components))
    _walk_all(result, _fix_decimal_pattern)
    _add_links(result.get("paths", {}))
    return result
