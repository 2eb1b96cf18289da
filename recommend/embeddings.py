"""Keeping published works' text embeddings: computed when a work is published or its text
changes, and for any still missing before each retrain."""

from recommend.content import embed, to_bytes, work_text
from recommend.models import Publication, PublicationStatus
from recommend.serving import catalogue_invalidate

BATCH = 64


def _embed(publications: list[Publication]) -> None:
    texts = [work_text(title=p.title, prompt=p.prompt, tags=[t.name for t in p.tags.all()])
             for p in publications]
    for publication, vector in zip(publications, embed(texts), strict=True):
        Publication.objects.filter(pk=publication.pk).update(embedding=to_bytes(vector))
    catalogue_invalidate()


def publication_embed(*, publication_id: int) -> bool:
    publication = Publication.objects.filter(pk=publication_id).prefetch_related("tags").first()
    if publication is None:
        return False
    _embed([publication])
    return True


def embed_missing() -> int:
    """Embed every published work that has none yet; returns how many."""
    done = 0
    while True:
        batch = list(Publication.objects.filter(status=PublicationStatus.PUBLISHED, embedding=b"")
                     .prefetch_related("tags")[:BATCH])
        if not batch:
            return done
        _embed(batch)
        done += len(batch)
