"""Look-alikes: registered works whose content is close to a file's, by the Content-Code unit of
their ISCC and by their perceptual hash. Registration asks before it goes on (and sends close
copies of someone else's work to review); verification shows them to anyone."""

from __future__ import annotations

from dataclasses import dataclass

from rights.fingerprints import content_distance, phash_distance
from rights.models import IN_FLIGHT, Work

NEAR_CONTENT_BITS = 12  # of 64: a re-encoded, resized or lightly edited copy
NEAR_PHASH_BITS = 10

@dataclass(frozen=True)
class NearMatch:
    work: Work
    content_bits: int | None
    phash_bits: int


Candidate = tuple[Work, str]  # a registered work and its Content-Code unit


def near_candidates(limit: int = 5000) -> list[Candidate]:
    """The registered (or queued) works look-alikes are searched among, newest first, each with
    its Content-Code decoded once."""
    works = Work.objects.filter(status__in=IN_FLIGHT).order_by("-id")[:limit]
    return [(work, work_content_unit(work)) for work in works]


def near_matches(*, sha256: str, content_code: str, phash: str, exclude: Work | None = None,
                 candidates: list[Candidate] | None = None) -> list[NearMatch]:
    """Registered (or queued) works whose content is close to this one's, closest first; among
    `candidates` when given (one search pool for many works)."""
    found = []
    for work, unit in near_candidates() if candidates is None else candidates:
        if work.sha256 == sha256 or (exclude is not None and work.pk == exclude.pk):
            continue
        distances = closeness(content_code, phash, unit, work.phash)
        if distances is not None:
            found.append(NearMatch(work, *distances))
    return sorted(found, key=lambda m: (m.content_bits if m.content_bits is not None else 64, m.phash_bits))


Distances = tuple[int | None, int]  # Content-Code bits apart (None: not comparable), pHash bits apart


def closeness(content_code: str, phash: str, other_unit: str, other_phash: str) -> Distances | None:
    """How far apart two files are, when they look alike; None when they do not."""
    content_bits = content_distance(content_code, other_unit) if content_code and other_unit else None
    phash_bits = phash_distance(phash, other_phash) if phash and other_phash else 64
    if (content_bits is not None and content_bits <= NEAR_CONTENT_BITS) or phash_bits <= NEAR_PHASH_BITS:
        return content_bits, phash_bits
    return None


def work_content_unit(work: Work) -> str:
    return content_unit(work.iscc) if work.iscc else ""


def content_unit(iscc: str) -> str:
    """The Content-Code unit inside an ISCC-CODE (as iscc-core decomposes it)."""
    import iscc_core

    try:
        units = iscc_core.iscc_decompose(iscc)
    except ValueError:  # (an ISCC from another registrar may be malformed)
        return ""
    return f"ISCC:{units[0]}" if units else ""
