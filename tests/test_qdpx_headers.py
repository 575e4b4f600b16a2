"""`qualflow export qdpx` ships de-identified sources: a header's interview date, time or place is no name,
so de-identification keeps it in the stored text, yet it can single out an interview. The export replaces
those values and moves every selection with them, so each coding still covers exactly its words.

The real flow on an example interview and a Chinese one written here (a header comment, a date, a place and a
time; characters beyond the BMP in the header and in the talk), a human coding imported on top, then the real
CLI export, opened as a QDA tool would: the zip, the schema, each selection's slice of its source."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.etree.ElementTree import fromstring

import pytest
import xmlschema
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Statement, Store, Transcript, default_database_url
from qualflow.models.coding import ManualCoding
from qualflow.pipeline.coding.importer import import_coding
from sqlalchemy import select
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# The REFI-QDA schema as published, else the project's own copy of it.
SHARED_SCHEMA = Path("/work/shared/refi-qda/Project.xsd")
SCHEMA = SHARED_SCHEMA if SHARED_SCHEMA.is_file() else ROOT / "pipeline" / "coding" / "schemas" / "Project.xsd"
NS = {"q": "urn:QDA-XML:project:1.0"}
ZH_NAME = "zh_p9_随访.txt"
# 𠮷 (U+20BB7) and 👍 (U+1F44D) are one code point each and two UTF-16 units.
ZH_INTERVIEW = """# 第三次访谈 2026年5月17日 𠮷祥街道
# 受访者：P9
# 日期：2026年5月17日
# 地点：城西社区卫生服务中心
# 访谈时间：下午3点到4点半

访谈者：您好，先说说您平时一天的工作大概是什么样的吧？

受访者：我一个人管着八十多个患者，还要录系统、写报表，经常加班到晚上。中午就在𠮷野家随便吃一点👍，下午接着上门随访。

访谈者：家属那边的配合怎么样？

受访者：没有家属配合，很多复发的苗头我们根本看不到。有的家属连电话都不接，我们只能一次一次上门去找。

访谈者：您觉得最需要的支持是什么？

受访者：最需要的是人手和培训，现在一个人要做三个人的事，新来的同事也没有系统的培训。
"""
# What the headers held that must not leave the study: the two dates, the time, the place, the comment.
HEADER_VALUES = ("2026-03-02", "2026年5月17日", "5月17日", "下午3点", "城西社区", "第三次访谈", "𠮷祥",
                 "INVENTED for the demo")
runner = CliRunner()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("qdpx_headers")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "zh_p5_社区医生.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    (inbox / ZH_NAME).write_text(ZH_INTERVIEW, encoding="utf-8")
    data = root / "data"
    summary = code_interviews(str(inbox), str(data), "small-study")
    assert summary.transcripts_added == 3 and not summary.failed
    store = Store(default_database_url(data))
    # A human coder's spans on two of P9's statements, after the non-BMP characters: `--with-manual` ships them.
    coding = root / "team.csv"
    spans = [("没有家属配合，很多复发的苗头我们根本看不到。", "家属"),
             ("最需要的是人手和培训，现在一个人要做三个人的事，新来的同事也没有系统的培训。", "支持")]
    coding.write_text("document,text,code,coder\n" + "".join(f"{ZH_NAME},{words},{code},coder_a\n"
                                                             for words, code in spans), encoding="utf-8")
    import_coding(store, coding)
    path = root / "study.qdpx"
    result = runner.invoke(app, ["export", "qdpx", "--with-manual", "-o", str(path), "--data", str(data)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(path) as archive:
        project = archive.read("project.qde").decode("utf-8")
        sources = {name.removeprefix("sources/").removesuffix(".txt"): archive.read(name).decode("utf-8")
                   for name in archive.namelist() if name.startswith("sources/")}
    return store, project, sources


def test_header_dates_places_and_comments_leave_no_trace(exported):
    store, project, sources = exported
    assert len(sources) == 3
    for text in [*sources.values(), project]:
        for value in HEADER_VALUES:
            assert value not in text, value
    by_participant = {re.search(r"(?:participant: |受访者：)(P\d+)", text).group(1): text
                      for text in sources.values()}
    # The keys stay, so the file still reads as a transcript; the participant's code and the language stay too.
    assert "# participant: P1\n# date: [DATE]\n# language: en\n" in by_participant["P1"]
    assert by_participant["P9"].startswith("# [REMOVED]\n# 受访者：P9\n# 日期：[DATE]\n# 地点：[REMOVED]\n"
                                          "# 访谈时间：[DATE]\n")
    # The interview date still orders the study's own saturation: it stays in the study, out of the export.
    with store.session() as session:
        stored = session.scalar(select(Transcript).where(Transcript.source_name == ZH_NAME))
        assert "2026年5月17日" in stored.text


def test_the_project_validates_against_the_refi_qda_schema(exported):
    _, project, _ = exported
    xmlschema.XMLSchema(str(SCHEMA)).validate(project)


def test_every_selection_covers_exactly_its_words_after_the_header_moved(exported):
    store, project, sources = exported
    root = fromstring(project)
    checked = {"statement": 0, "manual": 0}
    after_astral = 0
    with store.session() as session:
        for source in root.iterfind("q:Sources/q:TextSource", NS):
            text = sources[source.get("guid")]
            for selection in source.iterfind("q:PlainTextSelection", NS):
                kind, number = selection.get("name").split()
                start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
                if kind == "statement":
                    expected = session.get(Statement, int(number)).text
                else:
                    coding = session.get(ManualCoding, int(number))
                    stored = session.get(Transcript, coding.transcript_id).text
                    expected = stored[coding.start:coding.end]
                # Positions count code points: 𠮷 and 👍 before a selection are one position each.
                assert text[start:end] == expected, (kind, number)
                checked[kind] += 1
                after_astral += any(ord(ch) > 0xFFFF for ch in text[:start])
    assert checked["statement"] >= 20 and checked["manual"] == 2
    assert after_astral >= 2  # the Chinese interview's later statements sit behind characters beyond the BMP


def test_codes_placeholders_and_talk_stay_and_a_span_over_a_value_covers_its_placeholder():
    from qualflow.pipeline.coding.export_refi import exported_source

    text = ("# participant: [PERSON_1]\n# interviewer: [PERSON_2]\n# site: Ward 7\n# date: 12/03/2024\n\n"
            "Interviewer: Hello there.\n\nP1: #1 on my list is the rota, honestly.\n")
    turns = [(text.index("Hello"), text.index("there.") + 6), (text.index("#1"), text.index("honestly.") + 9)]
    new, moved = exported_source(text, turns)
    assert new.startswith("# participant: [PERSON_1]\n# interviewer: [PERSON_2]\n# site: [REMOVED]\n# date: [DATE]\n")
    assert new.endswith("P1: #1 on my list is the rota, honestly.\n")  # a participant's "#" is their words
    ward = text.index("Ward 7")
    assert new[moved.start(ward):moved.end(ward + len("Ward 7"))] == "[REMOVED]"
    assert (moved.start(0), moved.end(len(text))) == (0, len(new))  # a coding of the whole document
    start, end = turns[1]
    assert new[moved.start(start):moved.end(end)] == text[start:end]
