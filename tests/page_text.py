"""The text of an HTML page as a reader sees it, for tests that check wording."""

import html
import re


def text_of(response_or_html) -> str:
    """The page's text: no tags, scripts or styles, entities as characters, spaces collapsed.
    Inline elements (a link inside a sentence) leave no space behind."""
    page = response_or_html if isinstance(response_or_html, str) else response_or_html.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"</?(a|b|strong|em|span)\b[^>]*>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def script_catalog(response) -> dict:
    """The translations that a JavaScriptCatalog view (the admin's /admin/jsi18n/) hands out."""
    import json

    match = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    return json.loads(match.group(1)) if match else {}
