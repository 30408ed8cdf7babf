"""The desk's languages: which one a request gets, the words it shows, and catalogues that
keep up with the code and templates that ask for words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from api.config import ConfigurationError, desk_time_zone, settings
from api.desk import words
from api.desk.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MOST_HEADER_CHARACTERS,
    MOST_RANGES,
    catalogue_path,
    environment,
    html_lang,
    negotiate,
    translations,
)
from api.desk.pictures import Labels, workflow_svg
from api.desk.words import Words
from workflow import definition
from workflow.errors import NotFromHere, PolicyError, WorkflowError
from workflow.policy import Window
from workflow.states import Channel, ErasureReason, Event, Presenter, Role, State

ROOT = Path(__file__).resolve().parents[2]
KEYWORD = "word:1c,2"
EXTRACT = (
    f"pybabel extract -F babel.cfg -k {KEYWORD} --no-location --project cardflow "
    "-o api/desk/locale/messages.pot ."
)
UPDATE = "pybabel update -i api/desk/locale/messages.pot -d api/desk/locale"
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class TestNegotiate:
    """A valid cookie wins; else the most wanted language the desk speaks; else Chinese."""

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, "zh"),
            ("", "zh"),
            ("en", "en"),
            ("en-US,en;q=0.9", "en"),
            ("EN-gb", "en"),
            ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
            ("zh", "zh"),
            ("zh-Hans", "zh"),
            ("zh-SG", "zh"),
            ("zh-Hans-CN", "zh"),
            ("en-GB;q=0.8, zh-Hans;q=0.9", "zh"),
            ("fr-FR, en;q=0.5", "en"),
            ("fr, de", "zh"),
            ("zh-TW, en;q=0.8", "en"),
            ("zh-Hant, en;q=0.1", "en"),
            ("en;q=0, zh;q=0.1", "zh"),
            ("zh;q=0, en;q=0.1", "en"),
            ("en;q=0.5, zh;q=0.5", "en"),
            ("zh;q=0.5, en;q=0.5", "zh"),
            ("en-US;q=0, en", "en"),
            ("*;q=0.5, en;q=0.4", "zh"),
            ("zh;q=0, *", "en"),
            ("en ; q = 0.7 , zh;q=0.3", "en"),
            ("en;q=1.000", "en"),
            ("zh;q=0.001, en;q=0.0001", "zh"),
        ],
    )
    def test_the_header(self, header, expected):
        assert negotiate(header, None) == expected

    @pytest.mark.parametrize(
        ("header", "chosen", "expected"),
        [
            ("en", "zh", "zh"),
            ("zh", "en", "en"),
            (None, "en", "en"),
            ("en", "fr", "en"),
            ("en", "", "en"),
            ("en", "ZH", "en"),
            ("en", "zh; other=1", "en"),
            ("zh", "en\x00", "zh"),
        ],
    )
    def test_a_valid_cookie_wins(self, header, chosen, expected):
        assert negotiate(header, chosen) == expected

    @pytest.mark.parametrize(
        "header",
        [
            "en;q=2",
            "en;q=-1",
            "en;q=abc",
            "en;q=0.5000",
            "en;q=",
            "en;level=1",
            ";;;,,,===",
            "\x00en",
            "<script>en</script>",
            "en_US",
            "e" * 9,
            "en-" + "x" * 9,
        ],
    )
    def test_what_cannot_be_read_is_passed_over(self, header):
        assert negotiate(header, None) == DEFAULT_LANGUAGE
        assert negotiate(f"{header}, en;q=0.1", None) == "en"

    def test_only_the_head_of_a_huge_header_is_read(self):
        padding = "x-" * MOST_HEADER_CHARACTERS
        assert negotiate(f"{padding},en", None) == DEFAULT_LANGUAGE
        assert negotiate(f"en,{padding}", None) == "en"

    def test_only_the_first_ranges_are_weighed(self):
        assert negotiate("fr," * (MOST_RANGES - 1) + "en", None) == "en"
        assert negotiate("fr," * MOST_RANGES + "en", None) == DEFAULT_LANGUAGE

    @given(st.text(max_size=4000), st.one_of(st.none(), st.text(max_size=20)))
    def test_any_text_gets_a_language(self, header, chosen):
        assert negotiate(header, chosen) in LANGUAGES


class TestHtmlLang:
    """A page names its script for Chinese, and a language the desk speaks at all."""

    @pytest.mark.parametrize(
        ("lang", "expected"), [("zh", "zh-Hans"), ("en", "en"), ("fr", "zh-Hans"), ("", "zh-Hans")]
    )
    def test_the_attribute(self, lang, expected):
        assert html_lang(lang) == expected


def chinese() -> Words:
    return Words("zh", SHANGHAI)


def english() -> Words:
    return Words("en", SHANGHAI)


class TestNames:
    """Every name cardflow has is in Chinese, in the seeds' words, and in English."""

    @pytest.mark.parametrize(
        ("enum", "say"),
        [
            (State, Words.state),
            (Event, Words.event),
            (Channel, Words.channel),
            (Role, Words.role),
            (Presenter, Words.presenter),
        ],
    )
    def test_every_member_has_its_chinese(self, enum, say):
        for member in enum:
            zh, en = say(chinese(), member), say(english(), member)
            assert zh, member
            assert zh != en, member
            assert say(chinese(), str(member)) == zh
        said = [say(chinese(), member) for member in enum]
        assert len(set(said)) == len(said), f"two of {enum.__name__} read alike: {said}"

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            (State.APPLIED, "已申领"),
            (State.REPORTED_LOST, "已挂失"),
            (State.CANCELLED, "已注销"),
            (Event.APPLY, "申领"),
            (Event.REVIEW, "审核"),
            (Event.PRODUCE, "制卡"),
            (Event.COLLECT, "领卡"),
            (Event.ACTIVATE, "启用"),
            (Event.REPORT_TEMPORARY_LOSS, "临时挂失"),
            (Channel.BANK_OUTLET, "银行网点"),
            (Channel.HOTLINE_12333, "12333 热线"),
        ],
    )
    def test_the_seeds_words(self, name, expected):
        said = {State: Words.state, Event: Words.event, Channel: Words.channel}[type(name)]
        assert said(chinese(), name) == expected

    def test_every_kind_of_entry(self):
        for kind in ("transition", "refusal", "erasure"):
            assert chinese().kind(kind) not in (english().kind(kind), kind)

    def test_every_evidence_key_the_rules_and_notes_record(self):
        keys = {*definition.EVIDENCE, "refused", "reason", "attempts", "unnoted_until", "erased"}
        assert keys <= set(words.EVIDENCE)
        for key in keys:
            assert chinese().evidence(key) not in (english().evidence(key), key)

    def test_every_value_with_words(self):
        refusals = {
            "".join(f"_{c.lower()}" if c.isupper() else c for c in kind.__name__).lstrip("_")
            for kind in subclasses(WorkflowError)
            if kind not in (PolicyError, NotFromHere)
        }
        values = {
            *(choice for proof in definition.EVIDENCE.values() for choice in proof.choices),
            *(str(window) for window in Window),
            *(str(reason) for reason in ErasureReason),
            *refusals,
            "true",
            "false",
            "personal_data",
        }
        assert values - set(words.VALUES) == set()
        for value in values:
            assert chinese().value(value) not in (english().value(value), value)
        assert (chinese().value(True), chinese().value(False)) == ("是", "否")
        assert (english().value(True), english().value(False)) == ("yes", "no")

    @pytest.mark.parametrize(
        "method",
        [
            Words.state,
            Words.event,
            Words.channel,
            Words.presenter,
            Words.role,
            Words.kind,
            Words.evidence,
            Words.value,
        ],
    )
    @pytest.mark.parametrize("unknown", ["", "gone", "<b>x</b>", "PS-1A2B3C4D-2", "\x00", "已申领"])
    def test_an_unknown_name_is_shown_as_given(self, method, unknown):
        assert method(chinese(), unknown) == unknown
        assert method(english(), unknown) == unknown

    def test_a_language_it_does_not_speak_is_the_default(self):
        assert Words("fr", SHANGHAI).state(State.APPLIED) == "已申领"
        assert Words("fr", SHANGHAI).lang == DEFAULT_LANGUAGE

    def test_words_are_the_pictures_labels(self):
        labels: Labels = chinese()
        drawn = workflow_svg(labels, title="lifecycle")
        assert "已申领" in drawn
        assert "银行网点" in drawn
        assert ">applied<" not in drawn


def subclasses(root: type) -> Iterable[type]:
    for kind in root.__subclasses__():
        yield kind
        yield from subclasses(kind)


class TestTimes:
    """Times in the desk's zone as each language writes them, UTC in the title."""

    def test_in_shanghai(self):
        moment = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)
        shown, title = chinese().time(moment)
        assert "2026年1月2日" in shown
        assert "00:30" in shown
        assert title == "2026-01-01T16:30:00.000000Z"
        shown, same = english().time(moment)
        assert "2 Jan 2026" in shown
        assert "00:30" in shown
        assert same == title

    def test_in_another_zone(self):
        moment = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)
        shown, _ = Words("en", ZoneInfo("America/New_York")).time(moment)
        assert "11:30" in shown

    def test_a_time_without_a_zone_is_utc(self):
        aware = chinese().time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
        assert chinese().time(datetime(2026, 7, 1, 12, 0)) == aware
        assert "20:00" in aware[0]
        naive = NOW.replace(tzinfo=None)
        assert english().when(naive + timedelta(hours=2), NOW) == "2 hours left"
        assert english().when(NOW + timedelta(hours=2), naive) == "2 hours left"


class TestSpans:
    """A span in its two largest units; past the deadline it says overdue."""

    @pytest.mark.parametrize(
        ("span", "zh", "en"),
        [
            (timedelta(days=3, hours=4, minutes=5), "3天4小时", "3 days 4 hours"),
            (timedelta(days=1), "1天", "1 day"),
            (timedelta(days=3, minutes=5), "3天", "3 days"),
            (5 * 3600 + 7 * 60 + 59, "5小时7分钟", "5 hours 7 minutes"),
            (90.0, "1分钟", "1 minute"),
            (30, "不到 1 分钟", "less than a minute"),
            (0, "不到 1 分钟", "less than a minute"),
            (timedelta(days=400), "400天", "400 days"),
            (-timedelta(days=2), "已逾期 2天", "overdue by 2 days"),
            (-timedelta(hours=1, minutes=30), "已逾期 1小时30分钟", "overdue by 1 hour 30 minutes"),
        ],
    )
    def test_duration(self, span, zh, en):
        assert chinese().duration(span) == zh
        assert english().duration(span) == en

    @pytest.mark.parametrize("span", [float("nan"), float("inf"), -float("inf"), 1e300])
    def test_a_span_beyond_reason_is_still_shown(self, span):
        assert chinese().duration(span)

    @pytest.mark.parametrize(
        ("due", "zh", "en"),
        [
            (NOW + timedelta(days=3, hours=4), "还剩 3天4小时", "3 days 4 hours left"),
            (NOW + timedelta(minutes=10), "还剩 10分钟", "10 minutes left"),
            (NOW - timedelta(days=2), "已逾期 2天", "overdue by 2 days"),
            (NOW + timedelta(seconds=20), "已到期", "due now"),
            (NOW, "已到期", "due now"),
            (None, "无期限", "no deadline"),
        ],
    )
    def test_when(self, due, zh, en):
        assert chinese().when(due, NOW) == zh
        assert english().when(due, NOW) == en

    def test_numbers(self):
        assert chinese().number(1234567) == "1,234,567"
        assert english().number(1234.5) == "1,234.5"


class TestEnvironment:
    """Templates escape HTML, refuse undefined names and speak their language."""

    def test_undefined_is_an_error(self):
        with pytest.raises(jinja2.UndefinedError):
            environment("zh").from_string("{{ nothing_here }}").render()

    def test_html_is_escaped(self):
        env = environment("en")
        assert env.autoescape("page.html") is True
        assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
        assert isinstance(env.undefined, type)
        assert issubclass(env.undefined, jinja2.StrictUndefined)

    @pytest.mark.parametrize(("lang", "expected"), [("zh", "已申领 zh-Hans"), ("en", "applied en")])
    def test_it_speaks_its_language(self, lang, expected):
        page = '{{ pgettext("state", "applied") }} {{ html_lang }}'
        assert environment(lang).from_string(page).render() == expected
        assert environment(lang).from_string("{% trans %}untranslated{% endtrans %}").render() == (
            "untranslated"
        )

    def test_made_once_per_language(self):
        assert environment("zh") is environment("zh")
        assert environment("fr") is environment(DEFAULT_LANGUAGE)
        assert environment("en") is not environment("zh")
        assert translations("en") is translations("en")


def extracted(root: Path) -> set[tuple[str | None, str]]:
    """What ``pybabel extract`` with the repository's ``babel.cfg`` finds under ``root``."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords([KEYWORD])}
    found = extract_from_dir(root, method_map, options_map, keywords=keywords)
    return {(context, ids if isinstance(ids, str) else ids[0]) for _, _, ids, _, context in found}


def catalogue(lang: str) -> Mapping[tuple[str | None, str], tuple[str, bool]]:
    with catalogue_path(lang).open("rb") as source:
        read = read_po(source)
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0]): (
            message.string if isinstance(message.string, str) else message.string[0],
            message.fuzzy,
        )
        for message in read
        if message.id
    }


def missing_from(found: set[tuple[str | None, str]], lang: str) -> list[str]:
    have = catalogue(lang)
    return sorted(f"{context or ''}|{message}" for context, message in found - set(have))


class TestCatalogues:
    """The Chinese catalogue holds every word the desk's code and templates ask for."""

    def test_every_chinese_message_is_translated(self):
        untranslated = sorted(
            f"{context or ''}|{message}"
            for (context, message), (string, fuzzy) in catalogue("zh").items()
            if not string.strip() or fuzzy
        )
        assert not untranslated, (
            "api/desk/locale/zh/LC_MESSAGES/messages.po has messages without a (settled) "
            f"Chinese msgstr; fill them in: {untranslated}"
        )

    def test_every_word_the_desk_asks_for_is_in_the_catalogue(self):
        missing = missing_from(extracted(ROOT), "zh")
        assert not missing, (
            f"the desk asks for words the Chinese catalogue lacks: {missing}. Run `{EXTRACT}` "
            f"then `{UPDATE}` (README: Translating the desk) and translate them in "
            "api/desk/locale/zh/LC_MESSAGES/messages.po"
        )

    def test_the_tables_are_what_extraction_sees(self):
        found = extracted(ROOT)
        tables = {
            "state": words.STATES,
            "event": words.EVENTS,
            "channel": words.CHANNELS,
            "presenter": words.PRESENTERS,
            "role": words.ROLES,
            "kind": words.KINDS,
            "evidence": words.EVIDENCE,
            "value": words.VALUES,
            "time": words.SAYINGS,
        }
        marked = {
            (context, english) for context, table in tables.items() for english in table.values()
        }
        assert marked <= found

    def test_a_new_untranslated_word_is_caught(self, tmp_path):
        # The words here must be ones no page asks for, or the catalogue already has them.
        templates = tmp_path / "api" / "desk" / "templates"
        templates.mkdir(parents=True)
        (templates / "page.html").write_text(
            "<h1>{% trans %}\n  Cards due\n{% endtrans %}</h1>{{ _('Mislaid') }}", encoding="utf-8"
        )
        (tmp_path / "api" / "desk" / "more.py").write_text(
            'from api.desk.words import word\nNEW = word("state", "mislaid")\n', encoding="utf-8"
        )
        assert missing_from(extracted(tmp_path), "zh") == [
            "state|mislaid",
            "|Cards due",
            "|Mislaid",
        ]

    def test_the_readme_gives_the_commands(self):
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        assert EXTRACT in readme
        assert f"{UPDATE} -l zh" in readme
        assert "tests/unit/test_desk_language.py" in readme


class TestTimeZoneSetting:
    """The desk's zone is China's unless set, and a zone that does not exist stops start-up."""

    def test_the_default(self, monkeypatch):
        monkeypatch.delenv("CARDFLOW_DESK_TIME_ZONE", raising=False)
        assert desk_time_zone() == SHANGHAI

    def test_another(self, monkeypatch):
        monkeypatch.setenv("CARDFLOW_DESK_TIME_ZONE", "Asia/Urumqi")
        assert desk_time_zone() == ZoneInfo("Asia/Urumqi")

    @pytest.mark.parametrize(
        "zone", ["Mars/Base", "Asia", "../etc/passwd", "x" * 300, "Asia/Shanghai "]
    )
    def test_a_zone_that_does_not_exist(self, monkeypatch, zone):
        monkeypatch.setenv("CARDFLOW_DESK_TIME_ZONE", zone)
        with pytest.raises(ConfigurationError, match=r"CARDFLOW_DESK_TIME_ZONE is .*: give a time"):
            settings()
