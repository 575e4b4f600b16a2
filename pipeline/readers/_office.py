"""Word processor files: .docx (python-docx), .odt (odfpy) and .rtf (striprtf).

Each gives plain text with one paragraph per line, so speaker labels at a paragraph's start
are found exactly as in a .txt transcript. Tables are read in place, one line per row (see
`_table_lines`): a speaker column and a text column become "Speaker: text" lines. Any failure
inside a library is reported as "not a readable .<kind> file", naming only the exception
type: library messages can quote document content, and errors are printed and logged.
"""

from __future__ import annotations

import io
import re
import xml.parsers.expat

from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.readers._common import unreadable
from qualflow.pipeline.readers._tables import SPEAKER_COLUMNS, TEXT_COLUMNS, find_column
from qualflow.pipeline.readers._text import decode_bytes

# ---------------------------------------------------------------- tables (docx and odt)

# A cell that can be a speaker label in a two-column table without a header: what a
# speaker label looks like in a subtitle or text transcript (a letter first, at most 40
# characters and 4 words, no sentence punctuation; a title such as "Dr." may open it).
_SPEAKER_CELL = re.compile(r"(?:[^\W\d_]{1,4}\.\s*)?[^\W\d_][^:：.,;!?。，；！？、\n]{0,39}")
_MAX_SPEAKER_WORDS = 4


def _table_lines(rows: list[list[str]]) -> list[str]:
    """A table's rows as lines of text, in order; each cell is its paragraphs' text.

    A table whose first non-empty row names a speaker column and a text column (the names
    .csv/.xlsx transcripts use: speaker/说话人, text/内容, ...) gives "Speaker: text" per row
    after that header, other columns ignored as for .csv/.xlsx. A table of at most two
    columns gives "Speaker: text" for each row whose first cell looks like a speaker label.
    Every other row is its filled cells joined by tabs, so nothing in a table is lost. A
    text cell's paragraphs stay separate lines; in other cells they are joined by spaces.
    """
    filled = [row for row in rows if any(cell.strip() for cell in row)]
    if not filled:
        return []
    header = filled[0]
    speaker_at, text_at = find_column(header, SPEAKER_COLUMNS), find_column(header, TEXT_COLUMNS)
    if speaker_at is not None and text_at is not None and speaker_at != text_at:
        return [line for row in filled[1:] if (line := _turn_line(_cell(row, speaker_at), _cell(row, text_at)))]
    lines = []
    two_columns = all(len(row) <= 2 for row in filled)
    for row in filled:
        if two_columns and len(row) == 2 and _is_speaker_cell(row[0]) and row[1].strip():
            lines.append(_turn_line(row[0], row[1]))
        else:
            lines.append("\t".join(" ".join(cell.split()) for cell in row if cell.strip()))
    return lines


def _turn_line(speaker: str, text: str) -> str:
    speaker, text = " ".join(speaker.split()), text.strip()
    if speaker and text:
        return f"{speaker}: {text}"
    return speaker or text


def _is_speaker_cell(cell: str) -> bool:
    label = " ".join(cell.split())
    return bool(_SPEAKER_CELL.fullmatch(label)) and len(label.split()) <= _MAX_SPEAKER_WORDS


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


# ---------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Inside a paragraph, not what the document says with tracked changes accepted: deleted and
# moved-away text, field codes (their result is read), properties, and drawings/alternate
# content (text boxes; python-docx's paragraph.text never read them either).
_DOCX_SKIP = {f"{_W}{tag}" for tag in ("del", "moveFrom", "instrText", "delInstrText", "pPr", "rPr",
                                        "drawing", "pict", "object", "footnoteReference",
                                        "endnoteReference", "commentReference")}
_DOCX_SKIP.add("{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent")
_DOCX_CHARS = {f"{_W}tab": "\t", f"{_W}ptab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n",
               f"{_W}noBreakHyphen": "-"}


def read_docx(data: bytes, name: str) -> str:
    import docx  # imported here because plain-text runs never need it

    try:
        document = docx.Document(io.BytesIO(data))
        # The body in document order, paragraphs and tables (python-docx's `paragraphs`
        # leaves tables out). Headers, footers and comments are not read.
        lines: list[str] = []
        _docx_blocks(document.element.body, lines)
        return "\n".join(lines)
    except Exception as error:  # python-docx raises zip, XML and package errors alike
        raise unreadable(name, f"not a readable .docx file ({_docx_trouble(data, error)}); open it in Word or "
                               "LibreOffice and save it again as .docx") from None


def _docx_trouble(data: bytes, error: Exception) -> str:
    """What is wrong with a .docx python-docx could not open, in words: its own error was a bare KeyError
    for a zip without the parts every Word document has."""
    import zipfile

    try:  # a zip: the archive check (readers/_archive.py) has opened it already
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except Exception:
        return type(error).__name__
    missing = [part for part in ("[Content_Types].xml", "word/document.xml") if part not in names]
    if missing:
        return f"a zip archive without {' or '.join(missing)}, so no Word document"
    return type(error).__name__


def _docx_blocks(node, lines: list[str]) -> None:
    """w:p and w:tbl in document order, also inside content controls (w:sdt) and custom XML;
    a deleted or moved-away block (w:del, w:moveFrom) is left out."""
    for child in node:
        tag = child.tag
        if tag == f"{_W}p":
            lines.append(_docx_paragraph_text(child))
        elif tag == f"{_W}tbl":
            lines.extend(_table_lines(_docx_table_rows(child)))
        elif tag in _DOCX_SKIP or tag in (f"{_W}sectPr", f"{_W}sdtPr", f"{_W}sdtEndPr"):
            continue
        elif isinstance(tag, str):
            _docx_blocks(child, lines)


def _docx_paragraph_text(paragraph) -> str:
    """A paragraph as it reads with tracked changes accepted: runs at any depth (inside
    w:ins, w:moveTo, w:hyperlink, w:smartTag, w:fldSimple, w:sdt, ...), without deleted
    text. python-docx's `paragraph.text` only reads direct runs and hyperlinks, so a
    tracked insertion went missing mid-sentence."""
    parts: list[str] = []

    def walk(node) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in _DOCX_SKIP:
                continue
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag in _DOCX_CHARS:
                parts.append(_DOCX_CHARS[tag])
            else:
                walk(child)

    walk(paragraph)
    return "".join(parts)


def _docx_table_rows(table) -> list[list[str]]:
    """Rows of cells (each cell's paragraphs and nested tables, one line each); rows deleted
    as a tracked change are left out."""
    rows: list[list[str]] = []

    def cells_of(node, cells: list[str]) -> None:
        for child in node:
            if child.tag == f"{_W}tc":
                cell_lines: list[str] = []
                _docx_blocks(child, cell_lines)
                cells.append("\n".join(cell_lines))
            elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
                cells_of(child, cells)

    def rows_of(node) -> None:
        for child in node:
            if child.tag == f"{_W}tr":
                if child.find(f"{_W}trPr/{_W}del") is None:
                    cells: list[str] = []
                    cells_of(child, cells)
                    rows.append(cells)
            elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
                rows_of(child)

    rows_of(table)
    return rows


# ---------------------------------------------------------------- odt

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODT_TABLE = (_TABLE_NS, "table")
_ODT_ROW = (_TABLE_NS, "table-row")
_ODT_CELLS = {(_TABLE_NS, "table-cell"), (_TABLE_NS, "covered-table-cell")}
# Row containers inside a table; columns, titles and the like hold no rows.
_ODT_ROW_GROUPS = {(_TABLE_NS, "table-header-rows"), (_TABLE_NS, "table-rows"), (_TABLE_NS, "table-row-group")}
_PARAGRAPHS = {(_TEXT_NS, "p"), (_TEXT_NS, "h")}
# Not what was said: reviewer comments, footnotes/endnotes (they sit INSIDE a paragraph,
# so teletype would splice them into the sentence) and the deleted text of tracked changes.
_LEAVE_OUT = {
    (_OFFICE_NS, "annotation"),
    (_OFFICE_NS, "annotation-end"),
    (_TEXT_NS, "note"),
    (_TEXT_NS, "tracked-changes"),
}
# The parts odfpy parses; it decodes each as UTF-8.
_ODF_XML_PARTS = ("settings.xml", "meta.xml", "content.xml", "styles.xml")


def read_odt(data: bytes, name: str) -> str:
    from odf import opendocument, teletype

    try:
        _check_odf_xml(data, name)
        document = opendocument.load(io.BytesIO(data))
        bodies = [child for child in document.body.childNodes
                  if getattr(child, "qname", None) == (_OFFICE_NS, "text")]
        if not bodies:
            raise unreadable(name, "not a readable .odt file (no text body: is it a spreadsheet or slides?)")
        lines: list[str] = []
        for body in bodies:
            _collect_paragraphs(body, lines, teletype.extractText)
        return "\n".join(lines)
    except UnreadableFile:
        raise
    except Exception as error:  # odfpy raises zip, SAX and attribute errors alike
        raise unreadable(name, f"not a readable .odt file ({type(error).__name__})") from None


def _collect_paragraphs(node, lines: list[str], extract) -> None:
    """text:p and text:h in document order (also inside lists and sections); a table gives
    one line per row, as in .docx (see `_table_lines`).

    A paragraph is taken whole with teletype.extractText, which turns <text:s/>, <text:tab/>
    and <text:line-break/> into spaces, tabs and newlines; nested paragraphs (text boxes)
    stay inside it rather than being read twice.
    """
    for child in list(node.childNodes):
        qname = getattr(child, "qname", None)
        if qname is None:  # a text node outside any paragraph: layout whitespace
            continue
        if qname in _LEAVE_OUT:
            continue
        if qname in _PARAGRAPHS:
            _drop_left_out(child)
            lines.append(extract(child))
        elif qname == _ODT_TABLE:
            lines.extend(_table_lines(_odt_table_rows(child, extract)))
        else:
            _collect_paragraphs(child, lines, extract)


def _odt_table_rows(table, extract) -> list[list[str]]:
    """Rows of cells, each cell its paragraphs (and nested tables) as lines."""
    rows: list[list[str]] = []
    for child in list(table.childNodes):
        qname = getattr(child, "qname", None)
        if qname == _ODT_ROW:
            cells = []
            for cell in list(child.childNodes):
                if getattr(cell, "qname", None) in _ODT_CELLS:
                    cell_lines: list[str] = []
                    _collect_paragraphs(cell, cell_lines, extract)
                    cells.append("\n".join(cell_lines))
            rows.append(cells)
        elif qname in _ODT_ROW_GROUPS:
            rows.extend(_odt_table_rows(child, extract))
    return rows


def _drop_left_out(node) -> None:
    for child in list(node.childNodes):
        if getattr(child, "qname", None) in _LEAVE_OUT:
            node.removeChild(child)
        else:
            _drop_left_out(child)


def _check_odf_xml(data: bytes, name: str) -> None:
    """Refuse malformed XML before odfpy sees it.

    odfpy 1.4 catches its own SAX errors, PRINTS the whole XML part (the transcript) to
    stdout and carries on with an empty document. Checking with expat first turns that
    into a clean error and keeps interview text out of logs. Namespace processing is on,
    as in odfpy, after odfpy's own repair of commonly missing namespace declarations.
    """
    import zipfile

    from odf import opendocument

    repair = getattr(opendocument, "__fixXmlPart", lambda text: text)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        present = set(archive.namelist())
        for part in _ODF_XML_PARTS:
            if part not in present:
                continue
            try:
                text = repair(archive.read(part).decode("utf-8"))
                parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
                parser.Parse(text.encode("utf-8"), True)
            except UnicodeDecodeError:
                raise unreadable(name, f"not a readable .odt file ({part} is not UTF-8)") from None
            except xml.parsers.expat.ExpatError as error:
                reason = xml.parsers.expat.ErrorString(error.code)
                raise unreadable(name, f"not a readable .odt file ({part} is not well-formed XML: "
                                       f"{reason}, line {error.lineno})") from None


# ---------------------------------------------------------------- rtf

_ANSI_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def read_rtf(data: bytes, name: str) -> str:
    from striprtf.striprtf import rtf_to_text

    source = _rtf_source(data, name)
    if not source.lstrip("\ufeff \t\r\n").startswith("{\\rtf"):
        raise unreadable(name, "not a readable .rtf file (it does not start with {\\rtf)")
    try:
        return rtf_to_text(source)  # strict by default: a wrong code page fails, not mojibake
    except Exception as error:  # bad \'hh bytes for the declared code page, malformed groups
        raise unreadable(name, f"not a readable .rtf file ({type(error).__name__})") from None


def _rtf_source(data: bytes, name: str) -> str:
    """RTF is 7-bit ASCII with escapes for everything else, but some writers put raw
    non-ASCII bytes in: UTF-8 (tried first, as valid UTF-8 is almost never an accident) or
    bytes of the document's declared code page (\\ansicpgN)."""
    try:
        return data.decode("utf-8")  # also covers plain ASCII
    except UnicodeDecodeError:
        pass
    declared = _ANSI_CODEPAGE.search(data[:4096])
    if declared:
        try:
            return data.decode(f"cp{int(declared.group(1))}")
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data, name)
