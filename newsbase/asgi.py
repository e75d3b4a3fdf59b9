"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from newsbase import serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsbase.settings")

application = get_asgi_application()
serving.prepare()
