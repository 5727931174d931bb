import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotmac.settings")

_django = get_wsgi_application()

from apps.isp.radius.endpoint import mount  # noqa: E402 (needs Django set up)

# FreeRADIUS's calls (/_radius/...) are answered ahead of Django's middleware stack.
application = mount(_django)
