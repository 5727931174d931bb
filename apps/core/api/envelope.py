"""Building the success envelope of DESIGN.md §4: {data, meta, links}."""

from datetime import UTC, datetime

from django.conf import settings


class PaginatedData(list):
    """A page of serialized rows, carrying the pagination meta and links the renderer needs."""

    def __init__(self, rows, *, pagination: dict, links: dict):
        super().__init__(rows)
        self.pagination = pagination
        self.links = links


def meta() -> dict:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "version": settings.API_VERSION,
    }


def resource_type_of(view) -> str:
    """The `type` of a resource object: declared on the view, else the model's name."""
    declared = getattr(view, "resource_type", None)
    if declared:
        return declared
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        return queryset.model._meta.model_name
    return "object"


def resource(item, type_: str, self_link: str | None = None) -> dict:
    if isinstance(item, dict):
        attributes = dict(item)
        identifier = attributes.pop("id", None)
    else:
        attributes, identifier = {"value": item}, None
    obj = {
        "id": None if identifier is None else str(identifier),
        "type": type_,
        "attributes": attributes,
    }
    if self_link:
        obj["links"] = {"self": self_link}
    return obj


def document(data, *, request, view) -> dict:
    """Wrap a serializer's output (object, list or page) in the envelope."""
    type_ = resource_type_of(view)
    path = request.path if request is not None else None
    action = getattr(view, "action", None)
    if isinstance(data, PaginatedData):
        return {
            "data": [resource(row, type_, _member_link(path, row, view)) for row in data],
            "meta": {**meta(), "pagination": data.pagination},
            "links": data.links,
        }
    if isinstance(data, list):
        return {
            "data": [resource(row, type_, _member_link(path, row, view)) for row in data],
            "meta": meta(),
            "links": {"self": request.get_full_path() if request is not None else None},
        }
    obj = resource(data, type_)
    self_link = request.get_full_path() if request is not None else None
    if action == "create" and obj["id"] is not None and path:
        self_link = f"{path}{obj['id']}/"
    return {"data": obj, "meta": meta(), "links": {"self": self_link}}


def _member_link(list_path: str | None, row, view) -> str | None:
    """The detail URL of a row of a router-generated list (`<list>/<id>/`)."""
    if not list_path or getattr(view, "action", None) != "list" or not isinstance(row, dict):
        return None
    if row.get("id") is None:
        return None
    return f"{list_path}{row['id']}/"
