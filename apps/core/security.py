"""The Content-Security-Policy of each response, chosen by what the response is.

django-csp's middleware sends one policy (settings.CONTENT_SECURITY_POLICY) on everything. That
policy is written for pages; a response that is not HTML gets the policy of a document that may
load and run nothing, CONTENT_SECURITY_POLICY_NON_HTML (`default-src 'none'`): should a browser
ever render an API answer, a CSV export or a static file as a document, nothing in it runs. A
PDF gets none (PLUGIN_DOCUMENTS). A policy a view sets for itself (django-csp's decorators) or a
nonce a template asks for is django-csp's own business, as usual.
"""

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings

HTML = "text/html"
# Shown by the browser's own viewer, a plugin that a policy's object-src 'none' (implied by
# default-src 'none') would block in Chrome; the invoice PDFs we render hold no script, and
# X-Frame-Options still keeps them out of frames.
PLUGIN_DOCUMENTS = ("application/pdf",)
# What a view sets on its response to have a policy of its own (django-csp's decorators).
OWN_POLICY = tuple(
    f"_csp_{kind}{ro}" for kind in ("config", "update", "replace") for ro in ("", "_ro")
)


def media_type(response) -> str:
    return response.get("Content-Type", "").split(";")[0].strip().lower()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: the page policy on HTML, the non-HTML policy on the rest.

    The two headers are built once. Almost every answer uses no nonce and sets no policy of
    its own, and django-csp would build the same header again for each (some 50 µs a request);
    any other answer goes through django-csp's own path.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        plain = not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) and not (
            settings.CONTENT_SECURITY_POLICY.get("EXCLUDE_URL_PREFIXES")
        )
        non_html = settings.CONTENT_SECURITY_POLICY_NON_HTML["DIRECTIVES"]
        self.headers = {True: build_policy(), False: build_policy(config=non_html)} if plain else {}

    def process_response(self, request, response):
        kind = media_type(response)
        if kind in PLUGIN_DOCUMENTS:
            response._csp_exempt = True
        usual = (
            bool(self.headers)
            and getattr(request, "_csp_nonce", None) is None
            and not any(hasattr(response, attribute) for attribute in OWN_POLICY)
        )
        if not usual:
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's debug pages, as django-csp leaves them
        if not getattr(response, "_csp_exempt", False):
            response.setdefault(HEADER, self.headers[kind == HTML])
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        set_by_the_view = parts.config or parts.update or parts.replace
        if not report_only and not set_by_the_view and media_type(response) != HTML:
            parts.config = settings.CONTENT_SECURITY_POLICY_NON_HTML["DIRECTIVES"]
        return parts
