"""JSON bodies read as the schema describes them: a string field takes a string.

DRF's CharField (and EmailField, SlugField, URLField, RegexField... built on it) turns a
number into its text (`{"name": 0}` made a stage called "0"), although the OpenAPI schema says
`type: string`; a generated client, or a fuzzer's schema-violating body, was accepted. Every
serializer of every app inherits the rule from here, installed once (apps.core.apps). Form
posts are unaffected: their values are always strings.
"""

from rest_framework import serializers

_lenient = serializers.CharField.to_internal_value


def _to_internal_value(self, data):
    if not isinstance(data, str):
        self.fail("invalid")
    return _lenient(self, data)


def install() -> None:
    serializers.CharField.to_internal_value = _to_internal_value
