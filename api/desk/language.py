"""The desk's languages: which one a request is answered in, its catalogue, and the
template environment that speaks it.

Simplified Chinese is the default, English the other; a supervisor's choice (the
``cardflow_lang`` cookie) wins over what the browser asks for (``Accept-Language``). The
catalogues are the ``.po`` files under ``locale/``, compiled in memory when first asked
for, so no compiled ``.mo`` file can fall behind its source.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal, get_args

import jinja2
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

Language = Literal["zh", "en"]
HtmlLang = Literal["zh-Hans", "en"]

LANGUAGES: Final[Mapping[Language, str]] = {"zh": "中文", "en": "English"}
"""Each language the desk speaks, named in itself (as a language switch shows it)."""
DEFAULT_LANGUAGE: Final[Language] = "zh"
LANGUAGE_COOKIE: Final = "cardflow_lang"

HERE: Final = Path(__file__).resolve().parent
LOCALE_DIR: Final = HERE / "locale"
TEMPLATE_DIR: Final = HERE / "templates"
DOMAIN: Final = "messages"

MOST_HEADER_CHARACTERS: Final = 1024
"""How much of an ``Accept-Language`` header is read; a browser's fits in far less."""
MOST_RANGES: Final = 32
"""How many of the header's language ranges are weighed; the rest are not read."""

_HTML_LANG: Final[Mapping[Language, HtmlLang]] = {"zh": "zh-Hans", "en": "en"}
_TAG: Final = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8})*|\*")
_WEIGHT: Final = re.compile(r"q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
_SIMPLIFIED: Final = frozenset({"hans", "cn", "sg", "my"})
_TRADITIONAL: Final = frozenset({"hant", "tw", "hk", "mo"})


def supported(lang: str | None) -> Language:
    """``lang`` if the desk speaks it, else the default: every page is in a language
    the desk has a catalogue for, whatever a caller passed."""
    return next((known for known in get_args(Language) if known == lang), DEFAULT_LANGUAGE)


def html_lang(lang: str) -> HtmlLang:
    """The ``lang`` attribute of a page in ``lang``: the script, not a country, for
    Chinese, since the pages are in Simplified characters wherever they are read."""
    return _HTML_LANG[supported(lang)]


def negotiate(accept_language: str | None, chosen: str | None) -> Language:
    """The language to answer in: ``chosen`` (the cookie) if the desk speaks it, else the
    most wanted of ``accept_language`` that it speaks, else the default.

    Ranges are weighed by their ``q``, the first listed winning a tie; a language's best
    range counts, and ``*`` stands for each language not named. A range that cannot be
    read, or whose ``q`` is not a number from 0 to 1, is passed over, and so is ``q=0``.
    ``zh``, ``zh-CN``, ``zh-Hans`` and ``zh-SG`` are Chinese; a Traditional one (``zh-TW``,
    ``zh-Hant``, ``zh-HK``) is not, the catalogue being Simplified; ``en`` and every
    ``en-*`` are English. Only the first ``MOST_HEADER_CHARACTERS`` characters and
    ``MOST_RANGES`` ranges are read, so a huge header costs no more than a small one.
    """
    if chosen is not None and chosen in LANGUAGES:
        return supported(chosen)
    best: dict[Language, tuple[float, int]] = {}
    star: tuple[float, int] | None = None
    header = (accept_language or "")[:MOST_HEADER_CHARACTERS]
    for place, item in enumerate(header.split(",")[:MOST_RANGES]):
        read = _range(item)
        if read is None:
            continue
        tag, weight = read
        if tag == "*":
            star = star or (-weight, place)
            continue
        lang = _language_of(tag)
        if lang is not None:
            best[lang] = min(best.get(lang, (0.0, place)), (-weight, place))
    for lang in LANGUAGES:
        if star is not None and lang not in best:
            best[lang] = star
    return min(
        (lang for lang in best if best[lang][0] < 0), key=best.__getitem__, default=DEFAULT_LANGUAGE
    )


def _range(item: str) -> tuple[str, float] | None:
    """One ``Accept-Language`` item as its lower-case tag and weight, or ``None`` if it
    is not one."""
    tag, *parameters = (part.strip() for part in item.split(";"))
    tag = tag.lower()
    if not _TAG.fullmatch(tag):
        return None
    weight = 1.0
    for parameter in parameters:
        said = _WEIGHT.fullmatch(parameter.lower().replace(" ", ""))
        if said is None:
            return None
        weight = float(said.group(1))
    return tag, weight


def _language_of(tag: str) -> Language | None:
    primary, *rest = tag.split("-")
    if primary == "en":
        return "en"
    if primary == "zh":
        subtags = set(rest)
        if subtags & _TRADITIONAL and not subtags & _SIMPLIFIED:
            return None
        return "zh"
    return None


def catalogue_path(lang: str) -> Path:
    """Where the ``.po`` file of ``lang`` lives."""
    return LOCALE_DIR / supported(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(lang: str) -> Translations:
    """The catalogue of ``lang``, compiled from its ``.po`` file once per process.

    A message the ``.po`` file leaves empty (or marks fuzzy) is shown in English, its
    msgid, rather than as nothing."""
    return _translations(supported(lang))


@functools.cache
def _translations(lang: Language) -> Translations:
    with catalogue_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def environment(lang: str) -> jinja2.Environment:
    """The template environment of pages in ``lang``, made once per language.

    HTML is escaped by default, an undefined name is an error rather than an empty
    string, and ``{% trans %}``, ``_()``, ``gettext()`` and ``pgettext()`` speak the
    catalogue of ``lang``; blocks are trimmed the same way when messages are extracted
    (``babel.cfg``). Every template also sees ``lang`` and ``html_lang``.
    """
    return _environment(supported(lang))


@functools.cache
def _environment(lang: Language) -> jinja2.Environment:
    made = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    made.policies["ext.i18n.trimmed"] = True
    made.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    made.globals.update(lang=lang, html_lang=html_lang(lang))
    return made
