"""The OpenAPI schema describes what clients really receive: the envelope, not bare serializers
(the kit's declarations are read by apps.core.api.autoschema)."""

META = {
    "type": "object",
    "properties": {
        "timestamp": {"type": "string", "format": "date-time"},
        "version": {"type": "string"},
    },
    "required": ["timestamp", "version"],
}
PAGINATED_META = {
    "type": "object",
    "properties": {
        **META["properties"],
        "pagination": {
            "type": "object",
            "properties": {
                name: {"type": "integer"} for name in ("count", "page", "page_size", "pages")
            },
            "required": ["count", "page", "page_size", "pages"],
        },
    },
    "required": ["timestamp", "version", "pagination"],
}
LINKS = {
    "type": "object",
    "properties": {
        "self": {"type": "string", "nullable": True},
        "next": {"type": "string", "nullable": True},
        "prev": {"type": "string", "nullable": True},
    },
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
                    },
                },
                "request_id": {"type": "string"},
            },
            "required": ["code", "message", "details", "request_id"],
        }
    },
    "required": ["error"],
}


def resource_schema(attributes: dict) -> dict:
    return {
        "type": "object",
        "properties": {
            "id": {"type": "string", "nullable": True},
            "type": {"type": "string"},
            "attributes": attributes,
            "links": {"type": "object", "properties": {"self": {"type": "string"}}},
        },
        "required": ["id", "type", "attributes"],
    }


def list_envelope_schema(item: dict) -> dict:
    return {
        "type": "object",
        "x-dotmac-envelope": True,
        "properties": {
            "data": {"type": "array", "items": resource_schema(item)},
            "meta": PAGINATED_META,
            "links": LINKS,
        },
        "required": ["data", "meta", "links"],
    }


def object_envelope_schema(attributes: dict) -> dict:
    return {
        "type": "object",
        "x-dotmac-envelope": True,
        "properties": {"data": resource_schema(attributes), "meta": META, "links": LINKS},
        "required": ["data", "meta", "links"],
    }


def _is_enveloped(schema: dict, components: dict) -> bool:
    ref = schema.get("$ref")
    if ref:
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    return bool(schema.get("x-dotmac-envelope"))


def envelope_postprocessing_hook(result, generator, request, public):
    """Wrap every 2xx JSON response in the envelope and document the error envelope."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorEnvelope"] = ERROR_ENVELOPE
    error_ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status_code, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if not content or not str(status_code).startswith("2"):
                    continue
                schema = content.get("schema", {})
                if _is_enveloped(schema, components):
                    continue
                if schema.get("type") == "array":
                    content["schema"] = {
                        "type": "object",
                        "properties": {
                            "data": {"type": "array", "items": resource_schema(schema["items"])},
                            "meta": META,
                            "links": LINKS,
                        },
                    }
                else:
                    content["schema"] = object_envelope_schema(schema)
            operation["responses"].setdefault(
                "default",
                {
                    "description": "Error envelope (any 4xx/5xx)",
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
    return result
