from typing import Any

from django.db.models import Manager
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aesthetics.selectors import palettes_by_sha256
from generation.kinds import RenderMode
from generation.models import Asset, Job, JobKind, Webhook
from kernel.api.fields import ChoiceField


class LineageSerializer(serializers.Serializer):
    asset = serializers.IntegerField(source="pk")
    job = serializers.CharField(source="job.public_id")


class AssetSerializer(serializers.ModelSerializer):
    """One output; its files are served to the project's members only."""

    file = serializers.SerializerMethodField()
    poster = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()
    parent = LineageSerializer(allow_null=True, help_text="The asset it was remixed from.")

    class Meta:
        model = Asset
        fields = ["id", "role", "kind", "file", "poster", "preview", "thumbnail", "download", "sha256",
                  "width", "height", "frames", "fps", "seconds", "parent", "created_at"]

    def _url(self, asset: Asset, name: str, download: bool = False) -> str | None:
        url = asset.media_url(name, download=download)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if url and request is not None else url

    def get_file(self, asset: Asset) -> str | None:
        return self._url(asset, "file")

    def get_poster(self, asset: Asset) -> str | None:
        return self._url(asset, "poster")

    def get_preview(self, asset: Asset) -> str | None:
        return self._url(asset, "preview")

    def get_thumbnail(self, asset: Asset) -> str | None:
        return self._url(asset, "thumbnail")

    def get_download(self, asset: Asset) -> str | None:
        return self._url(asset, "file", download=True)


class AssetJobSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    requester = serializers.CharField(source="requester.username", allow_null=True)
    requester_name = serializers.CharField(source="requester.name", allow_null=True)

    class Meta:
        model = Job
        fields = ["id", "kind", "preset", "prompt", "negative_prompt", "seed", "steps", "guidance",
                  "render_mode", "requester", "requester_name"]


class PaletteColourSerializer(serializers.Serializer):
    hex = serializers.CharField()
    share = serializers.FloatField()
    percent = serializers.IntegerField()


class LibraryAssetListSerializer(serializers.ListSerializer):
    """A page of the library: the palettes of all its assets read in one query."""

    def to_representation(self, data: Any) -> list[Any]:
        assets = list(data.all() if isinstance(data, Manager) else data)
        self.context["palettes"] = palettes_by_sha256(sha256s=[asset.sha256 for asset in assets])
        return super().to_representation(assets)


class LibraryAssetSerializer(AssetSerializer):
    """An asset in the project's media library: with the job that made it, its remixes and its
    palette."""

    job = AssetJobSerializer()
    remixes = serializers.IntegerField(source="remix_count", help_text="Jobs remixed from it.")
    palette = serializers.SerializerMethodField()

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "job", "remixes", "palette"]
        list_serializer_class = LibraryAssetListSerializer

    @extend_schema_field(PaletteColourSerializer(many=True, allow_null=True, help_text=(
        "Its dominant colours with their shares, largest first (its aesthetic report's); null until "
        "it has been measured.")))
    def get_palette(self, asset: Asset) -> list[dict[str, Any]] | None:
        palettes = self.context.get("palettes")
        if palettes is None:  # one asset alone
            palettes = palettes_by_sha256(sha256s=[asset.sha256])
        return palettes.get(asset.sha256)


class JobSceneSerializer(serializers.Serializer):
    scene = serializers.CharField(help_text="The storyboard scene's id.")
    number = serializers.IntegerField()
    prompt = serializers.CharField()
    negative_prompt = serializers.CharField()
    frames = serializers.IntegerField()
    seed = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    requester = serializers.CharField(source="requester.username", allow_null=True)
    requester_name = serializers.CharField(source="requester.name", allow_null=True)
    seconds = serializers.FloatField()
    steps_total = serializers.IntegerField(source="total_steps",
                                           help_text="A storyboard's steps, over all its scenes.")
    scenes = JobSceneSerializer(many=True, help_text="A storyboard's scenes, one clip each.")
    parent = LineageSerializer(allow_null=True, help_text="The asset this job remixes.")
    asset = serializers.SerializerMethodField()
    scene_assets = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "preset", "status", "progress", "step", "steps", "steps_total", "eta_s",
                  "error", "prompt", "negative_prompt", "width", "height", "frames", "fps", "seconds",
                  "guidance", "seed", "render_mode", "scenes", "parent", "requester", "requester_name",
                  "timings", "created_at", "started_at", "finished_at", "asset", "scene_assets"]

    @extend_schema_field(AssetSerializer(allow_null=True))
    def get_asset(self, job: Job) -> dict | None:
        asset = next((a for a in job.assets.all() if a.role == "output"), None)
        return AssetSerializer(asset, context=self.context).data if asset else None

    @extend_schema_field(AssetSerializer(many=True))
    def get_scene_assets(self, job: Job) -> list[dict]:
        """A storyboard's clips, in scene order."""
        clips = sorted((a for a in job.assets.all() if a.role.startswith("scene-")),
                       key=lambda a: int(a.role.removeprefix("scene-")))
        return list(AssetSerializer(clips, many=True, context=self.context).data)


class PresetSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # (a field, not Field.label)
    kind = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    frames = serializers.IntegerField()
    fps = serializers.IntegerField()
    steps = serializers.IntegerField()
    guidance = serializers.FloatField()
    max_width = serializers.IntegerField()
    max_height = serializers.IntegerField()
    max_frames = serializers.IntegerField()
    max_steps = serializers.IntegerField()
    size_multiple = serializers.IntegerField()
    frame_step = serializers.IntegerField(help_text="Frames are frame_step × k + 1.")
    render_modes = serializers.ListField(child=serializers.CharField(), help_text=(
        "quality, and fast where the model has a fast mode (it reuses work between denoising steps: "
        "quicker, a little less faithful)."))
    available = serializers.BooleanField(help_text="Its weights are on this machine (always true: only "
                                                    "installed models are listed).")


class ModelInstallSerializer(serializers.Serializer):
    """A preset's last install from the Hub: its progress, and how it ended (for staff)."""

    status = serializers.CharField(help_text="queued, running, succeeded or failed.")
    bytes_done = serializers.IntegerField()
    bytes_total = serializers.IntegerField(help_text="0 until the Hub listed the files.")
    files_done = serializers.IntegerField()
    files_total = serializers.IntegerField()
    error = serializers.CharField(help_text="What went wrong, in plain words.")
    error_detail = serializers.CharField(help_text="The exception behind it.")
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    started_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ModelStateSerializer(serializers.Serializer):
    """A preset and whether its weights are on this machine (the staff Models page)."""

    name = serializers.CharField(source="preset.name")
    label = serializers.CharField(source="preset.label")  # type: ignore[assignment]
    kind = serializers.CharField(source="preset.kind")
    hub_id = serializers.CharField(source="preset.hub_id",
                                   help_text="Where it installs from (empty: nowhere).")
    state = serializers.ChoiceField(choices=["installed", "installing", "missing"])
    source = serializers.CharField(  # type: ignore[assignment]  # (a field, not Field.source)
        allow_null=True, help_text="built_in (a tiny preset), directory or hub_cache; null when missing.")
    size_bytes = serializers.IntegerField(allow_null=True, help_text="On disk; null when nothing is yet.")
    installable = serializers.BooleanField()
    removable = serializers.BooleanField()
    install = ModelInstallSerializer(allow_null=True)


class AssetRemixInput(serializers.Serializer):
    """What to change; anything left out is the source job's."""

    preset = serializers.CharField(max_length=64, required=False)
    prompt = serializers.CharField(allow_blank=True, required=False, help_text="Up to 2,000 characters.")
    negative_prompt = serializers.CharField(allow_blank=True, required=False)
    width = serializers.IntegerField(required=False)
    height = serializers.IntegerField(required=False)
    frames = serializers.IntegerField(required=False, help_text="Video: frames (or give seconds).")
    seconds = serializers.FloatField(required=False, help_text="Video: length at the clip's fps.")
    fps = serializers.IntegerField(required=False)
    steps = serializers.IntegerField(required=False)
    guidance = serializers.FloatField(required=False)
    seed = serializers.IntegerField(required=False, allow_null=True)
    render_mode = ChoiceField(choices=RenderMode.choices, required=False,
                              help_text="quality (the default) or fast: see the preset's render_modes.")
    style = serializers.CharField(allow_blank=True, required=False,  # type: ignore[assignment]
                                  help_text="Storyboard: added to every scene's prompt.")


class JobCreateInput(AssetRemixInput):
    """Anything left out comes from the preset; the seed is drawn when absent. A storyboard job
    renders the project's storyboard, one clip per scene, joined in order."""

    kind = ChoiceField(choices=JobKind.choices)
    preset = serializers.CharField(max_length=64)
    prompt = serializers.CharField(allow_blank=True, required=False,
                                   help_text="Up to 2,000 characters (a storyboard's scenes have their own).")


class AllowanceSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Stable, for programs: e.g. chain_transactions.")
    label = serializers.CharField()  # type: ignore[assignment]
    used = serializers.FloatField(help_text="Today (UTC).")
    limit = serializers.FloatField(help_text="A day, on your plan.")
    help = serializers.CharField(help_text="What counts, in plain words.")


class UsageSerializer(serializers.Serializer):
    plan = serializers.CharField()
    compute_today = serializers.FloatField(help_text="Megapixel-steps used today, failed and cancelled jobs "
                                                     "counted for the steps that ran.")
    compute_per_day = serializers.FloatField(help_text="Megapixel-steps your plan renders a day: a job "
                                                       "that would go past it is refused.")
    compute_unit = serializers.CharField(help_text="Always megapixel-steps: frames × width × height × "
                                                   "steps, in millions (an image is one frame).")
    compute_help = serializers.CharField(help_text="The unit, explained for people.")
    video_seconds_today = serializers.FloatField(help_text="Seconds of video queued or made today "
                                                           "(shown, not limited).")
    jobs_in_flight = serializers.IntegerField()
    jobs_in_flight_max = serializers.IntegerField()
    max_side = serializers.IntegerField(help_text="The largest width or height the plan renders.")
    running_max = serializers.IntegerField(help_text="Your jobs that run at once; the rest wait their turn.")
    watermark = serializers.BooleanField(help_text="Whether the plan's outputs carry a visible mark.")
    resets_at = serializers.DateTimeField(help_text="When the daily allowance starts again (midnight UTC).")
    allowances = AllowanceSerializer(many=True, help_text="Other daily allowances of your plan (chain "
                                                          "transactions...).")


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "url", "created_at"]


class WebhookCreatedSerializer(serializers.ModelSerializer):
    """The secret is shown here, once: receivers check the signature with it."""

    class Meta:
        model = Webhook
        fields = ["id", "url", "secret", "created_at"]


class WebhookCreateInput(serializers.Serializer):
    url = serializers.CharField(help_text="An http or https URL that receives job.succeeded and job.failed.")


class AestheticMeasureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The measure's name (aesthetics.measures.MEASURES).")
    name = serializers.CharField(help_text="What people call it.")
    explains = serializers.CharField(help_text="What it measures, in plain words.")
    unit = serializers.CharField(help_text="Its scale, and the source it follows.")
    low = serializers.CharField(help_text='What its low end means ("muted").')
    high = serializers.CharField(help_text='What its high end means ("vivid").')
    value = serializers.JSONField(help_text="A number, or null when it does not apply (no horizon).")
    shown = serializers.CharField(help_text="The value to three significant digits (empty when null).")
    standing = serializers.FloatField(allow_null=True, help_text="Percent of published works below it.")
    compared = serializers.CharField(allow_null=True, help_text='E.g. "Warmer than 80 % of published works".')


class AestheticReportSerializer(serializers.Serializer):
    """A render's aesthetic report; `status` is "pending" until it has been measured."""

    status = serializers.ChoiceField(choices=["measured", "pending"])
    kind = serializers.CharField(required=False)
    measured_at = serializers.DateTimeField(required=False)
    palette = PaletteColourSerializer(many=True, required=False)
    harmony_template = serializers.CharField(
        required=False, help_text="The hue template it fits best (Cohen-Or et al. 2006: i, I, V, L, Y, T, X; "
                                  "grey when colourless).")
    subject = serializers.ListField(child=serializers.FloatField(), required=False,
                                    help_text="Where the eye goes first (x, y as fractions of the frame).")
    measures = AestheticMeasureSerializer(many=True, required=False)
