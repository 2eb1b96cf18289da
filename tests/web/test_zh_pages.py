"""The main pages in Chinese carry no English: each page of the main flows is rendered with the
language cookie set to zh-hans, its visible text taken out (text, alt, title, placeholder,
aria-label and the data-label-* strings the scripts show), and any run of Latin words that is not
a brand or content the test data put there fails, naming the page and the words.

The test data is Chinese (names, titles, prompts, tags), so English in a page is the site's own.
The allow-list is short, and each entry says why it may stay in Latin script."""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.translation import override, pgettext

from accounts.models import TokenScope, User
from collab.services import scene_add
from projects.models import Project
from recommend import serving
from recommend.models import ReportReason
from recommend.preferences import onboarding_complete
from recommend.services import like_set, report, save_set
from rights import keys
from tests.accounts.factories import UserFactory
from tests.inbox.factories import NotificationFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import image_asset, publish, register
from tests.servers import free_port

pytestmark = pytest.mark.django_db

# Names of products, standards and formats: the same in every language.
BRANDS = {
    "Storyloom", "C2PA", "ISCC", "Ethereum", "API", "REST", "OpenAPI", "MP4", "PNG", "JPEG", "WebP", "JSON",
    "CSV", "Yjs", "GPU", "CPU", "UTC", "HTTP", "HTTPS", "URL", "SHA", "ID", "OpenAI", "Creative", "Commons",
    "CC", "BY", "NC", "ND", "Anvil", "EVM", "Celery", "Valkey", "Bearer", "Markdown", "diffusers",
    "Hugging", "Face", "WebSocket", "JavaScript", "GIF", "MB", "KB", "GB",
    # The models' names (preset labels), as their makers spell them.
    "LTX", "Video", "Wan", "T2V", "CogVideoX", "PixArt", "Sigma", "Stable", "Diffusion", "Medium", "Tiny",
    "LAION", "CLIP",  # the aesthetic predictor and the model it reads pictures with
}
ALLOWED = {
    "English",  # the language switcher names each language in itself
    "gas",  # Ethereum's unit of transaction cost: Chinese writes it in Latin letters too (Gas 费)
    "fps",  # frames per second: the unit as Chinese video software writes it
}
# The API's token scopes: what a client asks for, by name, in any language.
IDENTIFIERS = set(TokenScope.values)
# Attributes whose value people see (or hear); data-label-* hold what the scripts show.
SHOWN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-valuetext", "value"}
VALUE_TYPES = {"submit", "button", "reset"}  # an <input>'s value is shown on these only
SKIPPED = {"script", "style", "code", "kbd"}  # code and keys are typed as they are, in any language
LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"  # (not the multiplication and division signs)
LATIN_RUN = re.compile(rf"[{LATIN}][{LATIN}'’-]*(?:[ \t]+[{LATIN}][{LATIN}'’-]*)*")
# Not words: addresses, hashes, ids, file names, e-mail, URLs, {placeholders} and %(names)s.
NOT_WORDS = re.compile(
    r"https?://\S+|\S+@\S+|\b0x[0-9a-fA-F]+\b|\{[a-z_]+\}|%\([a-z_]+\)[sd]|\S*[0-9_./:=#]\S*")


class Visible(HTMLParser):
    """The text of a page people see or hear, as (where, text) pairs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.stack: list[str] = []
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        # Skipped: code; and a list of languages, where each names itself (English, Français...).
        if tag in SKIPPED or (tag == "select" and attributes.get("name") == "language"):
            self.skipping += 1
        where = tag + (f"#{attributes['id']}" if attributes.get("id") else "")
        for name, value in attrs:
            if not value or self.skipping:
                continue
            if name == "value" and not (tag == "input" and attributes.get("type") in VALUE_TYPES):
                continue
            if name in SHOWN_ATTRIBUTES or name.startswith("data-label"):
                self.found.append((f"{where}[{name}]", value))
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"):
            self.stack.append(where)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED or tag == "select":
            self.skipping = max(0, self.skipping - 1)
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.found.append((self.stack[-1] if self.stack else "", data))


def english(page: str, content: set[str]) -> list[str]:
    """Runs of Latin words in the visible text of `page` that are neither content nor brands."""
    parser = Visible()
    parser.feed(page)
    problems = []
    for where, text in parser.found:
        for item in sorted(content, key=len, reverse=True):
            text = text.replace(item, " ")
        text = NOT_WORDS.sub(" ", text)
        for run in LATIN_RUN.findall(text):
            words = [w for w in re.split(r"[ \t'’-]+", run) if w]
            if words and not all(w in BRANDS | ALLOWED | IDENTIFIERS for w in words):
                problems.append(f"{where}: {run!r}")
    return problems


# --- the data: Chinese names, titles and prompts ------------------------------------------------


def chinese(user: User, name: str) -> User:
    User.objects.filter(pk=user.pk).update(display_name=name)
    user.refresh_from_db()
    return user


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    keys._platform_key.cache_clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    settings.EMBEDDED_CHAIN, settings.CHAIN_PRIVATE_KEY, settings.REGISTRY_ADDRESS = True, "", ""
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens: the page says so
    serving.reset()
    team: Team = project_with_team()
    Project.objects.filter(pk=team.project.pk).update(name="灯塔守护人", description="一个关于灯塔的故事。")
    team.project.refresh_from_db()
    for who, name in (("owner", "艾达"), ("editor", "小林"), ("viewer", "王芳"), ("outsider", "陈默")):
        chinese(team.user(who), name)
        onboarding_complete(user=team.user(who), tags=[])
    scene_add(project=team.project, user=team.editor, prompt="黎明时分的港口", duration=1)
    works = [publish(team.project, team.owner, title=title, tags=[tag], seed=n, prompt=prompt)
             for n, (title, tag, prompt) in enumerate([("黎明港口", "海洋", "黎明时分的港口，电影感"),
                                                       ("雾中灯塔", "灯塔", "雾中的灯塔"),
                                                       ("夜航", "夜晚", "夜里的渡轮")])]
    work = register(works[0].asset, team.owner)
    unpublished = image_asset(team.project, team.editor, seed=9, prompt="新的渲染")
    like_set(user=team.editor, publication_id=works[1].public_id, liked=True)
    save_set(user=team.editor, publication_id=works[2].public_id, saved=True)
    NotificationFactory(recipient=team.editor, actor=team.owner, params={"actor": team.owner.name,
                                                                         "project": team.project.name})
    staff = chinese(UserFactory(is_staff=True), "审核员")
    report(user=team.viewer, publication_id=works[2].public_id, reason=ReportReason.SPAM, note="重复发布")
    users = [team.owner, team.editor, team.viewer, team.outsider, staff]
    content = {team.project.name, team.project.description, "黎明时分的港口", "新的渲染", "Registered",
               *(u.username for u in users), *(u.email for u in users), *(u.name for u in users),
               *(w.title for w in works), *(w.prompt for w in works)}
    yield {"team": team, "works": works, "work": work, "unpublished": unpublished, "content": content,
           "staff": staff}
    keys._platform_key.cache_clear()


def pages(world: dict[str, Any]) -> list[tuple[str, User | None, str]]:
    team, works, work = world["team"], world["works"], world["work"]
    project = team.project.pk
    return [
        ("home", None, reverse("home")),
        ("dashboard", team.editor, reverse("home")),
        ("gallery", team.editor, reverse("gallery:home")),
        ("gallery, logged out", None, reverse("gallery:home")),
        ("work", team.editor, reverse("gallery:work", args=[works[0].public_id])),
        ("creator", team.editor, reverse("gallery:creator", args=[team.owner.username])),
        ("saved", team.editor, reverse("gallery:collections")),
        ("liked", team.editor, reverse("gallery:liked")),
        ("gallery preferences", team.editor, reverse("gallery:preferences")),
        ("publish", team.owner, reverse("gallery:publish", args=[project, world["unpublished"].pk])),
        ("projects", team.owner, reverse("projects:list")),
        ("project (studio, queue, library)", team.owner, reverse("projects:detail", args=[project])),
        ("storyboard", team.editor, reverse("collab:storyboard", args=[project])),
        ("usage", team.editor, reverse("generation:usage")),
        ("verify", None, reverse("verify")),
        ("certificate", None, reverse("works:detail", args=[work.public_id])),
        ("my works", team.owner, reverse("works:list")),
        ("register a work", team.editor, reverse("works:new")),
        ("profile", team.editor, reverse("accounts:profile")),
        ("API tokens", team.editor, reverse("accounts:tokens")),
        ("password", team.editor, reverse("accounts:password_change")),
        ("log in", None, reverse("accounts:login")),
        ("sign up", None, reverse("accounts:signup")),
        ("inbox", team.editor, reverse("inbox:list")),
        ("moderation queue", world["staff"], reverse("gallery:moderation:queue")),
        ("moderation of a work", world["staff"], reverse("gallery:moderation:detail",
                                                        args=[works[2].public_id])),
        ("models", world["staff"], reverse("generation:models")),
    ]


def test_the_main_pages_in_chinese_have_no_english(world: dict[str, Any]) -> None:
    found: dict[str, list[str]] = {}
    for name, user, url in pages(world):
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        problems = english(response.content.decode(), world["content"])
        if problems:
            found[f"{name} ({url})"] = problems
    report = "\n".join(f"{page}:\n  " + "\n  ".join(dict.fromkeys(problems))
                       for page, problems in found.items())
    assert not found, "English left in Chinese pages:\n" + report


def test_the_checker_finds_english_and_lets_content_and_brands_be() -> None:
    page = ("<main><h1>灯塔</h1><p title='Play it'>由 <b>Ada</b> 保存</p><input type=submit value='Send'>"
            "<input name=q value='typed'><script>let english = 1</script><p>Storyloom 的 C2PA 凭证</p>"
            "<p>0xabcdef12 · pub_12ab · https://example.com/x</p>"
            "<p data-label-x='{count} renders'></p></main>")
    assert english(page, {"Ada"}) == ["p[title]: 'Play it'", "input[value]: 'Send'",
                                      "p[data-label-x]: 'renders'"]


def test_service_errors_come_in_chinese(world: dict[str, Any]) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(world["team"].editor)
    error = client.get("/api/v1/projects?archived=maybe").json()["error"]
    shown = f"<p>{error['message']}</p><p>{error['fields']['archived'][0]}</p>"
    assert not english(shown, {"false", "true", "all"}), error  # (the values the API takes)


def test_by_is_translated_in_its_own_sense_in_the_queue_and_under_a_version() -> None:
    """"by Ada" is "requested by" in the queue and "saved by" under a storyboard version: two
    entries in the catalogue (contexts), each translated for its sense."""
    with override("zh-hans"):
        requested, saved = pgettext("requested by", "by %(name)s"), pgettext("saved by", "by %(name)s")
    assert "保存" not in requested and "by" not in requested and "保存" in saved, (requested, saved)
