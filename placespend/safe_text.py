"""Text from users' files, made inert wherever the dashboard would interpret it.

Streamlit renders GitHub-flavoured Markdown, with directives of its own (``:red[…]``,
``:material/home:``, emoji shortcodes, ``$…$`` LaTeX), in headers, captions, alerts, metric,
status and expander labels. Plotly renders a subset of HTML (``<a href>``, ``<b>``, ``<br>``)
in chart text and hover labels; pydeck's tooltip is HTML. An estate name, a spend header or a
boundary note from an uploaded file must reach none of those as markup: a Markdown image
would make every viewer's browser fetch it, a link would be live. Every piece of such text
passes through one of these helpers on its way to the screen; the browser test
(``tests/e2e/test_hostile_browser.py``) renders hostile text of every input kind and checks that
no link, no image and no request leaves localhost.

Tables (``st.dataframe``) and option lists show text as text and need none of this.
"""

from __future__ import annotations

import html as _html
import re
import string

# Characters a terminal or a page would obey rather than show: C0/C1 controls and the
# bidirectional overrides that reorder what is displayed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
# CommonMark lets a backslash escape any ASCII punctuation; escaping all of it disarms every
# construct (links, images, autolinks, emphasis, HTML, tables, Streamlit's ``:directive[…]``
# and ``$maths$``), whatever the renderer's extensions.
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# Two of Streamlit's extensions work on the text after Markdown's escapes are applied, so
# escaping alone does not stop them: GFM's literal autolinks (``https://x``, ``www.x.org``,
# ``a@b.org``, ``mailto:a``) and emoji or icon shortcodes (``:smile:``, ``:material/home:``).
# An invisible word joiner breaks each where it would start: after a colon that begins ``//``
# or a shortcode name, after ``mailto:``/``xmpp:``, after an at-sign that starts a domain, and
# inside ``www.``. Other colons and at-signs (``row 2: scope``) are left alone, so messages can
# still be searched and copied as they read.
_AUTOLINK = re.compile(
    r"(:)(?=/)|(:)(?=[A-Za-z+\-][\w+\-/]*:)|(?<=mailto)(:)|(?<=xmpp)(:)|(@)(?=[\w-])"
    r"|(?<=www)(?=\.)",
    re.IGNORECASE,
)
WORD_JOINER = "\u2060"

DEFAULT_LIMIT = 300


def capped(text: object, limit: int | None = DEFAULT_LIMIT) -> str:
    """``text`` as a string, cut to ``limit`` characters with the length said.

    >>> capped("x" * 500, 10)
    'xxxxxxxxxx… (500 characters)'
    """
    value = str(text)
    if limit is None or len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value):,} characters)"


def visible(text: object) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), never obeyed."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def markdown(text: object, limit: int | None = DEFAULT_LIMIT, *, lines: bool = False) -> str:
    """``text`` escaped so that Streamlit's Markdown shows exactly its characters.

    Every ASCII punctuation mark is backslash-escaped, and shortcodes and literal autolinks
    are broken by an invisible word joiner (U+2060), so ``[click](http://x)``,
    ``![](http://x/i.png)``, ``<img src=…>``, ``https://x``, ``:red[x]`` and ``# heading``
    all show as typed. Line breaks become spaces
    (a single line for headers and labels), or Markdown hard breaks with ``lines=True``.
    Controls are shown as escapes; text longer than ``limit`` is cut (:func:`capped`).
    """
    value = visible(capped(text, limit))
    value = _AUTOLINK.sub(lambda m: m.group() + WORD_JOINER, value)
    value = _PUNCTUATION.sub(r"\\\1", value)
    return _LINE_BREAKS.sub("  \n" if lines else " ", value).strip()


def html(text: object, limit: int | None = DEFAULT_LIMIT) -> str:
    """``text`` escaped for HTML element content (Plotly labels, pydeck tooltips).

    ``&``, ``<`` and ``>`` become entities, which both renderers show as the characters, so
    ``<a href=…>`` or ``<img src=…>`` is shown, never made. (Neither puts data inside an
    attribute, so quotes are left as they are.)
    """
    return _html.escape(visible(capped(text, limit)), quote=False)
