"""The API's JSON parser: DRF's, with a bound on how deep a body may nest (a body nested a
thousand levels deep made the decoder overflow the stack: a 500)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: How deep a JSON body may nest (objects and arrays); no resource needs more than a few.
MAX_DEPTH = 32


def _depth_exceeds(data, limit: int) -> bool:
    """Whether `data` nests deeper than `limit`, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _depth_exceeds(data, MAX_DEPTH)
        if too_deep:
            raise ParseError(f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels.")
        return data
