"""The dashboard's own styles: what Streamlit's defaults get wrong at narrow widths.

Headline figures (``st.metric``) are cut with an ellipsis when their column is narrower than
the number ("£98…" at 800 px): here their size follows their column's width (a container
query: 12.5% of it, between 0.95 and 2.25 rem, so the 13 characters of "£1,468,836.28" fit)
and, at the smallest size, they wrap rather than being cut, so a figure is always shown whole.
The selectors are Streamlit's ``data-testid`` attributes.
"""

from __future__ import annotations

PAGE_CSS = """
[data-testid="stMetric"] {
    container-type: inline-size;
}
[data-testid="stMetricValue"],
[data-testid="stMetricValue"] * {
    white-space: normal !important;
    overflow: visible !important;
    text-overflow: clip !important;
    overflow-wrap: break-word;
}
[data-testid="stMetricValue"] {
    font-size: clamp(0.95rem, 12.5cqi, 2.25rem);
    line-height: 1.2;
}
[data-testid="stMetricLabel"] p {
    white-space: normal !important;
}
"""


def style_tag() -> str:
    """The ``<style>`` element ``app.py`` puts on every page (no text from users' files)."""
    return f"<style>{PAGE_CSS}</style>"
