#!/usr/bin/env python
"""Django's command-line utility for NewsBase."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsbase.settings")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] == ["runserver"]:
        # Say which variable to set rather than Django's bare "You must set settings.ALLOWED_HOSTS".
        import django
        from django.core.exceptions import ImproperlyConfigured

        django.setup()
        from newsbase import serving

        try:
            serving.require_allowed_hosts()
            serving.require_secret_key()
        except ImproperlyConfigured as exc:
            sys.exit(f"Cannot serve: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
