"""ffmpeg with bounds. Every run has a wall-clock deadline; a run on a file someone uploaded also
has a CPU-time and an address-space limit, so that a hostile file costs at most that much however
it is made. The binary is imageio-ffmpeg's bundled one (there is no ffprobe): `probe` reads what
`ffmpeg -i` prints about a file's streams, before anything is decoded.

The limits are set by the shell's `ulimit` just before it `exec`s ffmpeg (no Python runs in the
child: subprocess's preexec_fn is unsafe in a process with threads, which the web server is)."""

import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

import imageio_ffmpeg
import numpy as np
from django.conf import settings

DECODE_THREADS = 2  # per decoder: each thread holds frames, and the address space is capped
_LIMITED = 'ulimit -t "$1" && ulimit -v "$2" && shift 2 && exec "$@"'
_ERROR_TAIL = 2000  # characters of ffmpeg's messages kept in an error (for the logs)


class FfmpegError(Exception):
    """ffmpeg failed, or was stopped at one of its limits (the message is for logs, not users)."""


class FfmpegTimeout(FfmpegError):
    """ffmpeg ran past its wall-clock deadline, or its CPU time, and was killed."""


@dataclass(frozen=True)
class Limits:
    seconds: float  # wall clock, then the process is killed
    cpu_seconds: int | None = None  # RLIMIT_CPU
    memory_bytes: int | None = None  # RLIMIT_AS


def upload_limits() -> Limits:
    """For a file someone sent: every bound."""
    return Limits(seconds=settings.FFMPEG_TIMEOUT_S, cpu_seconds=settings.FFMPEG_CPU_S,
                  memory_bytes=settings.FFMPEG_MEMORY_BYTES)


def render_limits() -> Limits:
    """For the platform's own renders: a deadline (their size is bounded by the quotas)."""
    return Limits(seconds=settings.MEDIA_ENCODE_TIMEOUT_S)


def command(args: list[str], limits: Limits) -> list[str]:
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", *args]
    if limits.cpu_seconds is None and limits.memory_bytes is None:
        return argv
    cpu = str(limits.cpu_seconds) if limits.cpu_seconds is not None else "unlimited"
    memory = str(limits.memory_bytes // 1024) if limits.memory_bytes is not None else "unlimited"
    return ["/bin/sh", "-c", _LIMITED, "ffmpeg", cpu, memory, *argv]


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: bytes
    stderr: str


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode("utf-8", "replace")


def _failure(returncode: int, stderr: str) -> FfmpegError:
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):  # RLIMIT_CPU: the soft, then the hard limit
        return FfmpegTimeout(f"ffmpeg was stopped at its CPU time (signal {-returncode})")
    if returncode < 0:
        return FfmpegError(f"ffmpeg was stopped by signal {-returncode}: {stderr[-_ERROR_TAIL:]}")
    return FfmpegError(f"ffmpeg exited with {returncode}: {stderr[-_ERROR_TAIL:]}")


def run(args: list[str], *, limits: Limits, check: bool = True) -> Result:
    """Run ffmpeg with `args` (after -hide_banner) and no input on stdin; its output is returned.
    FfmpegTimeout past the deadline; FfmpegError when it fails (unless `check` is false)."""
    with tempfile.TemporaryFile() as errors:
        try:
            done = subprocess.run(command(args, limits), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=errors, timeout=limits.seconds, check=False)
        except subprocess.TimeoutExpired:  # (run kills the process)
            raise FfmpegTimeout(f"ffmpeg ran past {limits.seconds} s") from None
        stderr = _tail(errors)
    if check and done.returncode != 0:
        raise _failure(done.returncode, stderr)
    return Result(done.returncode, done.stdout, stderr)


def feed(args: list[str], chunks: Iterable[bytes | memoryview], *, limits: Limits) -> None:
    """Run ffmpeg reading `chunks` on its standard input (`-i -` in `args`), killed at the
    deadline. FfmpegTimeout or FfmpegError when it does not finish well."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command(args, limits), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(limits.seconds, kill)
        timer.start()
        assert process.stdin is not None
        try:
            try:
                for chunk in chunks:
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:  # it stopped reading: its exit status says why
                pass
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        if timed_out.is_set():
            raise FfmpegTimeout(f"ffmpeg ran past {limits.seconds} s")
        if returncode != 0:
            raise _failure(returncode, _tail(errors))


# --- what a file holds, from ffmpeg's description of it ------------------------------------------


@dataclass(frozen=True)
class VideoStream:
    width: int
    height: int
    codec: str
    pix_fmt: str


@dataclass(frozen=True)
class MediaInfo:
    seconds: float | None  # None: the container does not say
    videos: list[VideoStream] = field(default_factory=list)


_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.MULTILINE)
_VIDEO = re.compile(r"^\s*Stream #\d+:\d+.*?: Video: (.*)$", re.MULTILINE)
_SIZE = re.compile(r"(?:^|[ ,])(\d+)x(\d+)(?=[ ,\[]|$)")


def _parts(description: str) -> list[str]:
    """The comma-separated parts of a stream's description, commas in brackets kept."""
    parts, depth, current = [], 0, ""
    for char in description:
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def parse_description(text: str) -> MediaInfo:
    """What `ffmpeg -i` printed: the duration and each video stream's size, codec and pixel format."""
    duration = _DURATION.search(text)
    seconds = (int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3])) if duration else None
    videos = []
    for line in _VIDEO.findall(text):
        parts = _parts(line)
        size = next((match for part in parts[1:] if (match := _SIZE.search(part))), None)
        if size is None:
            continue
        videos.append(VideoStream(width=int(size[1]), height=int(size[2]), codec=parts[0].split(" ")[0],
                                  pix_fmt=parts[1].split("(")[0] if len(parts) > 1 else ""))
    return MediaInfo(seconds=seconds, videos=videos)


def probe(input_args: list[str], *, limits: Limits) -> MediaInfo:
    """Describe an input (`input_args` ends with `-i <path>`) without decoding it. ffmpeg exits
    with an error here by design (no output is named); a file it cannot open has no streams."""
    result = run(input_args, limits=limits, check=False)
    if result.returncode < 0:  # killed: by a limit, or from outside
        raise _failure(result.returncode, result.stderr)
    return parse_description(result.stderr)


def count_frames(input_args: list[str], *, limits: Limits) -> tuple[int, float]:
    """Frames and seconds of the first video stream, counted by decoding it."""
    text = run([*input_args, "-map", "0:v:0", "-vf", "null", "-f", "null", "-"], limits=limits).stderr
    frames = re.findall(r"frame=\s*(\d+)", text)
    times = re.findall(r"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)", text)
    if not frames or not times:
        raise FfmpegError(f"ffmpeg did not count the frames: {text[-_ERROR_TAIL:]}")
    hours, minutes, secs = times[-1]
    return int(frames[-1]), int(hours) * 3600 + int(minutes) * 60 + float(secs)


def decode_frames(input_args: list[str], *, size: tuple[int, int], limits: Limits) -> np.ndarray:
    """Decode every frame of the input to uint8 RGB (frames, height, width, 3) at `size`
    (width, height; area-averaged when smaller), at the file's own frame rate."""
    width, height = size
    result = run([*input_args, "-an", "-vf", f"scale={width}:{height}:flags=area", "-f", "rawvideo",
                  "-pix_fmt", "rgb24", "-"], limits=limits)
    frame_bytes = width * height * 3
    usable = len(result.stdout) // frame_bytes * frame_bytes
    return np.frombuffer(result.stdout[:usable], dtype=np.uint8).reshape(-1, height, width, 3)
