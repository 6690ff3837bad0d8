"""Six languages: complete catalogues, locale formats, right-to-left layout."""

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

import patron
from patron.core import formatting

PACKAGE = Path(patron.__file__).parent
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]


def test_languages_are_the_six():
    assert [code for code, _ in settings.LANGUAGES] == ["en", "he", "ar", "hy", "ka", "ms"]


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs gettext (make test installs it)"
)
def test_every_ui_string_is_translated_in_every_language(tmp_path, monkeypatch):
    """Extract the strings from the code as it is now and merge them into copies of the
    catalogues: any string without a translation, or one left fuzzy, fails the test."""
    tree = tmp_path / "patron"
    shutil.copytree(PACKAGE, tree, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo"))
    monkeypatch.chdir(tree)
    with override_settings(LOCALE_PATHS=[str(tree / "locale")]):
        call_command("makemessages", locale=TRANSLATED, verbosity=0, no_obsolete=True)
    problems = []
    for code in TRANSLATED:
        with (tree / "locale" / code / "LC_MESSAGES" / "django.po").open("rb") as handle:
            catalog = read_po(handle, locale=code)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                problems.append(f"{code}: {message.id!r}")
    assert not problems, "missing or fuzzy translations:\n" + "\n".join(problems[:40])


def test_catalogues_compile_and_are_used(tmp_path):
    call_command("compilecatalogs", verbosity=0)
    for code in TRANSLATED:
        assert (PACKAGE / "locale" / code / "LC_MESSAGES" / "django.mo").exists()
        with translation.override(code):
            assert translation.gettext("Customers") != "Customers", code


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext")
def test_catalogues_pass_msgfmt_check():
    for code in TRANSLATED:
        po = PACKAGE / "locale" / code / "LC_MESSAGES" / "django.po"
        result = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(po)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "$1,234.50"), ("he", "1,234.50"), ("hy", "1 234,50"), ("ms", "RM1,234.50")],
)
def test_money_follows_the_locale(code, expected):
    currency = "MYR" if code == "ms" else "USD"
    text = formatting.format_money(Decimal("1234.5"), currency, locale=code)
    assert expected in text.replace("\xa0", " ").replace("\u202f", " ").replace("\u200f", "")


def test_numbers_and_dates_follow_the_locale():
    day = dt.date(2026, 3, 8)
    assert formatting.format_date(day, locale="en") == "Mar 8, 2026"
    assert "2026" in formatting.format_date(day, locale="ka")
    assert formatting.format_date(day, locale="hy") != formatting.format_date(day, locale="en")
    assert formatting.format_number(1234567, locale="en") == "1,234,567"
    assert formatting.format_number(1234567, locale="hy").replace("\xa0", " ") == "1 234 567"


def test_datetimes_are_shown_in_the_users_time_zone():
    import zoneinfo

    from django.utils import timezone

    moment = dt.datetime(2026, 1, 1, 22, 30, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Yerevan")):
        assert "2:30" in formatting.format_datetime(moment, locale="en")  # +04:00, next day
        assert "Jan 2, 2026" in formatting.format_datetime(moment, locale="en")


def test_rtl_pages_use_the_rtl_stylesheet(client, agent):
    for code, direction in [("he", "rtl"), ("ar", "rtl"), ("hy", "ltr"), ("ms", "ltr")]:
        agent.language = code
        agent.save()
        client.force_login(agent)
        page = client.get("/").content.decode()
        assert f'lang="{code}" dir="{direction}"' in page
        assert ("bootstrap.rtl.min.css" in page) == (direction == "rtl")


def test_app_css_uses_logical_properties_only():
    css = (PACKAGE / "web" / "static" / "patron" / "css" / "app.css").read_text()
    for physical in (
        "margin-left",
        "margin-right",
        "padding-left",
        "padding-right",
        "text-align: left",
        "text-align: right",
        "border-left",
        "border-right",
        " left:",
        " right:",
    ):
        assert physical not in css, physical
