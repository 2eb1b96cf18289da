"""A work's metadata document: what its on-chain metadata URI serves."""

from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.urls import reverse

from rights.licences import LICENCE_URLS, LicenceKind
from rights.models import Work

# Fixed English names (not the translated labels): the text's hash goes on chain.
LICENCE_NAMES = {LicenceKind.CC_BY: "CC BY 4.0", LicenceKind.CC_BY_NC: "CC BY-NC 4.0",
                 LicenceKind.CC_BY_ND: "CC BY-ND 4.0", LicenceKind.ALL_RIGHTS_RESERVED: "All rights reserved"}


def licence_text(licence: str, terms: str) -> str:
    """The licence as the text whose hash goes on chain: the custom terms, or the licence's name
    and canonical URL."""
    if licence == LicenceKind.CUSTOM:
        return terms
    kind = LicenceKind(licence)
    return f"{LICENCE_NAMES[kind]} {LICENCE_URLS.get(kind, '')}".strip()


def work_metadata(work: Work) -> dict[str, Any]:
    kind = LicenceKind(work.licence)
    return {
        "name": work.title, "description": work.description, "id": work.public_id,
        "content": {"sha256": work.sha256, "iscc": work.iscc, "phash": work.phash, "mime": work.mime,
                    "size": work.size},
        "licence": {"kind": work.licence, "name": LICENCE_NAMES.get(kind, "Custom terms"),
                    "url": LICENCE_URLS.get(kind, ""),
                    "terms": licence_text(work.licence, work.terms), "terms_sha256": work.terms_sha256},
        "owners": [{"address": o.address, "bps": o.bps} for o in work.owners.all()],
    }


def metadata_template() -> str:
    """Where this site serves a registered work's metadata, with "{id}" for its content hash in 64
    lowercase hex digits (ERC-1155's substitution): the registry is deployed with it, and a
    registration's metadata URI is it with the hash put in."""
    return settings.SITE_URL + unquote(reverse("rights:registered-metadata", kwargs={"sha256": "{id}"}))


def metadata_url(template: str, sha256: str) -> str:
    return template.replace("{id}", sha256.lower().removeprefix("0x"))
