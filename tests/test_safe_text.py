"""Users' text made inert for Markdown and HTML (placespend.safe_text).

Rendered here by markdown-it (CommonMark, with tables and strikethrough as GitHub has them);
the browser test renders the same text in Streamlit itself.
"""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from placespend import safe_text

RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
ATTACKS = (
    "[click](http://evil.example/x)",
    "![img](http://evil.example/i.png)",
    "<img src=http://evil.example/i.png>",
    '<a href="http://evil.example">a</a>',
    "<http://evil.example>",
    "# Heading",
    "**bold** _it_ `code` ~~gone~~",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[ref]\n\n[ref]: http://evil.example",
    "&lt;img src=x&gt;",
    "1. one\n- two\n> quote",
)


def _shown(markdown: str) -> str:
    """What a reader sees: the rendered HTML's text, without the invisible word joiners."""
    rendered = RENDER.render(markdown)
    assert "<a " not in rendered and "<img" not in rendered, rendered
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    return " ".join(text.replace(safe_text.WORD_JOINER, "").split())


def test_every_attack_shows_as_typed():
    for attack in ATTACKS:
        assert _shown(safe_text.markdown(attack)) == " ".join(attack.split()), attack


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
               max_size=80))
def test_any_text_shows_exactly_its_characters(text):
    typed = text.replace(safe_text.WORD_JOINER, "")  # _shown drops every joiner, typed or not
    assert _shown(safe_text.markdown(text, None)) == " ".join(typed.split())


def test_autolinks_and_shortcodes_are_broken_invisibly():
    out = safe_text.markdown("https://evil.example www.evil.example a@evil.example :smile:")
    assert "https:" + safe_text.WORD_JOINER in out.replace("\\", "")
    assert "www" + safe_text.WORD_JOINER in out
    assert "@" + safe_text.WORD_JOINER in out
    assert ":" + safe_text.WORD_JOINER + "smile" in out.replace("\\", "")


def test_lines_become_one_line_or_hard_breaks():
    assert "\n" not in safe_text.markdown("a\n\n# b")
    assert safe_text.markdown("a\nb", lines=True) == "a  \nb"


def test_controls_are_shown_and_long_values_capped():
    assert "\x1b" not in safe_text.markdown("\x1b[31mred")
    assert safe_text.capped("x" * 500, 10) == "xxxxxxxxxx… (500 characters)"
    assert len(safe_text.markdown("y" * 10_000)) < 400


def test_html_escapes_tags_for_charts_and_tooltips():
    assert safe_text.html('<a href="x">y</a> & z') == '&lt;a href="x"&gt;y&lt;/a&gt; &amp; z'


def test_ordinary_colons_and_at_signs_stay_searchable():
    for text in ("row 2: scope_type 'planet'", "paid at 10:30:00", "Smith @ Jones"):
        assert safe_text.WORD_JOINER not in safe_text.markdown(text), text
