"""Self-service signup pages of the public host (mounted in dotmac/urls_public.py only).

Only the person who signed up may follow their workspace being prepared: the status pages ask
for a token that signs the tenant's pk and slug (kept in their session too, so a reload without
`?t=` works). Any other visitor, including one holding the token of another workspace, gets the
same 404 as for a workspace that does not exist.
"""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from apps.core.errors import ErrorCode, error_response
from apps.core.exceptions import ConflictError
from apps.platform.tenants import services
from apps.platform.tenants.forms import SLUG_TAKEN, SignupForm, slug_problem
from apps.platform.tenants.models import Tenant

STATUS_SALT = "signup-status"
STATUS_MAX_AGE = 24 * 3600  # seconds; by then the workspace is long ready
SESSION_KEY = "signup_status_tokens"

Status = Tenant.Status

# What the person sees while provisioning runs: the service records the last step it finished.
STEPS = [
    ("request", "Request received"),
    ("schema", "Creating your private database"),
    ("initialisers", "Setting up your administrator account"),
    ("subscriptions", "Starting your free trials"),
    ("domain", "Connecting your workspace address"),
]
STATUS_MESSAGES = {
    Status.PENDING: "Your request is in the queue; preparation starts in a moment.",
    Status.PROVISIONING: "We are preparing your workspace. This usually takes a few seconds.",
    Status.ACTIVE: "Your administrator account and your free trials are waiting for you.",
    Status.FAILED: "We could not prepare your workspace; our team has been notified.",
}
CLOSED_MESSAGE = "This workspace is not available any more. Contact our team for help."
HEADLINES = {
    Status.PENDING: "We are preparing your workspace",
    Status.PROVISIONING: "We are preparing your workspace",
    Status.ACTIVE: "Your workspace is ready",
    Status.FAILED: "Something went wrong",
}


# --- status token -----------------------------------------------------------------------------


def _signer() -> signing.TimestampSigner:
    # "." rather than ":" between the parts: the token goes in URLs as it is.
    return signing.TimestampSigner(salt=STATUS_SALT, sep=".")


def _signed_value(tenant: Tenant) -> str:
    return f"{tenant.pk}/{tenant.slug}"


def status_token(tenant: Tenant) -> str:
    """A token for the status pages of `tenant`: timestamp and HMAC of its pk and slug.

    The signed value itself is left out of the token (the URL names the slug, the pk stays
    private) and put back when checking it.
    """
    value = _signed_value(tenant)
    return _signer().sign(value)[len(value) + 1 :]


def _token_is_valid(tenant: Tenant, token: str) -> bool:
    try:
        _signer().unsign(f"{_signed_value(tenant)}.{token}", max_age=STATUS_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return False
    return True


def _remember_token(request, slug: str, token: str) -> None:
    tokens = dict(request.session.get(SESSION_KEY, {}))
    if tokens.get(slug) != token:
        tokens[slug] = token
        request.session[SESSION_KEY] = tokens


def _signed_up_tenant(request, slug: str) -> tuple[Tenant, str]:
    """The tenant whose status the requester may see, and their token; 404 for anyone else."""
    token = request.GET.get("t") or request.session.get(SESSION_KEY, {}).get(slug, "")
    tenant = Tenant.objects.filter(slug=slug).first() if token else None
    if tenant is None or not _token_is_valid(tenant, token):
        raise Http404("No workspace is being prepared at this address.")
    _remember_token(request, slug, token)
    return tenant, token


# --- status as shown to the person who signed up ----------------------------------------------


def _steps_done(tenant: Tenant) -> int:
    if tenant.status == Status.ACTIVE:
        return len(STEPS)
    if tenant.status == Status.PENDING:
        return 1
    keys = [key for key, _ in STEPS]
    step = tenant.provisioning_step
    return keys.index(step) + 1 if step in keys else 1


def workspace_url(request, slug: str, path: str = "/") -> str:
    """The tenant's address as this visitor reaches the platform (scheme and port included)."""
    _, port = split_domain_port(request.get_host())
    port_part = f":{port}" if port else ""
    return f"{request.scheme}://{services.tenant_host(slug)}{port_part}{path}"


def signup_status(request, tenant: Tenant) -> dict:
    """What the person who signed up may know: progress, and where to go once ready.

    Never the internal reason of a failure (it is in the console for the platform team).
    """
    status = tenant.status
    shown = status if status in STATUS_MESSAGES else "closed"
    body = {
        "slug": tenant.slug,
        "status": shown,
        "label": dict(Status.choices).get(shown, "Not available"),
        "headline": HEADLINES.get(status, "This workspace is not available"),
        "message": STATUS_MESSAGES.get(status, CLOSED_MESSAGE),
        "steps_done": _steps_done(tenant),
        "steps_total": len(STEPS),
    }
    if status == Status.ACTIVE:
        body["url"] = workspace_url(request, tenant.slug)
        body["admin_url"] = workspace_url(request, tenant.slug, "/admin/login/")
        body["admin_username"] = tenant.admin_username
    return body


# --- views ------------------------------------------------------------------------------------


class SignupView(FormView):
    """The signup form; on success the tenant is requested and its preparation page follows."""

    template_name = "tenants/signup.html"
    form_class = SignupForm

    def get_initial(self):
        # Pricing pages may link to /signup/?app=crm to tick an app in advance.
        return {"apps": self.request.GET.getlist("app")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(base_domain=settings.BASE_DOMAIN, **kwargs)

    def form_valid(self, form):
        try:
            tenant = services.tenant_request(
                **form.tenant_request_kwargs(), source=Tenant.Source.SIGNUP
            )
        except ConflictError:  # taken between the form's check and the insert
            form.add_error("slug", ValidationError(SLUG_TAKEN, code="taken"))
            return self.form_invalid(form)
        except ValidationError as exc:
            form.add_service_error(exc)
            return self.form_invalid(form)
        token = status_token(tenant)
        _remember_token(self.request, tenant.slug, token)
        url = reverse("signup:preparing", args=[tenant.slug])
        response = HttpResponseRedirect(f"{url}?{urlencode({'t': token})}")
        response.status_code = 303  # See Other: the browser GETs the preparation page
        return response


@require_GET
@never_cache
def check_slug(request):
    """Whether a workspace address is free, for the form's live check (one query at most)."""
    slug = request.GET.get("slug", "").strip().lower()
    reason, message = slug_problem(slug)
    return JsonResponse(
        {
            "slug": slug,
            "available": not reason,
            "reason": reason or None,
            "message": message or f"{services.tenant_host(slug)} is available.",
        }
    )


@require_GET
@never_cache
def preparing(request, slug: str):
    """'Your workspace is being prepared': follows the status live, or by reloading."""
    tenant, token = _signed_up_tenant(request, slug)
    status = signup_status(request, tenant)
    steps = [
        {"key": key, "label": label, "done": index < status["steps_done"]}
        for index, (key, label) in enumerate(STEPS)
    ]
    status_url = reverse("signup:status", args=[tenant.slug]) + "?" + urlencode({"t": token})
    return render(
        request,
        "tenants/preparing.html",
        {
            "tenant": tenant,
            "host": services.tenant_host(tenant.slug),
            "status": status,
            "steps": steps,
            "poll": {"url": status_url, "status": status["status"]},
        },
    )


@require_GET
@never_cache
def status(request, slug: str):
    """The preparation status as JSON, polled by the preparation page."""
    try:
        tenant, _ = _signed_up_tenant(request, slug)
    except Http404:
        return error_response(ErrorCode.NOT_FOUND, "No workspace is being prepared here")
    return JsonResponse(signup_status(request, tenant))
