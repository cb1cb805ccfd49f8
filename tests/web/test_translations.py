"""A complete zh-Hans catalogue; the UI is Chinese by default, English on request."""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.translation import deactivate, gettext, ngettext, override

import kesu
from kesu.accounts.models import Role
from kesu.cases.models import Severity
from kesu.cases.workflow import Action, Status

CATALOGUE = Path(kesu.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
# %(name)s, %s, %d …, %% and {name}; "(%)" in a plain sentence is not a placeholder.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%"
    r"|\{[A-Za-z_]\w*\}"
)
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str = ""
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)


def _parse_po(path: Path) -> list[Entry]:
    # Django ships no .po parser and polib is not a dependency: the format is tiny.
    entries: list[Entry] = []
    entry, key = Entry(), ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("#~"):
            if entry.msgstrs:
                entries.append(entry)
                entry, key = Entry(), ""
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := KEYWORD.match(line):
            key, text = match.group(1), ast.literal_eval(match.group(2))
            _append(entry, key, text, new=True)
        elif line.startswith('"'):
            _append(entry, key, ast.literal_eval(line), new=False)
    return [e for e in entries if e.msgid]


def _append(entry: Entry, key: str, text: str, *, new: bool) -> None:
    if key.startswith("msgstr"):
        if new:
            entry.msgstrs.append("")
        entry.msgstrs[-1] += text
    else:
        setattr(entry, key, getattr(entry, key) + text)


@pytest.fixture(autouse=True)
def _no_active_language():
    # LocaleMiddleware leaves the request's language active in the thread afterwards.
    deactivate()
    yield
    deactivate()


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return _parse_po(CATALOGUE / "django.po")


def _tokens(pattern: re.Pattern[str], text: str) -> Counter[str]:
    return Counter(pattern.findall(text))


def test_catalogue_has_the_chinese_plural_header():
    header = (CATALOGUE / "django.po").read_text(encoding="utf-8").split("\n\n")[0]

    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert '"Language: zh_Hans\\n"' in header
    assert "fuzzy" not in header


def test_every_entry_is_translated_and_checked(entries):
    untranslated = [e.msgid for e in entries if not all(s.strip() for s in e.msgstrs)]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]

    assert len(entries) > 100
    assert untranslated == []
    assert fuzzy == []


def test_plural_entries_fill_the_single_chinese_form(entries):
    plurals = [e for e in entries if e.msgid_plural]

    assert plurals
    assert [e.msgid for e in plurals if len(e.msgstrs) != 1] == []


def test_translations_keep_placeholders_and_html(entries):
    broken = [
        (e.msgid, msgstr)
        for e in entries
        for msgstr in e.msgstrs
        if _tokens(PLACEHOLDER, msgstr) != _tokens(PLACEHOLDER, e.msgid)
        or _tokens(HTML_TAG, msgstr) != _tokens(HTML_TAG, e.msgid)
    ]

    assert broken == []


def test_placeholder_check_notices_a_lost_placeholder():
    assert _tokens(PLACEHOLDER, "客诉单") != _tokens(PLACEHOLDER, "Case %(number)s")
    assert _tokens(PLACEHOLDER, "比例（%）") == _tokens(PLACEHOLDER, "share (%)")


def test_compiled_catalogue_matches_the_po_file(entries):
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = gnu_gettext.GNUTranslations(mo)

    stale = [e.msgid for e in entries if _compiled(compiled, e) != e.msgstrs[0]]

    assert stale == []


def _compiled(compiled: gnu_gettext.GNUTranslations, entry: Entry) -> str:
    if entry.msgid_plural:
        return compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
    if entry.msgctxt:
        return compiled.pgettext(entry.msgctxt, entry.msgid)
    return compiled.gettext(entry.msgid)


def test_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert gettext("Received") == "受理"


@pytest.mark.parametrize(
    ("label", "chinese", "english"),
    [
        (Status.RECEIVED.label, "受理", "Received"),
        (Status.VERIFYING.label, "核实中", "Verifying"),
        (Status.ARCHIVED.label, "已归档", "Archived"),
        (Status.REJECTED.label, "已驳回", "Rejected"),
        (Action.REOPEN.label, "重新打开", "Reopen"),
        (Severity.GENERAL.label, "一般", "General"),
        (Severity.URGENT.label, "紧急", "Urgent"),
        (Severity.MAJOR.label, "重大", "Major"),
        (Role.AGENT.label, "客服", "Agent"),
        (Role.QUALITY.label, "质量专员", "Quality specialist"),
        (Role.ADMIN.label, "系统管理员", "Administrator"),
    ],
)
def test_key_labels_speak_chinese_and_english(label, chinese, english):
    with override("zh-hans"):
        assert str(label) == chinese
    with override("en"):
        assert str(label) == english


def test_case_count_uses_the_single_chinese_plural_form():
    with override("zh-hans"):
        one = ngettext("%(counter)s case", "%(counter)s cases", 1) % {"counter": 1}
        many = ngettext("%(counter)s case", "%(counter)s cases", 7) % {"counter": 7}
    with override("en"):
        english = ngettext("%(counter)s case", "%(counter)s cases", 7) % {"counter": 7}

    assert one == "1 条客诉单"
    assert many == "7 条客诉单"
    assert english == "7 cases"


def test_formatted_message_keeps_its_values_in_chinese():
    with override("zh-hans"):
        text = gettext("Page %(number)s of %(total)s") % {"number": 2, "total": 5}

    assert text == "第 2 页，共 5 页"


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    html = client.get(reverse("web:login")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert "登录 Kesu 客诉系统" in html
    assert "Log in to Kesu" not in html


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("web:login")).content.decode()

    assert '<html lang="en">' in html
    assert "Log in to Kesu" in html
    assert "登录 Kesu 客诉系统" not in html


@pytest.mark.django_db
def test_login_page_follows_an_english_accept_language(client):
    response = client.get(reverse("web:login"), headers={"accept-language": "en"})

    assert "Log in to Kesu" in response.content.decode()


@pytest.mark.django_db
def test_mainland_browser_language_maps_to_simplified_chinese(client):
    response = client.get(
        reverse("web:login"), headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}
    )

    assert "登录 Kesu 客诉系统" in response.content.decode()


@pytest.mark.django_db
def test_unsupported_language_falls_back_to_chinese(client):
    response = client.get(reverse("web:login"), headers={"accept-language": "xx"})

    assert "登录 Kesu 客诉系统" in response.content.decode()


@pytest.mark.django_db
def test_language_switch_remembers_english(client):
    login = reverse("web:login")

    switched = client.post(reverse("set_language"), {"language": "en", "next": login})
    html = client.get(login).content.decode()

    assert switched.status_code == 302
    assert "Log in to Kesu" in html
