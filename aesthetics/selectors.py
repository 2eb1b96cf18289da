"""Reads for aesthetics: a file's report as people see it, with where it stands in the gallery."""

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from aesthetics.extensions import gallery_hashes
from aesthetics.measures import MEASURES, PICTURE, TIME
from aesthetics.models import MEASURES_VERSION, Report

RANKED = ("colourfulness", "brightness", "contrast", "sharpness", "warmth", "harmony", "thirds", "balance",
          "motion", "smoothness", "flicker", "stability")  # the clipped shares and the tilt read as they are


def report_find(*, sha256: str) -> Report | None:
    """The current report of the content `sha256`, if it has been measured (no access check:
    for callers that checked access to the file)."""
    return Report.objects.filter(sha256=sha256, version=MEASURES_VERSION).first()


def _population() -> Any:
    reports = Report.objects.filter(version=MEASURES_VERSION)
    hashes = gallery_hashes()
    return reports if hashes is None else reports.filter(sha256__in=hashes)


def standing(*, report: Report) -> dict[str, float]:
    """For each ranked measure, the percentage of the gallery's works (videos only, for the
    measures of time) with a lower value, counted in one pass over them."""
    values = {name: report.measures.get(name) for name in RANKED if name in report.measures}
    counts: dict[str, Any] = {"all": Count("pk"), "videos": Count("pk", filter=Q(kind="video"))}
    for name, value in values.items():
        if isinstance(value, int | float):
            below = Q(**{f"measures__{name}__lt": value})
            counts[name] = Count("pk", filter=below & Q(kind="video") if name in TIME else below)
    totals = _population().aggregate(**counts)
    result = {}
    for name in values:
        total = totals["videos"] if name in TIME else totals["all"]
        if name in totals and total:
            result[name] = round(100 * totals[name] / total, 1)
    return result


def _compared(name: str, percent: float) -> str:
    scale = MEASURES[name]
    if percent >= 50:
        return _("%(more)s than %(percent)s %% of published works") % {"more": str(scale.more).capitalize(),
                                                                        "percent": round(percent)}
    return _("%(less)s than %(percent)s %% of published works") % {"less": str(scale.less).capitalize(),
                                                                    "percent": round(100 - percent)}


def report_view(*, report: Report) -> dict[str, Any]:
    """The report as the pages and the API show it: each measure with its plain-language meaning,
    its value and unit, which end of its scale it is nearer, and where it stands in the gallery."""
    ranks = standing(report=report)
    measures = []
    for name in (*PICTURE, *(TIME if report.kind == "video" else ())):
        if name not in report.measures:
            continue
        scale, value = MEASURES[name], report.measures[name]
        percent = ranks.get(name)
        measures.append({"key": name, "name": str(scale.label), "explains": str(scale.explains),
                         "unit": scale.unit,
                         "value": round(value, 4) if isinstance(value, float) else value,
                         "standing": percent,
                         "compared": _compared(name, percent) if percent is not None else None})
    return {"kind": report.kind, "version": report.version, "measured_at": report.updated_at,
            "palette": report.measures.get("palette", []),
            "harmony_template": report.measures.get("harmony_template"),
            "subject": report.measures.get("subject"), "measures": measures}
