"""Aesthetic reports: what measuring a clip costs, against decoding the clip alone.

Workloads: two H.264 clips made here (a textured scene panning, with a bright subject crossing
it), encoded as the platform encodes renders:
- a 4 s 256x256 clip at 24 fps (a render's size);
- a 10 s 1920x1080 clip at 30 fps (a real model's output, or an upload).

- baseline: decoding the whole clip at its own size (ffmpeg to a null sink), as anything that
  looks at every frame must;
- ours: what the report task does (generation.assessment): decode every frame scaled to 256
  pixels on the longer side, then aesthetics.measures.clip_measures.

Each measured `--runs` times, interleaved; medians.

    .venv/bin/python benchmarks/aesthetics_report.py [--runs 5]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import django_environment, write_result

CLIPS = {"4 s 256x256 at 24 fps": (256, 256, 24, 4), "10 s 1920x1080 at 30 fps": (1920, 1080, 30, 10)}


def clip_frames(width: int, height: int, fps: int, seconds: int):
    """A panning textured scene with a bright disc crossing it, frame by frame (uint8 RGB)."""
    from PIL import Image

    rng = np.random.default_rng(7)
    cells = rng.integers(0, 256, (height // 16 + 2, (width * 2) // 16 + 2, 3), dtype=np.uint8)
    texture = Image.fromarray(cells)
    scene = np.asarray(texture.resize((width * 2 + 32, height + 32), Image.Resampling.BICUBIC))
    ys, xs = np.mgrid[0:height, 0:width]
    radius = height // 8
    for index in range(fps * seconds):
        t = index / (fps * seconds)
        offset = int(t * width)
        frame = scene[16:16 + height, offset:offset + width].copy()
        cx, cy = int((0.2 + 0.6 * t) * width), height // 2
        frame[(xs - cx) ** 2 + (ys - cy) ** 2 < radius ** 2] = (250, 220, 120)
        yield frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with django_environment():
        from aesthetics.measures import clip_measures, decode_size
        from kernel import ffmpeg

        limits = ffmpeg.render_limits()
        metrics, baseline, ratios = {}, {}, {}
        with tempfile.TemporaryDirectory() as tmp:
            for name, (width, height, fps, seconds) in CLIPS.items():
                path = Path(tmp) / f"{width}x{height}.mp4"
                made = clip_frames(width, height, fps, seconds)
                ffmpeg.feed(["-loglevel", "warning", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                             "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-an",
                             "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "veryfast",
                             str(path)], (np.ascontiguousarray(frame).data for frame in made), limits=limits)
                decode, report, decode_scaled = [], [], []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    ffmpeg.run(["-i", str(path), "-an", "-f", "null", "-"], limits=limits)
                    decode.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    frames = ffmpeg.decode_frames(["-i", str(path)], size=decode_size(width, height),
                                                  limits=limits)
                    decoded = time.perf_counter() - started
                    clip_measures(frames, fps)
                    report.append(time.perf_counter() - started)
                    decode_scaled.append(decoded)
                metrics[name] = {"report_median_s": round(statistics.median(report), 3),
                                 "of_which_decoding_to_256_s": round(statistics.median(decode_scaled), 3),
                                 "frames": len(frames), "report_s": [round(x, 3) for x in report]}
                baseline[name] = {"decode_median_s": round(statistics.median(decode), 3),
                                  "decode_s": [round(x, 3) for x in decode]}
                ratio = statistics.median(report) / statistics.median(decode)
                ratios[name] = {"report / decode": round(ratio, 2)}
                print(f"{name:26} report {metrics[name]['report_median_s']:.3f} s "
                      f"(decoding to 256: {metrics[name]['of_which_decoding_to_256_s']:.3f} s)   "
                      f"decode alone {baseline[name]['decode_median_s']:.3f} s   "
                      f"ratio {ratios[name]['report / decode']}")
        clips = {name: dict(zip(("width", "height", "fps", "seconds"), sizes, strict=True))
                 for name, sizes in CLIPS.items()}
        write_result("aesthetics_report", {"clips": clips, "runs": args.runs, "measures_work_side": 256},
                     metrics, "decoding the whole clip at its own size (ffmpeg to a null sink)", baseline,
                     ratios)


if __name__ == "__main__":
    main()
