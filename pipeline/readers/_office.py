"""Word processor files: .docx (python-docx), .odt (odfpy) and .rtf (striprtf).

Each gives plain text with one paragraph per line, so speaker labels at a paragraph's start
are found exactly as in a .txt transcript. Any failure inside a library is reported as
"not a readable .<kind> file", naming only the exception type: library messages can quote
document content, and errors are printed and logged.
"""

from __future__ import annotations

import io
import re
import xml.parsers.expat

from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.readers._common import unreadable
from qualflow.pipeline.readers._text import decode_bytes

# ---------------------------------------------------------------- docx


def read_docx(data: bytes, name: str) -> str:
    import docx  # imported here because plain-text runs never need it

    try:
        document = docx.Document(io.BytesIO(data))
        # Body paragraphs, as before; python-docx's `paragraphs` leaves out tables, headers,
        # footers and comments.
        return "\n".join(paragraph.text for paragraph in document.paragraphs)
    except Exception as error:  # python-docx raises zip, XML and package errors alike
        raise unreadable(name, f"not a readable .docx file ({type(error).__name__})") from None


# ---------------------------------------------------------------- odt

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
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
    """text:p and text:h in document order (also inside lists, tables and sections).

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
        else:
            _collect_paragraphs(child, lines, extract)


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
