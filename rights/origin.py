"""Where a file came from, asked before anyone may claim it as a work.

A file is the platform's own when its bytes are those of a render (the SHA-256 of an asset), or
when it carries the Content Credentials the platform signs into every render (its C2PA manifest
names the job, the project and the authors; kept even after the file was cropped or had bytes
added, which breaks the manifest's hashes but not what it says). Such a file is registered from
its project, by its editors and owners, with the people who made it as co-owners; anyone else is
refused, and the attempt is kept for moderators (ProvenanceAttempt, in the admin).

Look-alikes (ISCC Content-Code or pHash close) of registered or published works are not refused:
their registration waits for the owners of what they look like, or a moderator (WorkReview).
"""


from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from generation.selectors import asset_by_sha256, credentials_read, job_output
from kernel.errors import Conflict
from projects.roles import Action, role_allows
from projects.selectors import membership_get
from rights.fingerprints import Fingerprints
from rights.models import ProvenanceAttempt

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    asset: Asset | None  # the render the file is, or whose credentials it carries
    how: str  # "exact": the render's bytes; "manifest": the platform's Content Credentials
    manifest: dict[str, Any] = field(default_factory=dict)  # what the manifest says, if it has one
    manifest_valid: bool = False


def _output_of_job(job_public_id: object) -> Asset | None:
    if not isinstance(job_public_id, str) or not job_public_id:
        return None
    return job_output(job_public_id=job_public_id)


def origin_of(*, data: bytes, prints: Fingerprints) -> Origin | None:
    """The render this file is or was made from, by its bytes or its Content Credentials; None
    for a file the platform did not make."""
    asset = asset_by_sha256(sha256=prints.sha256)
    report = credentials_read(data=data, mime=prints.mime)
    facts = report.facts if report is not None and report.present and report.facts else None
    if asset is not None:
        return Origin(asset, "exact", facts or {}, bool(report and report.valid))
    if facts is not None:
        # Ours by its manifest. A manifest whose job is gone still says the file was made here.
        return Origin(_output_of_job(facts.get("job_id")), "manifest", facts, bool(report and report.valid))
    return None


def _may_register(user: User, asset: Asset) -> bool:
    membership = membership_get(project=asset.project, user=user)
    return membership is not None and role_allows(membership.role, Action.REGISTER_WORK)


def _makers(origin: Origin) -> str:
    """Who made it, as the platform knows them (the requester) or as the manifest says."""
    requester = origin.asset.job.requester if origin.asset is not None else None
    if requester is not None:
        return f"@{requester.username}"
    authors = [str(a) for a in origin.manifest.get("authors") or [] if a][:3]
    return ", ".join(authors) or _("its makers")


def claim_check(*, user: User, data: bytes, prints: Fingerprints) -> None:
    """Refuse an upload of a file the platform made: its project's editors and owners register it
    from the project (so that its co-authors are named); anyone else is told whose it is, and the
    attempt is logged. Nothing is written but the log, which must outlive the refusal: call it
    outside the transaction that would create the work."""
    origin = origin_of(data=data, prints=prints)
    if origin is None:
        return
    asset = origin.asset
    if asset is not None and _may_register(user, asset):
        raise Conflict(
            _("This file was rendered in your project “%(project)s”: register it from the project's "
              "media library, so that everyone who made it is named as a co-owner.") % {
                "project": asset.project.name},
            code="register_from_project", fields={"asset": [str(asset.pk)]})
    if asset is not None:
        message = _("This file was made on Storyloom by %(who)s in “%(project)s”. Only that project's "
                    "team can register it: ask them, or ask them for a licence.") % {
            "who": _makers(origin), "project": asset.project.name}
    else:
        message = _("This file carries Storyloom Content Credentials naming %(who)s as its makers. "
                    "Only they can register it: ask them, or ask them for a licence.") % {
            "who": _makers(origin)}
    ProvenanceAttempt.objects.create(user=user, sha256=prints.sha256, reason="made_on_storyloom",
                                     asset=asset, manifest=origin.manifest,
                                     detail=f"{origin.how}; manifest valid: {origin.manifest_valid}")
    log.warning("provenance: user %s tried to register %s, made on the platform (%s, asset %s)",
                user.pk, prints.sha256, origin.how, asset.pk if asset else None)
    raise Conflict(message, code="made_on_storyloom")
