"""Reads for aesthetics: a file's report as people see it, with where it stands in the gallery."""

from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from aesthetics.extensions import gallery_hashes
from aesthetics.measures import LEARNED, MEASURES, PICTURE, TIME
from aesthetics.models import MEASURES_VERSION, Report
from aesthetics.predictor import directory as predictor_directory
from aesthetics.predictor import installed as predictor_files_installed
from aesthetics.predictor import size_on_disk

# (the clipped shares and the tilt read as they are)
RANKED = ("colourfulness", "brightness", "contrast", "sharpness", "warmth", "harmony", "thirds", "balance",
          "motion", "smoothness", "flicker", "stability", *LEARNED)


def report_find(*, sha256: str) -> Report | None:
    """The current report of the content `sha256`, if it has been measured (no access check:
    for callers that checked access to the file)."""
    return Report.objects.filter(sha256=sha256, version=MEASURES_VERSION).first()


def palettes_by_sha256(*, sha256s: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The dominant colours (hex, share, percent) of each of these contents that has a current
    report, in one query (a list of files shows each one's palette); those not measured yet are
    left out. No access check: for callers that checked access to the files."""
    found = (Report.objects.filter(sha256__in=set(sha256s), version=MEASURES_VERSION)
             .values_list("sha256", "measures__palette"))
    return {sha256: [{"hex": colour["hex"], "share": colour["share"], "percent": round(100 * colour["share"])}
                     for colour in palette or []]
            for sha256, palette in found}


def predictor_state() -> dict[str, Any]:
    """Whether the aesthetic predictor's files are in AESTHETIC_PREDICTOR_DIR (aesthetics/predictor.py),
    and their size on disk. Not whether they load: a worker finds that out when it first measures,
    and logs it (a web process never loads the model)."""
    path = predictor_directory()
    installed = predictor_files_installed(path)
    return {"directory": path, "installed": installed,
            "size_bytes": size_on_disk(path) if installed else None}


def _population() -> Any:
    reports = Report.objects.filter(version=MEASURES_VERSION)
    hashes = gallery_hashes()
    return reports if hashes is None else reports.filter(sha256__in=hashes)


def standing(*, report: Report) -> dict[str, tuple[float, float]]:
    """For each ranked measure, the percentages of the gallery's works (videos only, for the
    measures of time) with a lower and with a higher value, counted in one pass over them."""
    values = {name: report.measures.get(name) for name in RANKED if name in report.measures}
    counts: dict[str, Any] = {"all": Count("pk"), "videos": Count("pk", filter=Q(kind="video"))}
    for name, value in values.items():
        if isinstance(value, int | float):
            among = Q(kind="video") if name in TIME else Q()
            counts[f"{name}_below"] = Count("pk", filter=among & Q(**{f"measures__{name}__lt": value}))
            counts[f"{name}_above"] = Count("pk", filter=among & Q(**{f"measures__{name}__gt": value}))
            if name in LEARNED:  # among the works that have it only
                counts[f"{name}_total"] = Count("pk", filter=Q(measures__has_key=name))
    totals = _population().aggregate(**counts)
    result = {}
    for name in values:
        total = totals.get(f"{name}_total", totals["videos"] if name in TIME else totals["all"])
        if f"{name}_below" in totals and total:
            result[name] = (round(100 * totals[f"{name}_below"] / total, 1),
                            round(100 * totals[f"{name}_above"] / total, 1))
    return result


def _compared(name: str, below: float, above: float) -> str | None:
    """The plainer of the two true statements: more than those below, or less than those above
    (None when the gallery holds only equal values)."""
    scale = MEASURES[name]
    if below == above == 0:
        return None
    if below >= above:
        return _("%(more)s than %(percent)s %% of published works") % {"more": str(scale.more).capitalize(),
                                                                        "percent": round(below)}
    return _("%(less)s than %(percent)s %% of published works") % {"less": str(scale.less).capitalize(),
                                                                    "percent": round(above)}


def report_view(*, report: Report) -> dict[str, Any]:
    """The report as the pages and the API show it: each measure with its plain-language meaning,
    its unit, the words for its scale's two ends, its value, and where it stands in the gallery."""
    ranks = standing(report=report)
    measures = []
    for name in (*PICTURE, *(TIME if report.kind == "video" else ()), *LEARNED):
        if name not in report.measures:
            continue
        scale, value = MEASURES[name], report.measures[name]
        rank = ranks.get(name)
        measures.append({"key": name, "name": str(scale.label), "explains": str(scale.explains),
                         "unit": scale.unit, "low": str(scale.low), "high": str(scale.high),
                         "value": round(value, 4) if isinstance(value, float) else value,
                         "shown": f"{value:.3g}" if isinstance(value, int | float) else "",
                         "standing": rank[0] if rank else None,
                         "compared": _compared(name, *rank) if rank else None})
    palette, x = [], 0.0
    for colour in report.measures.get("palette", []):  # with its place in a 1000-wide strip
        width = 1000 * colour["share"]
        palette.append({**colour, "percent": round(100 * colour["share"]), "x": round(x, 1),
                        "width": round(width, 1)})
        x += width
    return {"kind": report.kind, "version": report.version, "measured_at": report.updated_at,
            "palette": palette,
            "harmony_template": report.measures.get("harmony_template"),
            "subject": report.measures.get("subject"), "measures": measures}


def gallery_measures() -> dict[str, dict[str, Any]]:
    """Every published work's current measures by SHA-256, in one query (the feed's catalogue)."""
    return dict(_population().values_list("sha256", "measures"))
