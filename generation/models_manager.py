"""The presets' weights on this machine, for staff: which are installed and how large, installing
one from the Hugging Face Hub, removing one.

A hub preset is installed when its directory (`Preset.directory`: <GENERATION_MODELS_DIR>/<name>
unless the preset names a path) holds a diffusers pipeline, or its hub id is in the local Hugging
Face cache: what `generation.pipelines.weights_location` reads. Tiny presets build their own
weights and always count as installed.

An install is a Celery task on the `default` queue (never `gpu`: a download must not hold a
render's turn). It downloads with `huggingface_hub.snapshot_download` into
`<directory>.partial-<token>` and renames that to the directory once complete, so a half download
never looks installed; its progress is on its ModelInstall row, which the Models page polls.

The page also says whether the aesthetic predictor's files are in their folder, and their size
(aesthetics.selectors.predictor_state); that one is installed by hand, not from here.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aesthetics.selectors import predictor_state
from generation.models import InstallStatus, Job, JobStatus, ModelInstall
from generation.presets import Preset, hub_cached, presets
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.tasks import enqueue_on_commit

if TYPE_CHECKING:
    from accounts.models import User
    from projects.selectors import AnyUser

log = logging.getLogger(__name__)
INSTALL_TASK = "generation.tasks.model_install"
STALE_AFTER_S = 300  # an install silent this long (its worker gone) may be started again
REPORT_EVERY_S = 0.5
ACTIVE = (InstallStatus.QUEUED, InstallStatus.RUNNING)
FAILURES_SHOWN = 20
NAME_MAX = ModelInstall._meta.get_field("preset").max_length or 64


class State:
    INSTALLED = "installed"
    INSTALLING = "installing"
    MISSING = "missing"


class Source:
    BUILT_IN = "built_in"  # a tiny preset: built here, offline
    DIRECTORY = "directory"
    HUB_CACHE = "hub_cache"  # the local Hugging Face cache (shared; not removed from here)


@dataclass(frozen=True)
class PresetState:
    preset: Preset
    state: str
    source: str | None
    size_bytes: int | None  # None: nothing on disk yet (a tiny preset builds on first use)
    installable: bool
    removable: bool
    install: ModelInstall | None

    @property
    def name(self) -> str:
        return self.preset.name


def _staff_require(user: AnyUser) -> None:
    if not (user.is_authenticated and user.is_staff):
        raise PermissionDenied(_("Only staff manage the models."))


def models_root() -> Path:
    return Path(settings.GENERATION_MODELS_DIR).resolve()


def _inside_root(directory: Path) -> bool:
    """Whether `directory` (symbolic links followed) is a folder below the models directory."""
    root, resolved = models_root(), directory.resolve()
    return resolved != root and root in resolved.parents


def _size(path: Path) -> int:
    """Bytes of the files under `path`, following the links a Hugging Face cache snapshot holds."""
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):  # (a file removed while counting)
                total += (Path(folder) / name).stat().st_size
    return total


def _hub_snapshot(hub_id: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(hub_id, "model_index.json")
    return Path(found).parent if isinstance(found, str) else None


def _active(install: ModelInstall | None) -> bool:
    """Whether the install is under way (queued or running, and heard from lately)."""
    if install is None or install.status not in ACTIVE or install.updated_at is None:
        return False
    return install.updated_at >= timezone.now() - timedelta(seconds=STALE_AFTER_S)


def preset_state(preset: Preset, install: ModelInstall | None = None) -> PresetState:
    """Whether the preset's weights are here (where, and their size on disk), or being installed."""
    directory = preset.directory
    source: str | None = None
    size: int | None = None
    if preset.tiny:
        source = Source.BUILT_IN
        size = _size(directory) if directory.is_dir() else None
    elif (directory / "model_index.json").exists():
        source, size = Source.DIRECTORY, _size(directory)
    elif preset.hub_id and hub_cached(preset.hub_id):
        snapshot = _hub_snapshot(preset.hub_id)
        source, size = Source.HUB_CACHE, _size(snapshot) if snapshot else None
    installing = _active(install)
    state = State.INSTALLED if source else State.INSTALLING if installing else State.MISSING
    return PresetState(
        preset=preset, state=state, source=source, size_bytes=size, install=install,
        installable=state == State.MISSING and bool(preset.hub_id) and _inside_root(directory),
        removable=source == Source.DIRECTORY and not installing and _inside_root(directory))


def preset_states(*, user: AnyUser) -> list[PresetState]:
    """Every preset and its state, for staff; installed ones first, then by name."""
    _staff_require(user)
    installs = {install.preset: install for install in ModelInstall.objects.select_related("requested_by")}
    states = [preset_state(preset, installs.get(name)) for name, preset in presets().items()]
    return sorted(states, key=lambda s: (s.state != State.INSTALLED, s.preset.kind, s.name))


def preset_state_get(*, user: AnyUser, name: str) -> PresetState:
    _staff_require(user)
    preset = presets().get(name)
    if preset is None:
        raise NotFound(_("No such model."))
    return preset_state(preset, ModelInstall.objects.filter(preset=name).first())


def aesthetic_predictor_state(*, user: AnyUser) -> dict[str, Any]:
    """The aesthetic predictor's folder, whether its files are there and their size (staff only).
    It is not installed from here: its head is published as a PyTorch pickle on GitHub, not on the
    Hub, and is converted once by hand (aesthetics/predictor.py says how)."""
    _staff_require(user)
    return predictor_state()


def job_failures(*, user: AnyUser) -> list[Job]:
    """The latest failed jobs, with the detail behind each failure (staff only)."""
    _staff_require(user)
    return list(Job.objects.filter(status=JobStatus.FAILED).exclude(error_detail="")
                .select_related("project").order_by("-finished_at", "-id")[:FAILURES_SHOWN])


# --- install ----------------------------------------------------------------------------------

def _installable(user: AnyUser, name: str) -> Preset:
    state = preset_state_get(user=user, name=name)
    preset = state.preset
    if preset.tiny:
        raise Conflict(_("%(name)s is built in: there is nothing to install.") % {"name": name},
                       code="built_in")
    if state.state == State.INSTALLED:
        raise Conflict(_("%(name)s is already installed.") % {"name": name}, code="installed")
    if not preset.hub_id:
        raise ValidationFailed(_("%(name)s names no Hugging Face Hub repository to install it from.")
                               % {"name": name}, fields={"preset": [_("No Hub repository.")]})
    if not _inside_root(preset.directory) or len(name) > NAME_MAX:
        raise ValidationFailed(_("%(name)s is configured to a folder outside the models directory; "
                                 "install it there by hand.") % {"name": name},
                               fields={"preset": [_("Outside the models directory.")]})
    return preset


@transaction.atomic
def model_install_start(*, user: User, name: str) -> ModelInstall:
    """Queue the download of the preset's weights (staff only); Conflict while one is under way."""
    _installable(user, name)
    now = timezone.now()
    install, _created = ModelInstall.objects.get_or_create(preset=name, defaults={
        "status": InstallStatus.FAILED, "updated_at": now})
    token = secrets.token_hex(16)
    # Compare and set: of two requests at once, one finds the row no longer free.
    free = Q(status__in=[InstallStatus.SUCCEEDED, InstallStatus.FAILED]) | Q(
        updated_at__lt=now - timedelta(seconds=STALE_AFTER_S)) | Q(updated_at__isnull=True)
    claimed = ModelInstall.objects.filter(free, pk=install.pk).update(
        status=InstallStatus.QUEUED, token=token, bytes_done=0, bytes_total=0, files_done=0, files_total=0,
        error="", error_detail="", requested_by=user, started_at=now, updated_at=now, finished_at=None)
    if not claimed:
        raise Conflict(_("%(name)s is being installed already.") % {"name": name}, code="installing")
    enqueue_on_commit(INSTALL_TASK, preset=name, token=token)  # to `default` (CELERY_TASK_ROUTES)
    install.refresh_from_db()
    return install


class _Counter:
    """What the download threads report (bytes and files done), read by the reporter thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bytes = 0
        self.files = 0
        self.superseded = False


class _Superseded(Exception):
    """Another install of the same preset took over (this one was stale)."""


def _bar_class(counter: _Counter) -> type:
    """A progress bar class for snapshot_download that counts into `counter`: its aggregate bytes
    bar (named huggingface_hub.snapshot_download) and its files bar (the one not in bytes)."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class Bar(hf_tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            name, unit = kwargs.get("name"), kwargs.get("unit", "it")
            self.counts = ("bytes" if name == "huggingface_hub.snapshot_download"
                           else "files" if unit != "B" else None)
            kwargs["disable"] = True  # nothing on the worker's terminal; counted here
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if counter.superseded:
                raise _Superseded()
            if self.counts:
                with counter.lock:
                    setattr(counter, self.counts, getattr(counter, self.counts) + int(n or 0))
            return super().update(n)

    return Bar


def _reporter(pk: int, token: str, counter: _Counter, stop: threading.Event) -> threading.Thread:
    """A thread that writes the progress (and a sign of life) to the install's row."""

    def report() -> None:
        try:
            while not stop.wait(REPORT_EVERY_S):
                with counter.lock:
                    done, files = counter.bytes, counter.files
                mine = ModelInstall.objects.filter(pk=pk, token=token).update(
                    bytes_done=max(0, done), files_done=files, updated_at=timezone.now())
                if not mine:
                    counter.superseded = True
        except Exception:  # the download goes on; its end is recorded by the task itself
            log.warning("model install %s: progress not recorded", pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=report, name=f"model-install-{pk}", daemon=True)
    thread.start()
    return thread


def _plain_error(exc: BaseException) -> str:
    """What went wrong, in words for the staff page (the exception itself goes in the detail)."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    if isinstance(exc, GatedRepoError):
        return _("The Hub refused the download: the repository is gated. Accept its terms on the Hub with "
                 "the account whose token the workers use.")
    if isinstance(exc, RepositoryNotFoundError):
        return _("The Hub has no such repository, or it is private to an account the workers' token "
                 "does not belong to.")
    if isinstance(exc, HfHubHTTPError):
        return _("The Hub answered with an error; try again later.")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _("The disk is full: free some space (remove a model) and try again.")
    if isinstance(exc, ConnectionError | TimeoutError | LocalEntryNotFoundError) \
            or "Connect" in type(exc).__name__ or "Timeout" in type(exc).__name__:
        return _("The Hub could not be reached from the workers; try again later.")
    return _("The download failed; the detail below says why.")


def _partials(directory: Path) -> list[Path]:
    return [p for p in directory.parent.glob(directory.name + ".partial-*") if p.is_dir()]


def model_install_run(*, name: str, token: str) -> str | None:
    """Run the install queued with `token` (the task's body): download into a folder of its own,
    then rename it into place. Returns how it ended (None when it was replaced or is unknown)."""
    from huggingface_hub import HfApi, constants, snapshot_download
    from huggingface_hub.hf_api import RepoFile

    claimed = ModelInstall.objects.filter(preset=name, token=token, status__in=ACTIVE).update(
        status=InstallStatus.RUNNING, updated_at=timezone.now())
    install = ModelInstall.objects.filter(preset=name, token=token).first()
    preset = presets().get(name)
    if not claimed or install is None or preset is None:
        return None
    directory = preset.directory
    partial = directory.with_name(f"{directory.name}.partial-{token}")
    counter, stop = _Counter(), threading.Event()
    reporter: threading.Thread | None = None
    try:
        if not _inside_root(directory):
            raise ValueError(f"{directory} is outside {models_root()}")
        for leftover in _partials(directory):  # of attempts whose worker died
            shutil.rmtree(leftover, ignore_errors=True)
        partial.mkdir(parents=True)
        endpoint = constants.ENDPOINT  # (read now: HF_ENDPOINT, or what a test points it at)
        files = [f for f in HfApi(endpoint=endpoint).list_repo_tree(preset.hub_id, recursive=True)
                 if isinstance(f, RepoFile)]
        ModelInstall.objects.filter(pk=install.pk, token=token).update(
            bytes_total=sum(f.size or 0 for f in files), files_total=len(files), updated_at=timezone.now())
        reporter = _reporter(install.pk, token, counter, stop)
        snapshot_download(preset.hub_id, local_dir=partial, endpoint=endpoint,
                          cache_dir=partial / ".cache" / "hub",  # nothing written outside the folder
                          tqdm_class=_bar_class(counter))
        if not (partial / "model_index.json").exists():
            raise ValueError(f"{preset.hub_id} has no model_index.json: not a diffusers pipeline")
        shutil.rmtree(partial / ".cache", ignore_errors=True)  # the download's own bookkeeping
        stop.set()
        reporter.join()
        with transaction.atomic():
            current = ModelInstall.objects.select_for_update().filter(pk=install.pk, token=token).first()
            if current is None:
                raise _Superseded()
            if directory.exists():  # (a folder without model_index.json: not an install)
                shutil.rmtree(directory)
            partial.rename(directory)
            ModelInstall.objects.filter(pk=install.pk).update(
                status=InstallStatus.SUCCEEDED, bytes_done=_size(directory), files_done=len(files),
                updated_at=timezone.now(), finished_at=timezone.now())
        log.info("installed the preset %s from %s into %s", name, preset.hub_id, directory)
        return InstallStatus.SUCCEEDED
    except _Superseded:
        log.warning("model install %s of %s: replaced by a newer one", token, name)
        shutil.rmtree(partial, ignore_errors=True)
        return None
    except Exception as exc:  # (SoftTimeLimitExceeded included) recorded for staff, never half installed
        log.exception("installing the preset %s failed", name)
        shutil.rmtree(partial, ignore_errors=True)
        ModelInstall.objects.filter(pk=install.pk, token=token).update(
            status=InstallStatus.FAILED, error=_plain_error(exc),
            error_detail=f"{type(exc).__name__}: {exc}"[:4000], updated_at=timezone.now(),
            finished_at=timezone.now())
        return InstallStatus.FAILED
    finally:
        stop.set()
        if reporter is not None:
            reporter.join()


# --- remove -----------------------------------------------------------------------------------

def model_remove(*, user: User, name: str) -> None:
    """Delete the preset's weights directory (staff only). Tiny presets' built-in weights, the
    shared Hugging Face cache and folders outside the models directory are never removed."""
    state = preset_state_get(user=user, name=name)
    preset = state.preset
    if preset.tiny:
        raise Conflict(_("%(name)s is built in and cannot be removed.") % {"name": name}, code="built_in")
    if _active(state.install):
        raise Conflict(_("%(name)s is being installed; wait for the install to end.") % {"name": name},
                       code="installing")
    if not _inside_root(preset.directory):
        raise ValidationFailed(_("%(name)s is configured to a folder outside the models directory; "
                                 "remove it there by hand.") % {"name": name},
                               fields={"preset": [_("Outside the models directory.")]})
    if state.source == Source.HUB_CACHE:
        raise Conflict(_("%(name)s is in the shared Hugging Face cache, which is not managed here.")
                       % {"name": name}, code="hub_cache")
    directory = preset.directory
    if not directory.is_dir():
        raise NotFound(_("%(name)s is not installed.") % {"name": name})
    # Renamed first: from this moment the preset is missing, whatever the deletion takes.
    doomed = directory.with_name(f"{directory.name}.removing-{secrets.token_hex(8)}")
    directory.rename(doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    ModelInstall.objects.filter(preset=name).delete()
    log.info("removed the preset %s's weights (%s) for %s", name, directory, user)
