"""Serializer base classes for every app."""

import copy
import operator

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import ISO_8601, api_settings

from apps.core.dates import out_of_bounds
from apps.core.kit import organisation

#: Money fields: 14 digits, 2 decimals, written as strings ("12.50").
MONEY = {"max_digits": 14, "decimal_places": 2}


class _Bounded:
    """A date or time refused outside apps.core.dates' bounds (a year 9999 overflowed)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        problem = out_of_bounds(parsed)
        if problem:
            raise serializers.ValidationError(problem)
        return parsed


class DateField(_Bounded, serializers.DateField):
    pass


class DateTimeField(_Bounded, serializers.DateTimeField):
    pass


@extend_schema_field({
    "type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "example": "09:00:00",
})  # fmt: skip
class TimeField(serializers.TimeField):
    """A wall-clock time ("09:00", "17:30:00"): no offset, so the schema says so with a pattern
    (JSON Schema's `time` format demands one, and a validator would refuse DRF's own output)."""


#: Field classes whose `to_representation` depends on the field's own arguments only, never
#: on its parent, the context or the request: one prototype of each such field of a serializer
#: class serves every row of every request. Exact classes: a subclass may read the context.
_PLAIN_FIELDS = frozenset({
    serializers.BigIntegerField, serializers.BooleanField, serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField, serializers.DecimalField, serializers.DurationField,
    serializers.FloatField, serializers.IPAddressField, serializers.JSONField,
    serializers.MultipleChoiceField, serializers.TimeField, serializers.UUIDField,
    DateField, DateTimeField, TimeField,
})  # fmt: skip
#: DRF's to_representation of these is `str(value)`, of these `int(value)`, of these the value.
_STR_FIELDS = frozenset({serializers.CharField, serializers.EmailField, serializers.SlugField,
                         serializers.URLField, serializers.RegexField})  # fmt: skip
_INT_FIELDS = frozenset({serializers.IntegerField})
_SAME_FIELDS = frozenset({serializers.ReadOnlyField})


def _same(value):
    return value


def _datetime_converter(field):
    """DRF's DateTimeField.to_representation for its common case, an aware datetime written in
    ISO 8601 in the current time zone, without its layers (each row has two or three); every
    other case (naive, a string, another format, an overflow) is the field's own."""
    own = field.to_representation
    if getattr(field, "format", api_settings.DATETIME_FORMAT) != ISO_8601 or hasattr(
        field, "timezone"
    ):
        return own

    def convert(value):
        if not value or isinstance(value, str) or value.utcoffset() is None:
            return own(value)
        zone = field.default_timezone()
        if zone is None:
            return own(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return own(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


class _RepresentationPlan:
    """How a serializer class turns one model instance into its representation, worked out once
    per class: for each readable field, either a getter and a converter that do what the field
    would (a concrete column read as an attribute, converted by the field's prototype), or None:
    that field (a method field, a dotted source, a nested serializer, one that reads the
    context) is the serializer instance's own, used as DRF uses it."""

    def __init__(self, model, blueprint: dict):
        self.model = model
        parent = serializers.Serializer()  # the prototypes' parent: no context, no request
        self.entries = []
        self.signature = []
        for name, field in copy.deepcopy(blueprint).items():
            if field.write_only:
                continue
            self.signature.append((name, type(field), field.source))
            field.bind(name, parent)
            self.entries.append((name, *self._compiled(field)))
        self.signature = tuple(self.signature)
        self.own = tuple(name for name, getter, _ in self.entries if getter is None)

    def _compiled(self, field):
        kind = type(field)
        if len(field.source_attrs) != 1 or getattr(field.default, "requires_context", False):
            return None, None
        try:
            column = self.model._meta.get_field(field.source_attrs[0])
        except Exception:  # a property, a method, a reverse relation: the field's own way
            return None, None
        if not getattr(column, "concrete", False) or column.many_to_many:
            return None, None
        if column.is_relation:
            if kind is relations.PrimaryKeyRelatedField and field.pk_field is None:
                return operator.attrgetter(column.attname), _same
            return None, None
        getter = operator.attrgetter(column.attname)
        if kind in _STR_FIELDS:
            return getter, str
        if kind in _INT_FIELDS:
            return getter, int
        if kind in _SAME_FIELDS:
            return getter, _same
        if kind in (serializers.DateTimeField, DateTimeField):
            return getter, _datetime_converter(field)
        if kind in _PLAIN_FIELDS:
            return getter, field.to_representation
        return None, None


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, with its fields built from the model once per class, not per use,
    and its rows represented by a plan compiled once per class.

    DRF introspects the model and builds every field anew each time a serializer is created,
    about 0.2 ms per request for a dozen fields (benchmarks/profile_api.py). The result depends
    only on the class, so it is built once and each instance gets a deep copy (fresh, unbound
    field objects, exactly as DRF's declared fields are copied). A subclass whose fields depend
    on the request or instance must override `get_fields` itself (it then keeps DRF's
    representation).

    Representing a row, DRF calls two methods of every field through a generator, a try and a
    callable check; a 25-row page of 15 fields is 750 such calls. `to_representation` instead
    follows the class's `_RepresentationPlan`: a concrete column is read as an attribute and
    converted as its field would (`str` for a CharField, the prototype's `to_representation`
    for a date or a decimal); any other field is this instance's own, bound and called as DRF
    does (only those fields are built for a read). The output is DRF's, key for key (tests/
    core/test_api_fastpath.py compares them over every serializer of every app); a serializer
    whose fields were changed after they were built (`self.fields.pop(...)` in `__init__`)
    is represented by DRF's own code.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: DateField,
        models.TimeField: TimeField,
        models.DateTimeField: DateTimeField,
    }

    def get_fields(self):
        return copy.deepcopy(self._blueprint())

    def _blueprint(self) -> dict:
        cls = type(self)
        blueprint = cls.__dict__.get("_fields_blueprint")
        if blueprint is None:
            blueprint = super().get_fields()
            cls._fields_blueprint = blueprint
        return blueprint

    def _plan(self) -> _RepresentationPlan | None:
        cls = type(self)
        try:
            return cls.__dict__["_representation_plan"]
        except KeyError:
            pass
        plan = None
        if cls.get_fields is ModelSerializer.get_fields and not _overrides_fields(cls):
            plan = _RepresentationPlan(cls.Meta.model, self._blueprint())
        cls._representation_plan = plan
        return plan

    def _own_field(self, name: str):
        """This instance's field `name`: from `self.fields` once they are built, else that one
        field alone, copied from the blueprint and bound here as BindingDict binds it."""
        if "fields" in self.__dict__:
            return self.fields[name]
        own = self.__dict__.setdefault("_own_fields", {})
        field = own.get(name)
        if field is None:
            field = own[name] = copy.deepcopy(self._blueprint()[name])
            field.bind(field_name=name, parent=self)
        return field

    def _plan_holds(self, plan: _RepresentationPlan) -> bool:
        """The plan is this instance's unless its fields were changed after they were built."""
        holds = self.__dict__.get("_plan_checked")
        if holds is None:
            if "fields" in self.__dict__:
                readable = tuple(
                    (name, type(field), field.source)
                    for name, field in self.fields.items()
                    if not field.write_only
                )  # fmt: skip
                holds = readable == plan.signature
            else:
                holds = True
            self.__dict__["_plan_checked"] = holds
        return holds

    def to_representation(self, instance):
        plan = self._plan()
        if plan is None or not isinstance(instance, plan.model) or not self._plan_holds(plan):
            return super().to_representation(instance)
        ret = {}
        for name, getter, convert in plan.entries:
            if getter is not None:
                value = getter(instance)
                ret[name] = None if value is None else convert(value)
                continue
            field = self._own_field(name)
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check is None else field.to_representation(attribute)
        return ret


def _overrides_fields(cls) -> bool:
    """Whether a class between `cls` and ModelSerializer changes which fields are read."""
    for klass in cls.__mro__:
        if klass is ModelSerializer:
            return False
        if "fields" in klass.__dict__ or "_readable_fields" in klass.__dict__:
            return True
    return True


@extend_schema_field(OpenApiTypes.STR)
class CurrencyField(serializers.Field):
    """The organisation's currency (apps.core.kit.organisation), for amounts that do not carry
    their own; read once per response and shared by every row of a list."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value) -> str:
        context = self.context
        if "_currency" not in context:
            context["_currency"] = organisation.currency()
        return context["_currency"]
