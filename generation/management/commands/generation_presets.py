"""`manage.py generation_presets [--build-tiny]`: the model presets and whether their weights
are on this machine (staff install and remove them on the Models page, /staff/models/)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat

from generation.models_manager import preset_state
from generation.pipelines import WeightsMissing, weights_location
from generation.presets import presets
from generation.tiny import tiny_ready


class Command(BaseCommand):
    help = "List the model presets and where their weights are; --build-tiny builds the tiny ones."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--build-tiny", action="store_true",
                            help="build the tiny random-weight presets that are not built yet")

    def handle(self, *args: Any, build_tiny: bool = False, **options: Any) -> None:
        for preset in presets().values():
            if preset.tiny and not build_tiny and not tiny_ready(preset.tiny, preset.directory):
                where = f"not built yet (built on first use, or now with --build-tiny) -> {preset.directory}"
            else:
                try:
                    where = f"ready: {weights_location(preset)}"
                    on_disk = preset_state(preset).size_bytes
                    where += f" ({filesizeformat(on_disk)} on disk)" if on_disk is not None else ""
                except WeightsMissing as exc:
                    where = f"missing: {exc}"
            size = f"{preset.width}x{preset.height}" + (
                f", {preset.frames} frames at {preset.fps} fps" if preset.kind == "video" else "")
            self.stdout.write(f"{preset.name:18} {preset.kind:5} {preset.pipeline:26} {size}\n"
                              f"{'':18} {where}")
