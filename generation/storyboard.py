"""A storyboard render's scenes: what each clip is asked to show, checked at submit.

The scenes are read from the project's storyboard when the job is submitted and kept on the
job, so the render is the storyboard as it was then, even while people keep editing it.
"""

from typing import Any

from django.utils.translation import gettext as _

from generation.models import MAX_PROMPT, MAX_SEED
from generation.presets import Preset

MAX_SCENES = 24


def _prompt(scene: dict[str, Any], style: str) -> str:
    """The scene's prompt with its camera and style notes and the render's shared style."""
    parts = (scene.get("prompt", ""), scene.get("camera", ""), scene.get("style", ""), style)
    return ", ".join(part.strip() for part in parts if part and part.strip())


STORYBOARD_PROMPT = 400  # characters of a storyboard render's prompt (its title and scenes)
SCENE_IN_PROMPT = 120  # characters of each scene's prompt in it


def _shortened(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text[:length - 1].rstrip() + "…" if len(text) > length else text


def storyboard_prompt(title: str, scenes: list[dict[str, Any]]) -> str:
    """What a storyboard render shows, as its prompt: the title on the first line, then the scenes'
    own prompts in order, each shortened (the gallery, the queue and a remix show this text)."""
    shown = " · ".join(_shortened(str(scene.get("prompt") or ""), SCENE_IN_PROMPT)
                       for scene in scenes
                       if isinstance(scene, dict) and str(scene.get("prompt") or "").strip())
    text = "\n".join(part for part in (_shortened(title, SCENE_IN_PROMPT), shown) if part)
    return text[:STORYBOARD_PROMPT - 1].rstrip() + "…" if len(text) > STORYBOARD_PROMPT else text


def storyboard_title(prompt: str) -> str:
    """A storyboard render's title, from its prompt: the first line."""
    return prompt.split("\n", 1)[0].strip()


def storyboard_scenes(fields: dict[str, list[str]], preset: Preset, scenes: list[dict[str, Any]], *,
                      fps: int, seed: int, style: str) -> list[dict[str, Any]]:
    """One clip per scene, in order: {scene, number, prompt, negative_prompt, frames, seed}.
    Problems go into `fields` under "scenes" (or "style"), one line per scene at fault."""
    problems: list[str] = []
    if not scenes:
        problems.append(_("The storyboard has no scenes yet: add one first."))
    elif len(scenes) > MAX_SCENES:
        problems.append(_("At most %(max)s scenes render at once (this storyboard has %(count)s).") % {
            "max": MAX_SCENES, "count": len(scenes)})
    if len(style) > 500:
        fields.setdefault("style", []).append(_("At most %(count)s characters.") % {"count": 500})
    longest = (preset.max_frames - 1) / fps
    clips = []
    for number, scene in enumerate(scenes[:MAX_SCENES], 1):
        prompt = _prompt(scene, style)
        if not scene.get("prompt", "").strip():
            problems.append(_("Scene %(number)s has no prompt.") % {"number": number})
        elif len(prompt) > MAX_PROMPT:
            problems.append(_("Scene %(number)s: the prompt with its notes is longer than %(max)s "
                              "characters.") % {"number": number, "max": MAX_PROMPT})
        seconds = scene.get("duration") or 0.0
        frames = preset.frames_for(seconds, fps)
        if seconds <= 0 or frames > preset.max_frames:
            problems.append(_("Scene %(number)s lasts %(seconds)s s; %(preset)s makes clips up to "
                              "%(longest)s s at %(fps)s fps.") % {
                "number": number, "seconds": seconds, "preset": preset.name,
                "longest": round(longest, 2), "fps": fps})
        own_seed = scene.get("seed")
        clips.append({"scene": scene.get("id", ""), "number": number, "prompt": prompt,
                      "negative_prompt": scene.get("negative_prompt", "").strip(), "frames": frames,
                      "seed": own_seed if own_seed is not None and 0 <= own_seed <= MAX_SEED else seed})
    if problems:
        fields.setdefault("scenes", []).extend(problems)
    return clips
