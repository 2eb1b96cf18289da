"""Where the apps above aesthetics plug into it (public, like services and selectors).

- The gallery: a report says where its work stands among the published works ("warmer than
  80 % of them"). Which works are published is the gallery's to know, so the app that keeps the
  gallery registers, in its AppConfig.ready, a function returning a query of their SHA-256s.
  Until one is registered, a report is ranked among every report.
"""

from collections.abc import Callable
from typing import Any

GalleryHashes = Callable[[], Any]  # a QuerySet of SHA-256 strings (values_list(..., flat=True))

_gallery: list[GalleryHashes] = []


def gallery_register(hashes: GalleryHashes) -> None:
    """Rank reports among the works whose SHA-256 `hashes()` returns (the last registered wins)."""
    _gallery[:] = [hashes]


def gallery_hashes() -> Any | None:
    """The gallery's SHA-256s as a query, or None when no app keeps a gallery."""
    return _gallery[0]() if _gallery else None
