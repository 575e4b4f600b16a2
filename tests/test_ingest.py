import pytest
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import (
    broken_link,
    content_hash,
    discover,
    normalise_text,
    read_document,
)


def test_line_endings_bom_and_nfc_are_normalised(tmp_path):
    path = tmp_path / "a.txt"
    # "e" + combining acute must become the single code point "é" (NFC).
    path.write_bytes("\ufeffP1: cafe\u0301\r\nsecond\rthird\n".encode("utf-8"))
    document = read_document(path)
    assert document.text == "P1: caf\u00e9\nsecond\nthird\n"
    assert document.content_hash == content_hash(document.text)


def test_gbk_and_utf16_are_decoded(tmp_path):
    text = "受访者：家访的时候我们一般两个人一起去，这样比较安全。\n"
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(text.encode("gbk"))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes(text.encode("utf-16"))
    assert read_document(gbk).text == text
    assert read_document(utf16).text == text


def test_docx_paragraphs_become_lines(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Interviewer: How do you plan visits?")
    document.add_paragraph("P1: We plan them on Monday mornings.")
    path = tmp_path / "interview.docx"
    document.save(path)
    assert read_document(path).text == "Interviewer: How do you plan visits?\nP1: We plan them on Monday mornings."


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty"),
        ("spaces.txt", b"  \n\n ", "empty"),
        ("binary.txt", bytes(range(256)) * 8, "binary"),
        ("broken.docx", b"PK\x03\x04 this is not a real archive", "not a readable .docx"),
    ],
)
def test_unreadable_files_say_why(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=reason) as caught:
        read_document(path)
    assert name in str(caught.value)


def test_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("P1: word\n" * 20000)
    with pytest.raises(UnreadableFile, match="ingest.max_file_mb"):
        read_document(path, max_file_mb=0.01)


def test_size_limit_message_is_in_one_unit_and_precise_for_small_limits(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text("P1: " + "a" * 396)  # 400 bytes
    with pytest.raises(UnreadableFile) as caught:
        read_document(path, max_file_mb=0.0001)  # 104 bytes
    assert str(caught.value) == ("small.txt: 400 bytes is over the 104 byte limit "
                                 "(ingest.max_file_mb = 0.0001 MB of 1,048,576 bytes)")
    path.write_text("P1: " + "a" * (1024 * 1024 + 96))  # 1 MB and 100 bytes: shown with enough decimals
    with pytest.raises(UnreadableFile, match=r"1\.0001 MB is over the 1 MB limit \(ingest.max_file_mb; 1 MB = 1,048,576"):
        read_document(path, max_file_mb=1)


def test_discover_is_sorted_and_skips_readme_hidden_and_other_types(tmp_path):
    for name in ("b.txt", "a.md", "c.docx", "README.md", ".hidden.txt", "~$lock.docx", "notes.pdf"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path, [".txt", ".md", ".docx"])]
    assert found == ["a.md", "b.txt", "c.docx", "sub/d.txt"]


def test_normalise_keeps_text_without_changes():
    assert normalise_text("plain\ntext") == "plain\ntext"


def test_discover_follows_a_linked_folder_once_and_never_loops(tmp_path):
    elsewhere = tmp_path / "elsewhere" / "site_b"
    elsewhere.mkdir(parents=True)
    (elsewhere / "p2.txt").write_text("P2: hello", "utf-8")
    inbox = tmp_path / "inbox"
    (inbox / "site_a").mkdir(parents=True)
    (inbox / "site_a" / "p1.txt").write_text("P1: hello", "utf-8")
    (inbox / "site_b").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back_up").symlink_to(inbox, target_is_directory=True)  # a link back up: no loop
    found = [p.relative_to(inbox).as_posix() for p in discover(inbox, [".txt"])]
    assert found == ["site_a/p1.txt", "site_b/p2.txt"]  # each real folder once


def test_discover_keeps_a_dangling_link_so_the_run_can_name_it(tmp_path):
    (tmp_path / "p1.txt").write_text("P1: hello", "utf-8")
    (tmp_path / "good_link.txt").symlink_to(tmp_path / "p1.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "moved" / "p2.txt")
    (tmp_path / "loop_a.txt").symlink_to(tmp_path / "loop_b.txt")
    (tmp_path / "loop_b.txt").symlink_to(tmp_path / "loop_a.txt")
    (tmp_path / "old.pdf").symlink_to(tmp_path / "gone.pdf")  # not a transcript type: ignored as before
    found = [p.name for p in discover(tmp_path, [".txt"])]
    assert found == ["dangling.txt", "good_link.txt", "loop_a.txt", "loop_b.txt", "p1.txt"]
    assert broken_link(tmp_path / "p1.txt") is None and broken_link(tmp_path / "good_link.txt") is None
    assert broken_link(tmp_path / "dangling.txt") == f"a link to {tmp_path / 'moved' / 'p2.txt'}, which does not exist"
    assert broken_link(tmp_path / "loop_a.txt").startswith("a link to ")
    assert "cannot be followed" in broken_link(tmp_path / "loop_a.txt")
