"""Coding files from outside are untrusted: each hostile file is refused with one clear line.

The hostile files are made here, in memory or in tmp_path, never shipped.
"""

import io
import sqlite3
import zipfile

import pytest
from qualflow.pipeline.coding.importer import read_coding_file
from qualflow.pipeline.coding.safety import SafeArchive, parse_xml, safe_member_name
from qualflow.pipeline.errors import UnreadableFile

PROJECT = ('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="p">'
           '<Sources><TextSource guid="11111111-2222-3333-4444-555555555555" name="a.txt" '
           'plainTextPath="internal://a.txt"/></Sources></Project>')

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>')

XXE = ('<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>')


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refusal(path) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_coding_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(path.name)
    return message


@pytest.mark.parametrize("member", ["../evil.txt", "sources/../../evil.txt", "/etc/evil", "C:/evil.txt",
                                   "..\\evil.txt"])
def test_a_member_that_climbs_out_of_the_archive_is_refused(tmp_path, member):
    path = write(tmp_path, "traversal.qdpx", zip_bytes({"project.qde": PROJECT.encode(), member: b"x"}))
    assert "path traversal" in refusal(path)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_member_names_inside_the_archive_are_kept():
    assert safe_member_name("sources/a/../b.txt") == "sources/b.txt"
    assert safe_member_name("sources\\a.txt") == "sources/a.txt"
    assert safe_member_name("../a.txt") is None


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    path = write(tmp_path, "laughs.qde", BILLION_LAUGHS.encode())
    assert "DTD or entities" in refusal(path)
    inside = write(tmp_path, "laughs.qdpx", zip_bytes({"project.qde": BILLION_LAUGHS.encode()}))
    assert "refused" in refusal(inside)


def test_external_entities_are_refused(tmp_path):
    path = write(tmp_path, "xxe.qde", XXE.encode())
    message = refusal(path)
    assert "DTD or entities" in message and "root:" not in message


def test_an_oversized_member_is_refused_before_it_is_inflated(tmp_path):
    big = b"\0" * (51 * 1024 * 1024)  # over the 50 MB member limit; compresses to ~50 kB
    path = write(tmp_path, "big.qdpx", zip_bytes({"project.qde": PROJECT.encode(), "sources/a.txt": big}))
    assert "over the 50 MB limit" in refusal(path)


def test_small_limits_apply_to_every_member():
    data = zip_bytes({"project.qde": PROJECT.encode(), "sources/a.txt": b"a" * 300_000})
    with pytest.raises(UnreadableFile, match="over the 0.1 MB limit"):
        SafeArchive(data, "x.qdpx", "qdpx", max_member_mb=0.1)
    assert SafeArchive(data, "x.qdpx", "qdpx").read("sources/a.txt") == b"a" * 300_000


def test_a_corrupt_archive_and_a_fake_database_give_clear_errors(tmp_path):
    assert "not a readable .qdpx file" in refusal(write(tmp_path, "broken.qdpx", b"PK\x03\x04 not really"))
    assert "not a coding file" in refusal(write(tmp_path, "notes.qdpx", b"just text"))
    fake = tmp_path / "project.sqlite3"
    with sqlite3.connect(fake) as connection:
        connection.execute("CREATE TABLE other (id INTEGER)")
    assert "not a Taguette project database" in refusal(fake)


def test_a_spreadsheet_of_codings_gets_the_same_archive_checks(tmp_path):
    path = write(tmp_path, "codings.xlsx", zip_bytes({"[Content_Types].xml": b"<x/>", "../../evil.xml": b"<x/>"}))
    assert "path traversal" in refusal(path)
    laughs = write(tmp_path, "laughs.xlsx", zip_bytes({"xl/workbook.xml": BILLION_LAUGHS.encode()}))
    assert "DOCTYPE or ENTITY" in refusal(laughs)


def test_a_codebook_file_is_not_taken_for_codings(tmp_path):
    path = write(tmp_path, "book.qdc", b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    assert "codebook but no codings" in refusal(path)


def test_a_bom_and_blank_lines_before_the_declaration_are_accepted():
    root = parse_xml(b"\xef\xbb\xbf\r\n" + PROJECT.encode(), "bom.qde")
    assert root.tag.endswith("Project")
    with pytest.raises(UnreadableFile, match="not well-formed"):
        parse_xml(b"<Project", "cut.qde")
