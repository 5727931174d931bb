"""Write the FreeRADIUS configuration DotMac runs with (apps/isp/radius/freeradius.py), for
operators who run FreeRADIUS themselves; `make run` and the compose file's `radius` service use
it too. Prints the command line that runs FreeRADIUS on it."""

import shlex
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.isp.radius.freeradius import FreeRadiusConfig, command, freeradius_binary, write_config


class Command(BaseCommand):
    help = "Write the FreeRADIUS configuration directory that asks DotMac (rlm_rest)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", required=True, type=Path, help="Where it is written.")
        parser.add_argument(
            "--api-url",
            default=settings.RADIUS_API_URL,
            help="DotMac's URL as FreeRADIUS reaches it (RADIUS_API_URL); gthread workers.",
        )
        parser.add_argument(
            "--address", default="127.0.0.1", help="Address FreeRADIUS listens on (* for all)."
        )
        parser.add_argument("--auth-port", type=int, default=settings.RADIUS_AUTH_PORT)
        parser.add_argument("--acct-port", type=int, default=settings.RADIUS_ACCT_PORT)
        parser.add_argument("--threads", type=int, default=32, help="FreeRADIUS's thread pool.")
        parser.add_argument(
            "--connections", type=int, default=16, help="rlm_rest's connections to DotMac."
        )

    def handle(self, *args, directory, api_url, address, auth_port, acct_port, **options):
        config = FreeRadiusConfig.from_settings(
            directory.resolve(),
            api_url=api_url.rstrip("/"),
            address=address,
            auth_port=auth_port,
            acct_port=acct_port,
            threads=options["threads"],
            connections=options["connections"],
        )
        write_config(config)
        self.stdout.write(shlex.join(command(config, freeradius_binary() or "freeradius")))
