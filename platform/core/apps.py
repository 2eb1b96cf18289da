import sys

from django.apps import AppConfig

# The interpreter's own default. A dependency raises it when imported (py_ecc, through
# eth_account, to 100,000): deeply nested input then overflows the C stack and kills the process
# instead of raising RecursionError. tests/abuse/test_parsing.py checks every app leaves it so.
RECURSION_LIMIT = 1000


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        import py_ecc  # noqa: F401  (raises the limit at import: import it now, then put it back)
        from django.conf import settings
        from PIL import Image

        sys.setrecursionlimit(RECURSION_LIMIT)
        Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS  # Pillow refuses larger ones (bombs)
