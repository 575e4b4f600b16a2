"""Text from transcripts and reviewers, made safe to place inside Markdown.

A quote or a theme name is the participant's or reviewer's words, to be shown as written. Put
into Markdown raw, `![x](https://host/t.png)` would make a reader's viewer fetch an image from a
third party, `<img src=…>` would be read as HTML, `*really*` would lose its stars and `|` would
end a table cell. So the characters Markdown gives meaning to are escaped, and the text is kept
on one line (a line break would end a table row or a quote).
"""

from __future__ import annotations

import re

# Characters that start links, images, emphasis, code or strikethrough anywhere in a line.
_INLINE = re.compile(r"([\\`*\[\]~|])")
# An underscore inside a word (file_name) is plain text in CommonMark; at a word's edge it is emphasis.
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# What makes a heading, list item or rule when it opens a line or a quote: the marker then a space or
# the end ("39.0" or "#1" is plain text). ">" never reaches this: it is written as an entity.
_LINE_START = re.compile(r"^(\s*)(#{1,6}|-+|\+|\d{1,9}[.)])(?=\s|$)")


def markdown_text(text: object) -> str:
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    return _LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), text)


def _escape_marker(marker: str) -> str:
    # "1." becomes "1\." so the number stays and no list starts; "#" and "-" are escaped in front.
    return marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker
