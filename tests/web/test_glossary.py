"""The glossary: every "?" link in the templates and page scripts points to a term that exists, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from civicpulse.web.glossary import ANCHORS, GLOSSARY

from .conftest import sign_in

WEB = Path(__file__).resolve().parents[2] / "src" / "civicpulse" / "web"
# `{{ help("term") }}` in templates, `help("term")` in scripts, and plain links.
LINK = re.compile(r"""\bhelp\(["']([^"']+)["']\)|/glossary#([\w-]+)""")


def glossary_links() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [*(WEB / "templates").glob("*.html"), *(WEB / "static" / "js").rglob("*.js")]:
        for match in LINK.finditer(path.read_text(encoding="utf-8")):
            term = match.group(1) or match.group(2)
            found.setdefault(term, set()).add(path.name)
    return found


def test_every_glossary_link_resolves_to_a_term() -> None:
    links = glossary_links()
    assert {"net-sentiment", "mean-score", "suppressed", "spike", "discovered-topic", "k"} <= set(links)
    assert set(links) <= ANCHORS, {t: sorted(f) for t, f in links.items() if t not in ANCHORS}


def test_every_figure_heading_of_the_dashboards_has_a_help_link() -> None:
    for name in ("overview", "topics", "places", "trends"):
        text = (WEB / "templates" / f"{name}.html").read_text(encoding="utf-8")
        headings = re.findall(r"<h2 id=\"h-[^\"]+\">(.*?)</h2>", text)
        assert headings and all("help(" in h for h in headings), (name, headings)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_glossary_page_has_every_term_as_an_anchor(server, app, lang: str) -> None:
    page = sign_in(app, "vera").get(f"/glossary?lang={lang}")
    assert page.status_code == 200
    for term in GLOSSARY:
        name, text = term.vi if lang == "vi" else term.en
        assert f'<dt id="{term.anchor}">{escape(name)}</dt>' in page.text
        assert f"<dd>{escape(text)}</dd>" in page.text
    assert len(ANCHORS) == len(GLOSSARY)  # no anchor twice


def test_the_terms_read_differently_in_vietnamese() -> None:
    assert all(term.en[1] != term.vi[1] and term.vi[1].strip() for term in GLOSSARY)
