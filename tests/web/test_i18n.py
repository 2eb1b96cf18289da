"""English and Simplified Chinese: the catalogue is complete and compiled, pages switch language."""

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.projects.factories import Team

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), body
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], body[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader: enough for the files makemessages writes (no obsolete entries)."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: tuple[str, int] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])? (".*")$', line)
        if match:
            name, index, value = match.group(1), int(match.group(2) or 0), _unquote(match.group(3))
            key = (name, index)
        else:
            assert key is not None and line.startswith('"'), f"{path}:{number}: {raw}"
            name, index, value = key[0], key[1], _unquote(line)
        if name == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + value
        else:
            setattr(current, name, (getattr(current, name) or "") + value)
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return parse_po(PO)


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue: list[Entry]) -> None:
    header, *entries = catalogue
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    assert len(entries) > 250
    problems = []
    for entry in entries:
        where = f"line {entry.line}: {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where} is fuzzy")
        if not entry.msgstr or any(not text.strip() for text in entry.msgstr.values()):
            problems.append(f"{where} is untranslated")
        for text in entry.msgstr.values():
            if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(
                    entry.msgid + (entry.msgid_plural or ""))):
                problems.append(f"{where} has other placeholders: {text!r}")
    assert problems == []


def test_the_mo_file_is_compiled_from_the_current_po(catalogue: list[Entry]) -> None:
    assert MO.is_file(), "run: python manage.py compilemessages --ignore=.venv"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in catalogue[1:]:
        expected = entry.msgstr.get(0, "")
        if entry.msgid_plural is not None:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        elif entry.msgctxt is not None:
            got = compiled.pgettext(entry.msgctxt, entry.msgid)
        else:
            got = compiled.gettext(entry.msgid)
        if got != expected:
            stale.append(entry.msgid)
    assert stale == [], "the .mo is older than the .po: run compilemessages"


def test_template_strings_are_in_the_catalogue(catalogue: list[Entry]) -> None:
    """A string added to a template without running makemessages shows up here."""
    known = {entry.msgid for entry in catalogue}
    pattern = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
    missing = []
    for template in (ROOT / "templates").rglob("*.*"):
        for match in pattern.finditer(template.read_text(encoding="utf-8")):
            if match.group(2) not in known:
                missing.append(f"{template.relative_to(ROOT)}: {match.group(2)}")
    assert missing == []


def test_both_languages_are_offered() -> None:
    assert [code for code, _name in settings.LANGUAGES] == ["en", "zh-hans"]


# --- pages in Chinese -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_cookie_renders_pages_in_chinese(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录 Storyloom" in page and "忘记密码了" in page
    assert "Log in to Storyloom" not in page


@pytest.mark.django_db
def test_the_switcher_sets_the_language(client: Client) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="language" value="zh-hans"' in page and "简体中文" in page
    response = client.post("/i18n/setlang/", {"language": "zh-hans",
                                               "next": reverse("accounts:signup")})
    assert response.status_code == 302 and response.url == reverse("accounts:signup")
    page = client.get(reverse("accounts:signup")).content.decode()
    assert "创建你的账户" in page


@pytest.mark.django_db
def test_a_users_preferred_language_renders_the_project_page(client: Client, team: Team) -> None:
    from projects import services

    services.project_update(project=team.project, user=team.owner, name="月之织")
    team.viewer.preferred_language = "zh-hans"
    team.viewer.save()
    client.force_login(team.viewer)
    page = client.get(reverse("projects:detail", args=[team.project.pk])).content.decode()
    assert "成员" in page and "动态" in page and "你是查看者" in page
    assert "将项目重命名为“月之织”" in page
    assert "Members" not in page


@pytest.mark.django_db
def test_service_errors_are_translated(client: Client) -> None:
    UserFactory(username="taken")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(reverse("accounts:signup"), {
        "username": "taken", "email": "new@example.com",
        "password1": "loom-test-password-7391", "password2": "loom-test-password-7391"})
    page = response.content.decode()
    assert "该用户名已被占用。" in page and "无法创建账户。" in page
