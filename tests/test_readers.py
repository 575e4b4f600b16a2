"""Every transcript format in, as normalised text plus explicit turns where the format has them.

All fixtures are generated in tmp_path, with the same libraries users' tools write with.
"""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import Document, SourceTurn, content_hash, read_document
from qualflow.pipeline.readers._archive import _has_dtd

SERDIF = Path("/work/shared/eval/serdif_taguette_usability/raw")


def assert_turns(document: Document, expected: list[tuple[str | None, str, dict]]) -> None:
    """Speakers, words and meta are as expected, and each turn's offsets select its words."""
    assert document.source_turns is not None
    got = [(t.speaker, document.text[t.start:t.end], t.meta) for t in document.source_turns]
    assert got == expected


def assert_unreadable(path: Path, *fragments: str, **limits) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_document(path, **limits)
    message = str(caught.value)
    assert message.startswith(f"{path.name}: ")
    assert "\n" not in message and "\r" not in message
    for fragment in fragments:
        assert fragment in message
    return message


# ---------------------------------------------------------------- prose formats


def test_txt_and_md_keep_text_and_have_no_source_turns(tmp_path):
    for name, form in (("a.txt", "txt"), ("b.md", "md")):
        path = tmp_path / name
        path.write_bytes(b"# participant: P3\r\nInterviewer: Hi.\r\nP3: Hello.\r\n")
        document = read_document(path)
        assert document.text == "# participant: P3\nInterviewer: Hi.\nP3: Hello.\n"
        assert document.format == form
        assert document.source_turns is None
        assert document.content_hash == content_hash(document.text)


def test_docx_round_trip(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Interview 3", level=1)
    document.add_paragraph("Interviewer: How do you plan visits?")
    document.add_paragraph("受访者：我们一般周一早上安排。")
    path = tmp_path / "interview.docx"
    document.save(path)
    read = read_document(path)
    assert read.text == "Interview 3\nInterviewer: How do you plan visits?\n受访者：我们一般周一早上安排。"
    assert (read.format, read.source_turns) == ("docx", None)


def _table_rows() -> list[list[list[str]]]:
    """Three tables: speaker | text without a header, a header naming the columns (time is
    ignored as in .csv), and a table that is not a transcript."""
    return [
        [["Interviewer", "How was your week?"], ["P7", "Exhausting.\nThe paperwork piled up."], ["", "(laughs)"]],
        [["Speaker", "Time", "Text"], ["受访者", "00:01:02", "我们一般周一早上安排。"], ["Interviewer", "", "Why?"]],
        [["Site", "Ward", "Shift"], ["B", "3", "nights and weekends, mostly"]],
    ]


TABLE_TEXT = (
    "Interview 7\n"
    "Interviewer: How was your week?\nP7: Exhausting.\nThe paperwork piled up.\n(laughs)\n"
    "Between tables.\n"
    "受访者: 我们一般周一早上安排。\nInterviewer: Why?\n\n"
    "Site\tWard\tShift\nB\t3\tnights and weekends, mostly\n"
    "The end."
)


def test_docx_tables_are_read_in_document_order_as_speaker_lines(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Interview 7")
    for index, rows in enumerate(_table_rows()):
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for row, values in zip(table.rows, rows):
            for cell, value in zip(row.cells, values):
                paragraphs = value.split("\n")
                cell.text = paragraphs[0]
                for more in paragraphs[1:]:
                    cell.add_paragraph(more)
        document.add_paragraph(("Between tables.", "", "The end.")[index])
    path = tmp_path / "table.docx"
    document.save(path)
    read = read_document(path)
    assert read.text == TABLE_TEXT


def test_odt_tables_are_read_like_docx_tables(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    document = OpenDocumentText()
    document.text.addElement(P(text="Interview 7"))
    for index, rows in enumerate(_table_rows()):
        table = Table()
        table.addElement(TableColumn(numbercolumnsrepeated=len(rows[0])))
        for values in rows:
            row = TableRow()
            for value in values:
                cell = TableCell()
                for paragraph in value.split("\n"):
                    cell.addElement(P(text=paragraph))
                row.addElement(cell)
            table.addElement(row)
        document.text.addElement(table)
        document.text.addElement(P(text=("Between tables.", "", "The end.")[index]))
    path = tmp_path / "table.odt"
    document.save(str(path))
    assert read_document(path).text == TABLE_TEXT


def test_docx_tracked_changes_read_as_accepted(tmp_path):
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_paragraph("Interviewer: How was your week?")
    paragraph = document.add_paragraph("P3: It was exhausting because ")
    meta = 'w:author="A" w:date="2024-01-01T00:00:00Z"'
    for xml in (
        f'<w:ins {nsdecls("w")} w:id="1" {meta}><w:r><w:t xml:space="preserve">nobody listened</w:t></w:r></w:ins>',
        f'<w:del {nsdecls("w")} w:id="2" {meta}><w:r><w:delText> to me</w:delText></w:r></w:del>',
        f'<w:hyperlink {nsdecls("w")}><w:r><w:t xml:space="preserve"> to the nurses</w:t></w:r></w:hyperlink>',
        f'<w:smartTag {nsdecls("w")} w:element="place"><w:r><w:t>,</w:t><w:tab/></w:r></w:smartTag>',
        f'<w:r {nsdecls("w")}><w:t>and I was tired.</w:t></w:r>',
    ):
        paragraph._p.append(parse_xml(xml))
    path = tmp_path / "tracked.docx"
    document.save(path)
    assert read_document(path).text == (
        "Interviewer: How was your week?\nP3: It was exhausting because nobody listened to the nurses,\tand I was tired."
    )


def _odt_fixture(path: Path) -> None:
    from odf import teletype
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, Note, NoteBody, NoteCitation, P

    document = OpenDocumentText()
    heading = H(outlinelevel=1)
    teletype.addTextToElement(heading, "Interview 3")
    document.text.addElement(heading)
    # Tab, a run of spaces and a line break inside one paragraph must survive.
    question = P()
    teletype.addTextToElement(question, "\tInterviewer:  How do   you plan visits?\nAnd why?")
    document.text.addElement(question)
    answer = P()
    teletype.addTextToElement(answer, "P1: On Mondays")
    comment = Annotation()  # a reviewer's comment is not what was said
    comment.addElement(P(text="check this date"))
    answer.addElement(comment)
    note = Note(noteclass="footnote", id="ftn1")  # nor is a footnote
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="transcriber's note"))
    note.addElement(body)
    answer.addElement(note)
    teletype.addTextToElement(answer, ", mostly.")
    document.text.addElement(answer)
    bullets = List()
    item = ListItem()
    item.addElement(P(text="受访者：家访的时候两个人一起去。"))
    bullets.addElement(item)
    document.text.addElement(bullets)
    document.save(str(path))


def test_odt_round_trip_keeps_whitespace_and_order_and_leaves_out_notes(tmp_path):
    path = tmp_path / "interview.odt"
    _odt_fixture(path)
    read = read_document(path)
    assert read.text == (
        "Interview 3\n"
        "\tInterviewer:  How do   you plan visits?\nAnd why?\n"
        "P1: On Mondays, mostly.\n"
        "受访者：家访的时候两个人一起去。"
    )
    assert (read.format, read.source_turns) == ("odt", None)


def test_rtf_round_trip(tmp_path):
    # \'e9 is é in the declared code page; \u-29761? and \u-29688? are 访 and 谈 written as
    # RTF's signed 16-bit numbers, with "?" as the fallback character.
    rtf = (
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}" "\r\n"
        r"\f0 Interviewer: How do you plan visits?\par" "\r\n"
        r"P1: We plan them in the caf\'e9.\line Then we go.\par" "\r\n"
        r"P2: \u-29761?\u-29688? ok\par}"
    )
    path = tmp_path / "interview.rtf"
    path.write_bytes(rtf.encode("ascii"))
    read = read_document(path)
    assert read.text == "Interviewer: How do you plan visits?\nP1: We plan them in the café.\nThen we go.\nP2: 访谈 ok\n"
    assert (read.format, read.source_turns) == ("rtf", None)


def test_rtf_that_is_not_rtf_is_refused(tmp_path):
    path = tmp_path / "notes.rtf"
    path.write_text("just some text")
    assert_unreadable(path, "not a readable .rtf file")


# ---------------------------------------------------------------- subtitles

VTT = (
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:04.000\n"
    "<v Interviewer>How do you plan\nyour home visits?</v>\n\n"
    "intro-2\n"
    "00:00:04.500 --> 00:00:07.000\n"
    "<v.loud Mary Smith>We plan them &amp; book the <i>cafe\u0301</i></v>\n\n"
    "00:00:07.000 --> 00:00:09.250\n"
    "<v Mary Smith>on Monday mornings.\n\n"
    "00:00:10.000 --> 00:00:12.000\n"
    "P3: 我们一般\n两个人一起去。\n\n"
    "00:00:12.000 --> 00:00:13.000\n"
    "<i></i>\n\n"
    "00:00:13.000 --> 00:00:15.000\n"
    "Door closes at 10:30.\n"
)


def test_vtt_voices_labels_merging_and_times(tmp_path):
    path = tmp_path / "session.vtt"
    path.write_bytes(VTT.replace("\n", "\r\n").encode("utf-8-sig"))
    read = read_document(path)
    assert read.format == "vtt"
    assert read.text == (
        "Interviewer: How do you plan your home visits?\n"
        "Mary Smith: We plan them & book the caf\u00e9 on Monday mornings.\n"
        "P3: 我们一般两个人一起去。\n"
        "Door closes at 10:30."
    )
    assert_turns(read, [
        ("Interviewer", "How do you plan your home visits?",
         {"start_time": "00:00:01.000", "end_time": "00:00:04.000"}),
        ("Mary Smith", "We plan them & book the caf\u00e9 on Monday mornings.",
         {"start_time": "00:00:04.500", "end_time": "00:00:09.250"}),
        ("P3", "我们一般两个人一起去。", {"start_time": "00:00:10.000", "end_time": "00:00:12.000"}),
        (None, "Door closes at 10:30.", {"start_time": "00:00:13.000", "end_time": "00:00:15.000"}),
    ])
    # Offsets count code points of the NFC text: "café" is 4, not 5.
    assert [(t.start, t.end) for t in read.source_turns] == [(13, 46), (59, 107), (112, 123), (124, 145)]
    assert "00:00" not in read.text


SRT = (
    "1\n00:00:01,000 --> 00:00:03,500\n<i>Interviewer:</i> How are you?\n\n"
    "2\n00:00:04,000 --> 00:00:06,000\n{\\an8}P1: Fine, thanks.\n\n"
    "3\n00:00:06,000 --> 00:00:08,000\nP1: Really fine.\nInterviewer: Good.\n\n"
    "4\n00:00:08,000 --> 00:00:09,000\n受访者：嗯。\n"
)


def test_srt_labels_merging_and_times(tmp_path):
    path = tmp_path / "session.srt"
    path.write_bytes(SRT.replace("\n", "\r\n").encode("gb18030"))
    read = read_document(path)
    assert read.format == "srt"
    assert read.text == (
        "Interviewer: How are you?\nP1: Fine, thanks. Really fine.\nInterviewer: Good.\n受访者: 嗯。"
    )
    assert_turns(read, [
        ("Interviewer", "How are you?", {"start_time": "00:00:01.000", "end_time": "00:00:03.500"}),
        ("P1", "Fine, thanks. Really fine.", {"start_time": "00:00:04.000", "end_time": "00:00:08.000"}),
        ("Interviewer", "Good.", {"start_time": "00:00:06.000", "end_time": "00:00:08.000"}),
        ("受访者", "嗯。", {"start_time": "00:00:08.000", "end_time": "00:00:09.000"}),
    ])


def test_srt_cues_without_blank_lines_between_them(tmp_path):
    path = tmp_path / "squashed.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:03,000\nP4: one\n2\n00:00:03,000 --> 00:00:05,000\nP4: two\n"
                    "3\n00:00:05,000 --> 00:00:06,000\nInterviewer: 2\n00:00:06,000 --> 00:00:07,000\nP4: three")
    read = read_document(path)
    assert read.text == "P4: one two\nInterviewer: 2\nP4: three"
    assert_turns(read, [
        ("P4", "one two", {"start_time": "00:00:01.000", "end_time": "00:00:05.000"}),
        ("Interviewer", "2", {"start_time": "00:00:05.000", "end_time": "00:00:06.000"}),
        ("P4", "three", {"start_time": "00:00:06.000", "end_time": "00:00:07.000"}),
    ])
    unnumbered = tmp_path / "unnumbered.srt"
    unnumbered.write_bytes(b"00:00:01,000 --> 00:00:03,000\r\nP4: one\r\n3\r\n00:00:03,000 --> 00:00:05,000\r\nP4: two\r\n")
    assert read_document(unnumbered).text == "P4: one 3 two"  # without cue numbers, "3" is what was said


def test_subtitle_files_that_are_not_subtitles_are_refused(tmp_path):
    notes = tmp_path / "notes.srt"
    notes.write_text("This is just a note, not subtitles.\n")
    assert_unreadable(notes, "not a readable .srt file")
    headless = tmp_path / "notes.vtt"
    headless.write_text("00:00:01.000 --> 00:00:02.000\nHello\n")  # no WEBVTT line
    assert_unreadable(headless, "not a readable .vtt file")
    bare = tmp_path / "bare.vtt"
    bare.write_text("WEBVTT\n\nNOTE nothing was said\n")
    assert_unreadable(bare, "no subtitle cues")


# ---------------------------------------------------------------- tables


def test_csv_rows_become_turns(tmp_path):
    path = tmp_path / "turns.csv"
    path.write_bytes(
        b"Speaker,Text,Time\r\n"
        b"Interviewer,How do you plan visits?,00:00:01\r\n"
        b",,\r\n"
        b"P1,\"We plan them\r\non Mondays, cafe\xcc\x81 first.\",00:00:05\r\n"
        b",Continued remark,\r\n"  # an empty speaker cell continues the speaker above
        b"P2,,00:00:09\r\n"
    )
    read = read_document(path)
    assert read.format == "csv"
    assert read.text == (
        "Interviewer: How do you plan visits?\nP1: We plan them\non Mondays, caf\u00e9 first.\nP1: Continued remark"
    )
    assert_turns(read, [
        ("Interviewer", "How do you plan visits?", {"start_time": "00:00:01"}),
        ("P1", "We plan them\non Mondays, caf\u00e9 first.", {"start_time": "00:00:05"}),
        ("P1", "Continued remark", {}),
    ])


@pytest.mark.parametrize(
    "header, delimiter, encoding",
    [
        (("SPEAKER", "Utterance"), ",", "utf-8"),
        (("说话人", "内容"), ";", "gb18030"),
        (("发言人", "文本"), "\t", "utf-16"),
        (("角色", "Content"), ",", "utf-8-sig"),
    ],
)
def test_csv_header_names_delimiters_and_encodings(tmp_path, header, delimiter, encoding):
    rows = [header, ("访谈者", "你平时怎么安排工作？"), ("受访者", "一般周一开会。")]
    path = tmp_path / "turns.csv"
    path.write_bytes("\n".join(delimiter.join(row) for row in rows).encode(encoding))
    read = read_document(path)
    assert read.text == "访谈者: 你平时怎么安排工作？\n受访者: 一般周一开会。"
    assert_turns(read, [("访谈者", "你平时怎么安排工作？", {}), ("受访者", "一般周一开会。", {})])


def test_csv_without_text_column_names_the_columns_it_found(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("id,speaker,code\n1,P1,stress\n")
    message = assert_unreadable(path, "no text column", "'id'", "'speaker'", "'code'")
    assert "utterance" in message  # and says what it looks for


def test_xlsx_rows_become_turns_from_the_first_sheet_with_a_text_column(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["Study", "Home visits"])
    sheet = workbook.create_sheet("Transcript")
    sheet.append([None, None, None])  # blank rows before the header are skipped
    sheet.append(["Time", "Speaker", "Content"])
    sheet.append([datetime.time(0, 0, 1), "Interviewer", "How do you plan visits?"])
    sheet.append([None, None, None])
    sheet.append([datetime.time(0, 1, 2, 500000), "  Mary\nSmith ", "We plan them\non Mondays."])
    sheet.append([None, "P1", None])
    sheet.append([None, None, 42])  # an empty speaker cell continues the last speaker named (P1)
    path = tmp_path / "turns.xlsx"
    workbook.save(path)
    read = read_document(path)
    assert read.format == "xlsx"
    assert read.text == "Interviewer: How do you plan visits?\nMary Smith: We plan them\non Mondays.\nP1: 42"
    assert_turns(read, [
        ("Interviewer", "How do you plan visits?", {"start_time": "00:00:01"}),
        ("Mary Smith", "We plan them\non Mondays.", {"start_time": "00:01:02.500"}),
        ("P1", "42", {}),
    ])


def test_xlsx_without_text_column_is_refused(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Speaker", "Notes"])
    workbook.active.append(["P1", "said something"])
    path = tmp_path / "codes.xlsx"
    workbook.save(path)
    assert_unreadable(path, "no text column", "'Speaker'", "'Notes'")


def test_table_with_only_a_header_is_empty(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("speaker,text\n,\n")
    assert_unreadable(path, "the file is empty")


def test_documents_with_turns_are_hashable(tmp_path):
    path = tmp_path / "turns.csv"
    path.write_text("speaker,text,time\nP1,Hello,00:00:01\n")
    read = read_document(path)
    assert isinstance(read.source_turns[0], SourceTurn)
    assert hash(read) == hash(read_document(path))


# ---------------------------------------------------------------- encodings

SIMPLIFIED = [
    "我觉得压力很大。",
    "嗯。好的，我们周一去。",
    "受访者：家访的时候我们一般两个人一起去，这样比较安全。",
    "访谈者：你平时怎么安排工作？受访者：一般周一开会，然后分头家访。有时候家属不配合，就很难办。",
    "精防专干每个月要随访一次。",
]
TRADITIONAL = [
    "我覺得壓力很大。",
    "欸，我覺得還好。",
    "受訪者：家訪的時候我們一般兩個人一起去，這樣比較安全。",
    "訪談者：你平時怎麼安排工作？受訪者：一般週一開會，然後分頭家訪。有時候家屬不配合，就很難辦。",
]


@pytest.mark.parametrize(
    "text, encoding",
    [(text, encoding) for text in SIMPLIFIED for encoding in ("gbk", "gb18030", "utf-16", "utf-8-sig")]
    + [(text, "big5") for text in TRADITIONAL]
    + [(text, "utf-16-be-bom") for text in TRADITIONAL[:1]],
)
def test_short_chinese_texts_decode_exactly(tmp_path, text, encoding):
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    path = tmp_path / "short.txt"
    path.write_bytes(data)
    assert read_document(path).text == text


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("I don\u2019t know \u2013 it\u2019s \u201cfine\u201d.", "cp1252"),
        ("It was 25\u00b0C.", "cp1252"),  # "\xb0C" is also a valid, frequent Big5 character
        ("Oui, tr\u00e8s bien.", "cp1252"),
        ("Привет, как дела? Всё хорошо.", "cp1251"),
    ],
)
def test_short_western_legacy_texts_are_not_taken_for_chinese(tmp_path, text, encoding):
    path = tmp_path / "short.txt"
    path.write_bytes(text.encode(encoding))
    assert read_document(path).text == text



def test_a_latin1_file_a_guess_would_read_as_cyrillic_is_refused(tmp_path):
    """Latin-1 German with bytes Windows-1252 leaves undefined was stored as Cyrillic ("Ich mцchte ьber",
    "cafй") and clustered, with no word said (an audit of the nightly set-up). Words that mix Latin letters
    with another script are a wrong code page's work: the file is quarantined instead."""
    german = tmp_path / "latin1_P9.txt"
    german.write_bytes(b"Interviewer: Hello?\n\nP9: Ich m\xf6chte \xfcber die Arbeit sprechen. \xe4\xf6\xfc\xdf "
                       b"\x81\x8d\x8f\x90\x9d caf\xe9 na\xefve \xe9\xe8\xea\xeb.\n")
    assert_unreadable(german, "its words mix Latin letters with another script (save it as UTF-8)")


def test_undecodable_and_binary_bytes_say_why(tmp_path):
    noise = tmp_path / "noise.txt"
    noise.write_bytes(bytes(range(1, 256)) * 4)
    assert_unreadable(noise, "cannot tell which text encoding")
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"\xff\xfe" + "P1: hello".encode("utf-16-le")[:-1])
    assert_unreadable(odd, "UTF-16", "byte-order mark")
    binary = tmp_path / "table.csv"
    binary.write_bytes(b"speaker,text\nP1,hel\x00lo\n\xff")
    assert_unreadable(binary, "binary")


def test_utf16_without_bom_is_decoded_and_other_nul_bytes_are_binary(tmp_path):
    text = "Interviewer: How was your week?\nP3: 还行，就是有点累。\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(text.encode(encoding))
        assert read_document(path).text == text
    # Valid UTF-8, but NUL bytes are not text: refused, never stored as a transcript.
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"P3: hello\x00\x00\x00\x01\x02 world\n")
    assert_unreadable(junk, "binary")
    looks_utf16 = tmp_path / "ints.csv"  # NULs at alternating bytes, but control codes when decoded
    looks_utf16.write_bytes(b"".join(bytes([code, 0]) for code in range(1, 31)))
    assert_unreadable(looks_utf16, "binary")


# ---------------------------------------------------------------- archive safety


def _docx_bytes(text: str = "Interviewer: Hello.") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, path: Path, replace: dict[str, bytes]) -> None:
    """Copy the archive `data` to `path`, swapping the given members' contents."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member, replace.get(member.filename, source.read(member)))


def _add_zeros(path: Path, megabytes: int) -> None:
    """Append a member of `megabytes` MB of zeros, streamed so nothing big is held or written."""
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("word/media/zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(megabytes):
            member.write(chunk)


def test_zip_bomb_docx_is_refused_from_its_directory_without_inflating(tmp_path, monkeypatch):
    path = tmp_path / "bomb.docx"
    path.write_bytes(_docx_bytes())
    _add_zeros(path, 300)
    assert path.stat().st_size < 5 * 1024 * 1024  # small on disk...
    opened = []
    real_open = zipfile.ZipFile.open

    def recording_open(archive, member, *args, **kwargs):
        opened.append(getattr(member, "filename", member))
        return real_open(archive, member, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    assert_unreadable(path, "refused", "unpack to 300.", "ingest.max_unpacked_mb")  # ...huge unpacked
    # Decided from the central directory: no member was opened, so nothing was inflated. How long the
    # refusal takes is measured by benchmarks/response_times.py, not here.
    assert opened == []


def test_highly_compressed_member_is_refused_even_under_the_size_limit(tmp_path):
    path = tmp_path / "ratio.docx"
    path.write_bytes(_docx_bytes())
    _add_zeros(path, 20)
    assert_unreadable(path, "refused", "word/media/zeros.bin", "200:1")
    # The same file is fine as far as the total goes: the ratio rule is what stopped it.
    with zipfile.ZipFile(path) as archive:
        assert sum(m.file_size for m in archive.infolist()) < 200 * 1024 * 1024


def test_unpacked_limit_is_a_parameter(tmp_path):
    path = tmp_path / "fine.docx"
    path.write_bytes(_docx_bytes())
    assert read_document(path).text == "Interviewer: Hello."
    assert_unreadable(path, "ingest.max_unpacked_mb", max_unpacked_mb=0.001)


def test_xml_entities_are_refused_before_parsing(tmp_path):
    data = _docx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    declaration_end = xml.index("?>") + 2
    evil = (xml[:declaration_end] + '<!DOCTYPE w:document [<!ENTITY boom "boom">]>' + xml[declaration_end:])
    evil = evil.replace("Hello.", "&boom;")
    path = tmp_path / "entities.docx"
    _rezip(data, path, {"word/document.xml": evil.encode("utf-8")})
    assert_unreadable(path, "refused", "word/document.xml", "DOCTYPE")

    odt = tmp_path / "source.odt"
    _odt_fixture(odt)
    with zipfile.ZipFile(odt) as archive:
        content = archive.read("content.xml").decode("utf-8")
    external = content.replace("?>", '?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">', 1)
    path = tmp_path / "external.odt"
    _rezip(odt.read_bytes(), path, {"content.xml": external.encode("utf-8")})
    assert_unreadable(path, "refused", "content.xml")


def test_dtd_scan_finds_a_marker_split_across_chunks_and_allows_html5_doctype():
    from qualflow.pipeline.readers._archive import _CHUNK

    split = b"x" * (_CHUNK - 4) + b"<!ENTITY a 'b'>" + b"y" * 100
    assert _has_dtd(io.BytesIO(split))
    assert _has_dtd(io.BytesIO("<!DOCTYPE x>".encode("utf-16-le")))
    html = b"x" * (_CHUNK - 4) + b"<!DOCTYPE html><html></html>"
    assert not _has_dtd(io.BytesIO(html))


def test_corrupt_archives_are_unreadable_without_traceback_or_output(tmp_path, capsys):
    import openpyxl

    odt = tmp_path / "source.odt"
    _odt_fixture(odt)
    with zipfile.ZipFile(odt) as archive:
        content = archive.read("content.xml")
    broken_odt = tmp_path / "broken.odt"
    _rezip(odt.read_bytes(), broken_odt, {"content.xml": content[: len(content) // 2]})
    assert_unreadable(broken_odt, "not a readable .odt file", "content.xml")
    # odfpy would print the whole XML part (the interview) to stdout; it must not get the chance.
    assert capsys.readouterr().out == ""

    truncated_odt = tmp_path / "truncated.odt"
    truncated_odt.write_bytes(odt.read_bytes()[:300])
    assert_unreadable(truncated_odt, "not a readable .odt file")

    workbook = openpyxl.Workbook()
    workbook.active.append(["speaker", "text"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    broken_xlsx = tmp_path / "broken.xlsx"
    _rezip(buffer.getvalue(), broken_xlsx, {"xl/workbook.xml": b"<workbook><sheets"})
    assert_unreadable(broken_xlsx, "not a readable .xlsx file")
    not_zip = tmp_path / "notzip.xlsx"
    not_zip.write_bytes(b"speaker,text\nP1,hello\n")
    assert_unreadable(not_zip, "not a readable .xlsx file")

    data = _docx_bytes()
    broken_docx = tmp_path / "broken.docx"
    _rezip(data, broken_docx, {"word/document.xml": b"<w:document"})
    assert_unreadable(broken_docx, "not a readable .docx file")
    encrypted = tmp_path / "protected.docx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert_unreadable(encrypted, "not a readable .docx file", "password-protected")



def test_a_docx_that_is_no_word_document_says_what_it_is(tmp_path):
    """python-docx's bare "KeyError" was all the quarantine said of a zip without Word's parts (an audit)."""
    import zipfile

    fake = tmp_path / "fake_P10.docx"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("junk.bin", b"\x00\x01")
        archive.writestr("word/document.xml", b"<w:document/>")
    message = assert_unreadable(fake, "a zip archive without [Content_Types].xml, so no Word document",
                                "save it again as .docx")
    assert "KeyError" not in message
    junk = tmp_path / "junk.docx"
    junk.write_bytes(bytes(range(256)) * 8)
    assert_unreadable(junk, "not a zip archive, as every .docx is")


# ---------------------------------------------------------------- real files


@pytest.mark.skipif(not SERDIF.is_dir(), reason="SERDIF usability transcripts not available")
def test_real_serdif_odt_transcripts_all_read():
    paths = sorted(SERDIF.glob("*.odt"))
    assert len(paths) == 17
    for path in paths:
        read = read_document(path)
        assert read.format == "odt"
        assert read.text.count("\n") > 100, path.name  # one line per paragraph
        assert len(read.text.split()) > 1000, path.name
        assert "Read the \u2018Home\u2019 tab information" in read.text or path.name.startswith("P6_")
    p1 = read_document(SERDIF / "P1_GMT20211118.odt").text
    # <text:tab/> and <text:s text:c="4"/> become a tab and four spaces.
    assert "\n\tAlright, so I have logged in. Let me get the other tasks open.\n" in p1
    assert "\n    \tOkay, yeah that's cool.\n" in p1


def test_xlsx_formulas_without_a_saved_result_refuse_the_file_naming_the_cells(tmp_path):
    import openpyxl

    # openpyxl and pandas save formulas without their results; read as values they are empty, and their
    # rows used to vanish without a word.
    workbook = openpyxl.Workbook()
    workbook.active.append(["Speaker", "Text"])
    workbook.active.append(["Interviewer", "How was the week?"])
    workbook.active.append(["P1", '=CONCATENATE("The night ","shifts.")'])
    workbook.active.append(["P1", "And the paperwork."])
    workbook.active.append(["P1", "=1+1"])
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)
    message = assert_unreadable(path, "cells B3 and B5 hold formulas with no saved result",
                                "open the file in Excel or LibreOffice and save it")
    assert "night" not in message  # never the cell contents


def test_xlsx_formulas_with_a_saved_result_use_it(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Speaker", "Text", "Notes"])
    workbook.active.append(["P1", '=CONCATENATE("The night ","shifts.")', '=IF(TRUE,"","x")'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    # As Excel and LibreOffice save them: the result in <v>, an empty string result as t="str" with empty <v>.
    sheet = sheet.replace('<c r="B2"><f>', '<c r="B2" t="str"><f>').replace(
        'shifts.")</f><v></v>', 'shifts.")</f><v>The night shifts.</v>').replace(
        '<c r="C2"><f>', '<c r="C2" t="str"><f>')
    path = tmp_path / "saved.xlsx"
    _rezip(buffer.getvalue(), path, {"xl/worksheets/sheet1.xml": sheet.encode()})
    assert_turns(read_document(path), [("P1", "The night shifts.", {})])


def test_table_rows_with_an_empty_speaker_cell_continue_the_speaker_above(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Speaker", "Text"])
    sheet.append([None, "Recorded on a Monday."])  # before any speaker: stays without one
    sheet.append(["Interviewer", "How was your week?"])
    sheet.append(["P2", "It was exhausting."])
    sheet.append([None, "And the paperwork kept piling up."])
    sheet.append([None, "The night shifts were the worst."])
    sheet.append(["Interviewer", "What helped?"])
    sheet.merge_cells("A4:A6")  # merged cells read as empty in every row but the first
    path = tmp_path / "merged.xlsx"
    workbook.save(path)
    assert_turns(read_document(path), [
        (None, "Recorded on a Monday.", {}),
        ("Interviewer", "How was your week?", {}),
        ("P2", "It was exhausting.", {}),
        ("P2", "And the paperwork kept piling up.", {}),
        ("P2", "The night shifts were the worst.", {}),
        ("Interviewer", "What helped?", {}),
    ])
    csv_path = tmp_path / "merged.csv"
    csv_path.write_text("speaker,text\n,Before anyone.\nP1,One.\n,Two.\n", encoding="utf-8")
    assert_turns(read_document(csv_path), [(None, "Before anyone.", {}), ("P1", "One.", {}), ("P1", "Two.", {})])


def test_csv_cells_longer_than_the_csv_module_default_are_read(tmp_path):
    long_answer = "word " * 40000  # 200,000 characters, over csv's default 131,072
    path = tmp_path / "long.csv"
    path.write_text(f"speaker,text\nP1,{long_answer}\n", encoding="utf-8")
    assert_turns(read_document(path), [("P1", long_answer.strip(), {})])
