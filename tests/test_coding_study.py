"""Manual coding against a real study: the real flow, a real SQLite store, the CLI.

One flow run (the example interviews plus two invented ones with names in them) is shared
by the tests of this module. Coding files are the invented fixtures in
tests/fixtures/coding/ or are made here from the fixture transcripts, in the formats and
with the quirks real tools write (CRLF, a BOM, byte offsets, bare source paths).
"""

import csv
import io
import json
import re
import shutil
import sqlite3
import zipfile
from html import escape
from pathlib import Path

import pytest
import xmlschema
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Pseudonym, Store, Transcript, default_database_url
from qualflow.models.coding import ManualCode, ManualCoding, ManualCodingImport
from qualflow.pipeline.coding.importer import import_coding
from qualflow.pipeline.report import assignment_rows
from sqlalchemy import select
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "coding"
SCHEMAS = ROOT / "pipeline" / "coding" / "schemas"
EN, ZH = "en_p9_outreach.txt", "zh_p10_随访.txt"
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("coding_study")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    for name in (EN, ZH):
        shutil.copy(FIXTURES / name, inbox / name)
    data = root / "data"
    summary = code_interviews(str(inbox), str(data))
    assert summary.transcripts_added == 6 and not summary.failed
    return data


@pytest.fixture
def store(study, tmp_path):
    """A private copy of the study, so each test's imports start from none."""
    copy = tmp_path / "data"
    shutil.copytree(study, copy)
    return Store(default_database_url(copy))


def original(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def restored(session, coding: ManualCoding) -> str:
    """The stored span with each placeholder put back: what the human coded, if aligned right
    (in lower case: the key map keeps names lower-cased)."""
    text = session.get(Transcript, coding.transcript_id).text[coding.start:coding.end]
    for pseudonym in session.scalars(select(Pseudonym)):
        text = text.replace(pseudonym.placeholder, pseudonym.real)
    return text.lower()


def mentions(text: str, name: str) -> bool:
    """`name` as a word of `text`, in any case ("hart" is not in "charts")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def codings_of(session, file_name: str) -> list[ManualCoding]:
    record = session.scalar(select(ManualCodingImport).where(ManualCodingImport.file_name == file_name))
    return list(session.scalars(select(ManualCoding).where(ManualCoding.import_id == record.id)
                                .order_by(ManualCoding.id)))


def test_taguette_highlights_align_onto_deidentified_text(store):
    stats = import_coding(store, FIXTURES / "en_p9_highlights.csv")
    rows = list(csv.DictReader((FIXTURES / "en_p9_highlights.csv").open(encoding="utf-8")))
    assert stats["spans"] == len(rows) and stats["aligned"] == len(rows) and stats["unmatched_documents"] == []
    with store.session() as session:
        codings = codings_of(session, "en_p9_highlights.csv")
        assert [restored(session, c) for c in codings] == [row["content"].lower() for row in rows]
        names = [c.code.path for c in codings]
        stored = [session.get(Transcript, c.transcript_id).text[c.start:c.end] for c in codings]
    assert names == [row["tag"] for row in rows]
    assert not any("Margaret Thompson" in text or "Okafor" in text for text in stored)  # de-identified
    assert stats["well_aligned"] < stats["aligned"]  # names were replaced, so some characters differ


def qdpx(sources: list[dict], codes: list[tuple[str, str, str | None]], users: dict[str, str], bom=True) -> bytes:
    """A REFI-QDA project as tools write it. codes: (guid, name, parent guid)."""
    children: dict = {}
    for guid, name, parent in codes:
        children.setdefault(parent, []).append((guid, name))

    def code_xml(parent):
        return "".join(f'<Code guid="{g}" name="{escape(n)}" isCodable="true">{code_xml(g)}</Code>'
                       for g, n in children.get(parent, []))

    source_xml = ""
    for source in sources:
        selections = "".join(
            f'<PlainTextSelection guid="{guid}" startPosition="{s}" endPosition="{e}"><Coding '
            f'guid="{guid[:-4]}cccc" creatingUser="{user}"><CodeRef targetGUID="{code}"/></Coding>'
            f"</PlainTextSelection>" for guid, s, e, code, user in source["selections"])
        source_xml += (f'<TextSource guid="{source["guid"]}" name="{escape(source["name"])}" '
                       f'plainTextPath="{escape(source["path"])}">{selections}</TextSource>')
    user_xml = "".join(f'<User guid="{g}" name="{n}"/>' for g, n in users.items())
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\r\n<Project xmlns="urn:QDA-XML:project:1.0" name="t" '
           f'origin="test"><Users>{user_xml}</Users><CodeBook><Codes>{code_xml(None)}</Codes></CodeBook>'
           f"<Sources>{source_xml}</Sources></Project>").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", (b"\xef\xbb\xbf" if bom else b"") + xml)
        for source in sources:
            archive.writestr(source["member"], source["bytes"])
    return buffer.getvalue()


def guid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


EN_PHRASES = ["Margaret Thompson, my manager, goes through the waiting list",
              "he hasn't left his room in four days", "Supervision with Dr Okafor every fortnight helps a lot."]
ZH_PHRASES = ["王医生每周二会跟我们一起去", "家属特别关键。"]


def test_qdpx_with_crlf_bom_and_both_kinds_of_source_path(store, tmp_path):
    en = original(EN).replace("\n", "\r\n")  # a Windows copy; this tool counts CRLF as two characters
    zh = "\ufeff" + original(ZH).replace("\n", "\r\n")  # BOM; this tool counts CRLF as one
    zh_lf = zh.lstrip("\ufeff").replace("\r\n", "\n")
    users = {guid(901): "anna", guid(902): "ben"}
    codes = [(guid(1), "Care network", None), (guid(2), "Families", guid(1)), (guid(3), "Team", guid(1))]
    en_selections = [(guid(100 + i), en.index(p), en.index(p) + len(p), guid(2 + (i == 0)), guid(901 + i % 2))
                     for i, p in enumerate(EN_PHRASES)]
    zh_selections = [(guid(200 + i), zh_lf.index(p), zh_lf.index(p) + len(p), guid(2), guid(901))
                     for i, p in enumerate(ZH_PHRASES)]
    sources = [
        {"guid": guid(10), "name": EN, "path": EN, "member": f"sources/{EN}", "bytes": en.encode("utf-8"),
         "selections": en_selections},  # a bare path, as qc writes it
        {"guid": guid(11), "name": "interview 10", "path": f"internal://{guid(11)}.txt",
         "member": f"sources/{guid(11)}.txt", "bytes": zh.encode("utf-8"), "selections": zh_selections},
    ]
    path = tmp_path / "team.qdpx"
    path.write_bytes(qdpx(sources, codes, users))
    stats = import_coding(store, path)
    assert stats["aligned"] == stats["spans"] == 5 and stats["coders"] == ["anna", "ben"]
    assert stats["matched_by"]["interview 10"].startswith("text")  # no name to go by
    with store.session() as session:
        codings = codings_of(session, "team.qdpx")
        assert [restored(session, c) for c in codings] == [p.lower() for p in EN_PHRASES + ZH_PHRASES]
        assert {c.code.path for c in codings} == {"Care network / Families", "Care network / Team"}
        parents = {c.path: c.parent_id for c in session.scalars(select(ManualCode))}
        assert parents["Care network"] is None and parents["Care network / Families"] is not None


def taguette_database(path: Path, documents: dict[str, str], highlights: list[tuple[str, str, str]]) -> None:
    """A Taguette project database: HTML contents, highlights at UTF-8 byte offsets of the text."""
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE project_members (project_id INTEGER, user_login VARCHAR, privileges VARCHAR);
            CREATE TABLE documents (id INTEGER PRIMARY KEY, name VARCHAR, contents TEXT);
            CREATE TABLE tags (id INTEGER PRIMARY KEY, project_id INTEGER, path VARCHAR, description TEXT);
            CREATE TABLE highlights (id INTEGER PRIMARY KEY, document_id INTEGER, start_offset INTEGER,
                                     end_offset INTEGER, snippet TEXT);
            CREATE TABLE highlight_tags (highlight_id INTEGER, tag_id INTEGER);
            INSERT INTO project_members VALUES (1, 'taguette_admin', 'ADMIN');
        """)
        tags = {}
        for doc_id, (name, text) in enumerate(documents.items(), start=1):
            html = "\n".join(f"<p>{escape(line)}</p>" for line in text.split("\n"))
            db.execute("INSERT INTO documents VALUES (?, ?, ?)", (doc_id, name, html))
            for number, (document, phrase, tag) in enumerate(highlights, start=1):
                if document != name:
                    continue
                tag_id = tags.setdefault(tag, len(tags) + 1)
                at = text.index(phrase)
                start = len(text[:at].encode("utf-8"))
                db.execute("INSERT INTO highlights VALUES (?, ?, ?, ?, '')",
                           (number, doc_id, start, start + len(phrase.encode("utf-8"))))
                db.execute("INSERT INTO highlight_tags VALUES (?, ?)", (number, tag_id))
        db.executemany("INSERT INTO tags VALUES (?, 1, ?, '')", [(i, t) for t, i in tags.items()])


def test_taguette_project_database_byte_offsets(store, tmp_path):
    highlights = [(EN, "“he hasn't left his room in four days”", "Family"), (ZH, "最难的是人手不够。", "人手"),
                  (ZH, "没有家属配合，很多复发的苗头我们根本看不到。", "Family"), (EN, "the café next to the clinic", "Team")]
    path = tmp_path / "project.sqlite3"
    taguette_database(path, {EN: original(EN), ZH: original(ZH)}, highlights)
    stats = import_coding(store, path)
    assert stats["aligned"] == stats["spans"] == 4 and stats["coders"] == ["taguette_admin"]
    with store.session() as session:
        codings = codings_of(session, "project.sqlite3")
        assert sorted(restored(session, c) for c in codings) == sorted(h[1].lower() for h in highlights)


def test_importing_the_same_file_again_replaces_it(store):
    first = import_coding(store, FIXTURES / "two_coders.csv")
    counts = (store.count(ManualCodingImport), store.count(ManualCode), store.count(ManualCoding))
    again = import_coding(store, FIXTURES / "two_coders.csv")
    assert (store.count(ManualCodingImport), store.count(ManualCode), store.count(ManualCoding)) == counts
    assert again["replaced_previous_import"] and not first["replaced_previous_import"]
    assert counts[2] == 10 and again["aligned"] == 10


def test_compare_writes_html_and_json_with_the_human_ceiling(store, tmp_path):
    data = Path(store.url.removeprefix("sqlite:///")).parent
    result = runner.invoke(app, ["import-coding", str(FIXTURES / "two_coders.csv"), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "Aligned 10 of 10 spans" in result.output
    html, figures = tmp_path / "agreement.html", tmp_path / "agreement.json"
    result = runner.invoke(app, ["compare", "--data", str(data), "--html", str(html), "--json-out", str(figures)])
    assert result.exit_code == 0, result.output
    report = json.loads(figures.read_text("utf-8"))
    assert [c["reference"] for c in report["comparisons"]] == ["coder_a", "coder_b"]
    ceiling = report["human_ceiling"]
    assert ceiling["reference"] == "coder_a" and ceiling["candidate"] == "coder_b"
    # The two coders differ on one of the five passages coded by both: not perfect, not nothing.
    assert 0 < ceiling["one_to_one"]["f1"] < 1
    page = html.read_text("utf-8")
    for comparison in report["comparisons"]:
        assert f"{comparison['one_to_one']['f1']:.3f}" in page
        for row in comparison["per_code"]:
            assert escape(row["code"]) in page
    assert "<script" not in page and "rgba(" in page  # self-contained, coloured heatmap
    with store.session() as session:
        reals = [p.real for p in session.scalars(select(Pseudonym)) if len(p.real) >= 3]
    assert reals and not any(mentions(page, real) for real in reals)


def test_rows_whose_text_is_not_in_the_transcript_are_named(store, tmp_path):
    """The import said "Aligned 4 of 7 spans" and never which rows failed (a researcher's audit)."""
    data = Path(store.url.removeprefix("sqlite:///")).parent
    lines = (FIXTURES / "two_coders.csv").read_text("utf-8").splitlines()
    lines[2] = lines[2].replace("八十多个患者", "九十多位老人")  # row 3: the coder's text differs from the transcript
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import-coding", str(edited), "--data", str(data)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "Aligned 9 of 10 spans" in result.output
    assert "1 row of the file could not be placed in its transcript (row 3; the header is row 1)" in result.output
    result = runner.invoke(app, ["import-coding", str(edited), "--data", str(data), "--json"])
    assert json.loads(result.output)["unplaced_rows"] == [3]



def test_a_row_with_a_typo_is_placed_and_named(store, tmp_path):
    """A homophone typed for the character meant (患着 for 患者) left the row unplaced; it is placed where the
    transcript nearly says it, and the import names the row so the researcher can look."""
    data = Path(store.url.removeprefix("sqlite:///")).parent
    lines = (FIXTURES / "two_coders.csv").read_text("utf-8").splitlines()
    lines[2] = lines[2].replace("八十多个患者", "八十多个患着")
    typo = tmp_path / "typo.csv"
    typo.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import-coding", str(typo), "--data", str(data)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "Aligned 10 of 10 spans" in result.output and "could not be placed" not in result.output
    assert ("1 coded quote was placed where the transcript differs from it by a letter or two (row 3)"
            in " ".join(result.output.split()))
    stats = json.loads(runner.invoke(app, ["import-coding", str(typo), "--data", str(data), "--json"]).output)
    assert stats["nearly_placed"] == [3] and stats["unplaced_rows"] == []


def test_compare_without_manual_coding_says_what_to_do(store):
    data = Path(store.url.removeprefix("sqlite:///")).parent
    result = runner.invoke(app, ["compare", "--data", str(data)])
    assert result.exit_code == 2 and "import-coding" in result.output


@pytest.mark.parametrize("command, wrong", [("qdpx", "project.sqlite"), ("qdc", "book.qdpx")])
def test_a_refi_qda_export_refuses_another_ending(store, tmp_path, command, wrong):
    data = Path(store.url.removeprefix("sqlite:///")).parent
    result = runner.invoke(app, ["export", command, "-o", str(tmp_path / wrong), "--data", str(data)])
    assert result.exit_code == 2 and f"--output must end in .{command}, not '{wrong}'" in result.output
    assert not (tmp_path / wrong).exists()


def test_qdpx_export_validates_and_round_trips(store, tmp_path):
    data = Path(store.url.removeprefix("sqlite:///")).parent
    path = tmp_path / "qualflow.qdpx"
    assert runner.invoke(app, ["export", "qdpx", "-o", str(path), "--data", str(data)]).exit_code == 0
    with zipfile.ZipFile(path) as archive:
        project = archive.read("project.qde").decode("utf-8")
        sources = [archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("sources/")]
    xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd")).validate(project)
    assert 'name="qualflow"' in project and 'isCodable="false"' in project
    with store.session() as session:
        reals = [p.real for p in session.scalars(select(Pseudonym)) if len(p.real) >= 3]
        exported = {(r["document"], r["start"], r["end"], r["theme_id"]) for r in assignment_rows(session)}
    assert reals and not any(mentions(text, real) for text in sources + [project] for real in reals)

    stats = import_coding(store, path)
    assert stats["coders"] == ["qualflow"] and stats["well_aligned"] == stats["spans"] == len(exported)
    with store.session() as session:
        back = {(session.get(Transcript, c.transcript_id).source_name, c.start, c.end, c.code.name.split()[0])
                for c in codings_of(session, "qualflow.qdpx")}
    assert back == exported


def test_codebook_and_coding_tables(store, tmp_path):
    data = Path(store.url.removeprefix("sqlite:///")).parent
    files = {name: tmp_path / name for name in ("book.qdc", "codings.csv", "codings.xlsx", "codebook.xlsx",
                                                "taguette.csv")}
    for command in (["qdc", "-o", files["book.qdc"]], ["codings", "-o", files["codings.csv"]],
                    ["codings", "-o", files["codings.xlsx"]], ["codebook", "-o", files["codebook.xlsx"]],
                    ["codebook", "--taguette", "-o", files["taguette.csv"]]):
        result = runner.invoke(app, ["export", *map(str, command), "--data", str(data)])
        assert result.exit_code == 0, result.output
    xmlschema.XMLSchema(str(SCHEMAS / "Codebook.xsd")).validate(files["book.qdc"].read_text("utf-8"))
    with store.session() as session:
        expected = {(r["document"], r["start"], r["end"]) for r in assignment_rows(session)}
    for name in ("codings.csv", "codings.xlsx"):
        stats = import_coding(store, files[name])
        assert stats["well_aligned"] == stats["spans"] == len(expected)
        with store.session() as session:
            back = {(session.get(Transcript, c.transcript_id).source_name, c.start, c.end)
                    for c in codings_of(session, name)}
        assert back == expected
    # Read as Taguette's codebook import reads it: one of tag/name/path, then description, parent.
    rows = list(csv.reader(files["taguette.csv"].open(encoding="utf-8-sig")))
    header = [cell.lower() for cell in rows[0]]
    assert sum(column in header for column in ("tag", "name", "path")) == 1 and "description" in header
    seen = set()
    for row in rows[1:]:
        tag, parent = row[header.index("tag")], row[header.index("parent")]
        assert tag and (not parent or parent in seen)  # a parent comes before its children
        seen.add(tag)


def test_reviewer_memos_become_notes(store, tmp_path):
    from qualflow.models import records

    memo_record = getattr(records, "Memo", None)
    if memo_record is None:
        pytest.skip("this schema has no memo table")
    with store.session() as session:
        row = assignment_rows(session)[0]
        theme_id = session.scalar(select(records.Theme.id).where(records.Theme.code == row["theme_id"])
                                  .order_by(records.Theme.id.desc()))
        session.add(memo_record(theme_id=theme_id, reviewer="r", text="Check the families theme."))
        session.add(memo_record(statement_id=row["statement_id"], reviewer="r", text="A strong quote."))
    from qualflow.pipeline.coding.export_refi import qdpx_bytes

    with store.session() as session:
        payload = qdpx_bytes(session)
    project = zipfile.ZipFile(io.BytesIO(payload)).read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd")).validate(project)
    assert project.count("<Note ") == 2 and project.count("<NoteRef ") == 2
    assert "Check the families theme." in project


def test_qdpx_export_can_carry_the_human_coders_for_coder_comparison(store, tmp_path):
    import_coding(store, FIXTURES / "two_coders.csv")
    data = Path(store.url.removeprefix("sqlite:///")).parent
    path = tmp_path / "with_team.qdpx"
    result = runner.invoke(app, ["export", "qdpx", "--with-manual", "-o", str(path), "--data", str(data)])
    assert result.exit_code == 0, result.output
    project = zipfile.ZipFile(path).read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd")).validate(project)
    stats = import_coding(store, path)
    assert stats["coders"] == ["coder_a", "coder_b", "qualflow"]
    with store.session() as session:
        back = codings_of(session, "with_team.qdpx")
        human = {(c.coder, c.start, c.end, c.code.name) for c in back if c.coder != "qualflow"}
        original = {(c.coder, c.start, c.end, c.code.name) for c in codings_of(session, "two_coders.csv")}
    assert human == original and len(original) == 10


ZH_WORK = "我一个人管着八十多个患者，还要录系统、写报表，经常加班到晚上。"
ZH_FAMILY = "没有家属配合，很多复发的苗头我们根本看不到。"
EN_CASELOAD = "I have thirty-five people and at least six of them are in crisis at any one time."
EN_FAMILY = "Without the family we would miss most of the early warning signs."


def coding_csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "text", "code", "coder"])
        writer.writerows(rows)
    return path


def test_the_human_ceiling_matches_codes_by_name(store, tmp_path):
    from qualflow.models import Statement
    from qualflow.pipeline.coding.compare import compare_study
    from sklearn.metrics import cohen_kappa_score

    # Coder b puts each passage under the other code: by overlap a perfect renaming, by name
    # (one codebook) no agreement on either coded statement.
    import_coding(store, coding_csv(tmp_path / "swapped.csv", [
        (ZH, ZH_WORK, "工作负荷", "coder_a"), (ZH, ZH_FAMILY, "家属作用", "coder_a"),
        (ZH, ZH_WORK, "家属作用", "coder_b"), (ZH, ZH_FAMILY, "工作负荷", "coder_b")]))
    with store.session() as session:
        ceiling = compare_study(session)["human_ceiling"]
        statements = list(session.scalars(select(Statement).join(Transcript)  # the units: clustered statements
                                          .where(Transcript.source_name == ZH, Statement.significant.is_(True))
                                          .order_by(Statement.index)))
    a = ["工作负荷" if ZH_WORK in s.text else "家属作用" if ZH_FAMILY in s.text else "-" for s in statements]
    b = ["家属作用" if ZH_WORK in s.text else "工作负荷" if ZH_FAMILY in s.text else "-" for s in statements]
    assert ceiling["statements"] == len(statements) and ceiling["statements_coded"] == 2
    assert ceiling["kappa"] == pytest.approx(cohen_kappa_score(a, b), abs=1e-4) and ceiling["kappa"] < 0.5
    assert {row["code"]: row["matched_label"] for row in ceiling["per_code"]} == {"工作负荷": "工作负荷",
                                                                                 "家属作用": "家属作用"}
    assert ceiling["one_to_one"]["f1"] == 0.0


def test_each_comparison_is_over_the_transcripts_both_sides_coded(study, store, tmp_path):
    from qualflow.models import Statement
    from qualflow.pipeline.coding.compare import compare_study
    from sqlalchemy import func

    zh = [(ZH, ZH_WORK, "工作负荷", "coder_a"), (ZH, ZH_FAMILY, "家属作用", "coder_a"),
          (ZH, ZH_WORK, "工作负荷", "coder_b"), (ZH, ZH_FAMILY, "家属作用", "coder_b")]
    # Coder a also coded the English transcript, which coder b never opened.
    import_coding(store, coding_csv(tmp_path / "one_coder_only.csv", zh + [
        (EN, EN_CASELOAD, "工作负荷", "coder_a"), (EN, EN_FAMILY, "家属作用", "coder_a")]))
    only_zh = tmp_path / "zh_only"
    shutil.copytree(study, only_zh)
    zh_store = Store(default_database_url(only_zh))
    import_coding(zh_store, coding_csv(tmp_path / "both_zh_only.csv", zh))
    # One level for both stores and both coders: "auto" picks it over each coder's transcripts.
    with store.session() as session:
        result = compare_study(session, "subcategory")
        zh_statements = session.scalar(select(func.count(Statement.id)).join(Transcript)
                                       .where(Transcript.source_name == ZH, Statement.significant.is_(True)))
    with zh_store.session() as session:
        expected = compare_study(session, "subcategory")

    def figures(comparison: dict) -> dict:
        return {k: v for k, v in comparison.items() if k != "examples"}

    ceiling = result["human_ceiling"]
    assert ceiling["statements"] == zh_statements and ceiling["statements_coded"] == 2
    assert ceiling["kappa"] == ceiling["alpha"] == ceiling["one_to_one"]["f1"] == 1.0
    assert ceiling["transcripts"] == 1 and figures(ceiling) == figures(expected["human_ceiling"])
    by_coder = {c["reference"]: c for c in result["comparisons"]}
    assert by_coder["coder_b"]["statements"] == zh_statements and by_coder["coder_b"]["transcripts"] == 1
    zh_b = next(c for c in expected["comparisons"] if c["reference"] == "coder_b")
    assert figures(by_coder["coder_b"]) == figures(zh_b)
    assert by_coder["coder_a"]["transcripts"] == 2 and by_coder["coder_a"]["statements"] > zh_statements


def test_a_code_whose_name_starts_with_its_parents_keeps_its_parent(store, tmp_path):
    passage = "Without the family we would miss most of the early warning signs."
    path = tmp_path / "prefix.csv"
    path.write_text("document,text,code,parent\n"
                    f"{EN},{passage},Caregiver burden,Care\n"  # "Care…" but not Care's path
                    f"{EN},{passage},Care / Family,Care\n", "utf-8")  # written as a full path already
    assert import_coding(store, path)["aligned"] == 2
    with store.session() as session:
        codes = {c.path: c for c in session.scalars(select(ManualCode))}
        assert set(codes) == {"Care", "Care / Caregiver burden", "Care / Family"}
        assert codes["Care / Caregiver burden"].parent_id == codes["Care"].id == codes["Care / Family"].parent_id
        assert codes["Care / Caregiver burden"].name == "Caregiver burden"


def test_a_code_name_with_a_slash_stays_one_code_at_every_depth(store, tmp_path):
    en = original(EN)
    phrases = ["he hasn't left his room in four days", "Supervision with Dr Okafor every fortnight helps a lot.",
               "Without the family we would miss most of the early warning signs."]
    codes = [(guid(1), "Work", None), (guid(2), "Stress", guid(1)), (guid(3), "Work / life balance", None),
             (guid(4), "Cost /  benefit", None)]  # irregular spacing, as typed
    selections = [(guid(100 + i), en.index(p), en.index(p) + len(p), guid(2 + i), guid(901))
                  for i, p in enumerate(phrases)]
    path = tmp_path / "slash.qdpx"
    path.write_bytes(qdpx([{"guid": guid(10), "name": EN, "path": f"internal://{guid(10)}.txt",
                            "member": f"sources/{guid(10)}.txt", "bytes": en.encode("utf-8"),
                            "selections": selections}], codes, {guid(901): "anna"}))
    table = tmp_path / "slash.csv"
    table.write_text(f"document,text,code,coder\n{EN},{phrases[2]},Cost /  benefit,ben\n", "utf-8")
    data = Path(store.url.removeprefix("sqlite:///")).parent
    for file in (path, table):
        result = runner.invoke(app, ["import-coding", str(file), "--data", str(data)])
        assert result.exit_code == 0 and result.exception is None, result.output
    with store.session() as session:
        stored = {(c.name, c.path, c.parent_id is None) for c in session.scalars(select(ManualCode))}
    assert stored == {("Work", "Work", True), ("Stress", "Work / Stress", False),
                      ("Work / life balance", "Work ∕ life balance", True),
                      ("Cost /  benefit", "Cost ∕  benefit", True)}
    for depth, expected in ((None, {"Work / Stress", "Work ∕ life balance", "Cost ∕  benefit"}),
                            ("1", {"Work", "Work ∕ life balance", "Cost ∕  benefit"}),
                            ("2", {"Work / Stress", "Work ∕ life balance", "Cost ∕  benefit"})):
        options = ["--code-depth", depth] if depth else []
        result = runner.invoke(app, ["compare", "--json", "--data", str(data), *options])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert {row["code"] for c in report["comparisons"] for row in c["per_code"]} == expected


@pytest.mark.parametrize("cell,problem", [("Mary Smith told me she is suicidal", "is not a number"),
                                          ("inf", "is not a number"),
                                          ("99999999999999999999", "is out of range")])  # SQLite's limit
def test_a_table_error_names_the_row_and_column_never_the_cell(store, tmp_path, cell, problem):
    path = tmp_path / "shift.csv"
    path.write_text(f"document,start,end,code\n{EN},0,5,Risk\n{EN},{cell},5,Risk\n", "utf-8")
    data = Path(store.url.removeprefix("sqlite:///")).parent
    result = runner.invoke(app, ["import-coding", str(path), "--data", str(data)])
    assert result.exit_code == 2 and not isinstance(result.exception, (ValueError, OverflowError)), result.output
    message = " ".join(result.output.split())
    assert f"shift.csv: row 3, column 'start': the offset {problem}" in message
    assert cell not in message and "Mary" not in message and len(result.output.strip().splitlines()) <= 2


def test_imported_code_names_are_stored_deidentified(store, tmp_path):
    """An NVivo in-vivo code is named with the quote; codes and their descriptions name people."""
    en = original(EN)
    quote = "Margaret Thompson, my manager, goes through the waiting list"
    codes = [(guid(1), quote, None), (guid(2), "Support from Dr Okafor", None)]
    selections = [(guid(100), en.index(quote), en.index(quote) + len(quote), guid(1), guid(901)),
                  (guid(101), en.index("Dr Okafor"), en.index("Dr Okafor") + 9, guid(2), guid(901))]
    path = tmp_path / "invivo.qdpx"
    path.write_bytes(qdpx([{"guid": guid(10), "name": EN, "path": f"internal://{guid(10)}.txt",
                            "member": f"sources/{guid(10)}.txt", "bytes": en.encode("utf-8"),
                            "selections": selections}], codes, {guid(901): "anna"}))
    table = tmp_path / "team.csv"  # the same code from another coder, with a description
    table.write_text("document,text,code,coder,description\n"
                     f'{EN},"{quote}","{quote}",ben,"Margaret Thompson, call her on 07700 900123"\n', "utf-8")
    import_coding(store, path)
    import_coding(store, table)
    data = Path(store.url.removeprefix("sqlite:///")).parent
    report, exported = tmp_path / "compare.json", tmp_path / "team.qdpx"
    assert runner.invoke(app, ["compare", "--json-out", str(report), "--data", str(data)]).exit_code == 0
    assert runner.invoke(app, ["export", "qdpx", "--with-manual", "-o", str(exported),
                               "--data", str(data)]).exit_code == 0
    with store.session() as session:
        stored = list(session.scalars(select(ManualCode)))
        texts = [t for c in stored for t in (c.name, c.path, c.description or "")]
        placeholders = {p.real: p.placeholder for p in session.scalars(select(Pseudonym))}
    assert "margaret thompson" in placeholders and "okafor" in placeholders
    project = zipfile.ZipFile(exported).read("project.qde").decode("utf-8")
    for text in texts + [report.read_text("utf-8"), project]:
        assert not mentions(text, "Margaret Thompson") and not mentions(text, "Okafor")
        assert "07700 900123" not in text
    # The same name gets the same stored name in both imports, so the two coders' codes still match.
    paths = sorted(c.path for c in stored)
    assert len(set(paths)) == 2 and len(paths) == 3
    assert f"{placeholders['margaret thompson']}, my manager, goes through the waiting list" in paths
    assert any("[PHONE]" in (c.description or "") for c in stored)


def data_of(store) -> Path:
    return Path(store.url.removeprefix("sqlite:///")).parent


def test_a_corrected_export_replaces_the_earlier_import_only_with_replace(store, tmp_path):
    data = data_of(store)
    first, second = tmp_path / "first" / "coder_a.csv", tmp_path / "second" / "coder_a.csv"
    first.parent.mkdir(), second.parent.mkdir()
    coding_csv(first, [(ZH, ZH_WORK, "工作负荷", "coder_a"), (ZH, ZH_FAMILY, "工作负荷", "coder_a")])
    # The corrected export: the second passage recoded, one passage added.
    coding_csv(second, [(ZH, ZH_WORK, "工作负荷", "coder_a"), (ZH, ZH_FAMILY, "家属作用", "coder_a"),
                        (EN, EN_FAMILY, "家属作用", "coder_a")])
    assert runner.invoke(app, ["import-coding", str(first), "--data", str(data)]).exit_code == 0
    with store.session() as session:
        when = session.scalar(select(ManualCodingImport.imported_at)).strftime("%Y-%m-%d %H:%M")
    result = runner.invoke(app, ["import-coding", str(second), "--data", str(data)])
    assert result.exit_code == 0, result.output
    message = " ".join(result.output.split())
    assert f"coder_a.csv was also imported on {when} UTC" in message and "both are now counted" in message
    assert "--replace" in message
    assert (store.count(ManualCodingImport), store.count(ManualCoding)) == (2, 5)  # both kept: maybe two coders
    stats = import_coding(store, second)  # the same bytes again: that import replaced, the other still counted
    assert stats["same_name_imports"] == 1 and stats["same_name_import_dates"] == [f"{when} UTC"]
    result = runner.invoke(app, ["import-coding", str(second), "--replace", "--json", "--data", str(data)])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["replaced_previous_import"] and stats["same_name_imports"] == 0
    assert stats["replaced_same_name_imports"] == 1  # the first file; its own earlier import went by its bytes
    assert (store.count(ManualCodingImport), store.count(ManualCoding)) == (1, 3)
    with store.session() as session:
        assert {c.code.path for c in codings_of(session, "coder_a.csv")} == {"工作负荷", "家属作用"}
    assert not any(text in message for text in (ZH_WORK, ZH_FAMILY, EN_FAMILY))


def test_coding_imports_lists_and_removes_an_import(store, tmp_path):
    data = data_of(store)
    import_coding(store, FIXTURES / "two_coders.csv")
    import_coding(store, coding_csv(tmp_path / "extra.csv", [(ZH, ZH_WORK, "工作负荷", "coder_c")]))
    result = runner.invoke(app, ["coding-imports", "--json", "--data", str(data)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["file"], r["format"], r["coders"], r["spans"]) for r in rows] == [
        ("two_coders.csv", "csv", ["coder_a", "coder_b"], 10), ("extra.csv", "csv", ["coder_c"], 1)]
    table = runner.invoke(app, ["coding-imports", "--data", str(data)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "two_coders.csv" in table.output and rows[0]["imported_at"] in table.output
    assert ZH_WORK not in table.output
    result = runner.invoke(app, ["coding-imports", "--remove", str(rows[0]["id"]), "--data", str(data)])
    assert result.exit_code == 0 and "two_coders.csv" in result.output, result.output
    with store.session() as session:
        assert {c.coder for c in session.scalars(select(ManualCoding))} == {"coder_c"}
        assert {c.import_id for c in session.scalars(select(ManualCode))} == {rows[1]["id"]}
    assert store.count(ManualCodingImport) == 1
    result = runner.invoke(app, ["coding-imports", "--remove", str(rows[0]["id"]), "--data", str(data)])
    assert result.exit_code == 2 and "no coding import" in result.output


def test_files_naming_no_coder_warn_that_they_count_as_one_coder(store, tmp_path):
    data = data_of(store)
    files = {}
    for name, passage in (("anna.csv", ZH_WORK), ("ben.csv", ZH_FAMILY), ("cleo.csv", EN_FAMILY)):
        files[name] = tmp_path / name
        files[name].write_text(f"document,text,code\n{ZH if passage != EN_FAMILY else EN},{passage},Work\n", "utf-8")
    result = runner.invoke(app, ["import-coding", str(files["anna.csv"]), "--data", str(data)])
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    result = runner.invoke(app, ["import-coding", str(files["ben.csv"]), "--data", str(data)])
    message = " ".join(result.output.split())
    assert result.exit_code == 0 and "anna.csv" in message and 'one coder "coder"' in message, result.output
    assert "--coder NAME" in message and ZH_WORK not in message and ZH_FAMILY not in message
    result = runner.invoke(app, ["import-coding", str(files["cleo.csv"]), "--coder", "cleo", "--json",
                                 "--data", str(data)])
    assert result.exit_code == 0 and json.loads(result.stdout)["default_coder_shared_with"] == []
    # A file that names its coder merges with nobody by accident.
    assert import_coding(store, FIXTURES / "two_coders.csv")["default_coder_shared_with"] == []


def test_compare_summary_says_over_how_many_transcripts(store, tmp_path):
    data = data_of(store)
    import_coding(store, FIXTURES / "two_coders.csv")
    report = tmp_path / "figures.json"
    result = runner.invoke(app, ["compare", "--json-out", str(report), "--data", str(data)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text("utf-8"))
    for comparison in figures["comparisons"] + [figures["human_ceiling"]]:
        assert (f"{comparison['candidate']} vs {comparison['reference']} ({comparison['transcripts']} transcripts, "
                f"{comparison['statements']} statements,") in " ".join(result.output.split())


EN_P1 = "en_p1_nurse.txt"
P1_PASSAGES = ["I usually get to the base around eight", "My caseload is thirty-two right now",
               "One person in crisis can swallow a whole week.", "It depends a lot on the person."]


def test_auto_level_is_chosen_over_the_transcripts_each_comparison_scores(store, tmp_path):
    from qualflow.pipeline.coding.compare import choose_level, compare_study

    # Coder a: many codes on one transcript; coder b: two codes on another. Over both transcripts
    # (a's codes outnumber b's) the closest level is the finer one; over b's transcript alone,
    # with b's two codes, it is the coarser one.
    rows = [(EN_P1, P1_PASSAGES[i % 4], f"code {i}", "coder_a") for i in range(12)]
    rows += [(EN, EN_CASELOAD, "code 0", "coder_b"), (EN, EN_FAMILY, "code 1", "coder_b")]
    import_coding(store, coding_csv(tmp_path / "unequal.csv", rows))
    with store.session() as session:
        auto = compare_study(session)
        fixed = {at: {c["reference"]: c for c in compare_study(session, at)["comparisons"]}
                 for at in ("theme", "subcategory")}
    by_coder = {c["reference"]: c for c in auto["comparisons"]}
    assert by_coder["coder_a"]["level"] == "subcategory" and by_coder["coder_b"]["level"] == "theme"
    assert auto["level"] == by_coder["coder_a"]["level"]  # the first comparison's
    for name, comparison in by_coder.items():
        # The level is the one whose number of labels in this very comparison is closest to its codes.
        labels = {at: fixed[at][name]["labels"] for at in fixed}
        assert comparison["level"] == choose_level(labels, comparison["codes"])
        assert {k: v for k, v in comparison.items() if k != "level"} == {
            k: v for k, v in fixed[comparison["level"]][name].items() if k != "level"}



def test_the_summary_says_how_codes_are_compared_and_when_levels_differ(store, tmp_path):
    """The terminal summary showed "qualflow vs coder_a … at level subcategory" beside "… vs coder_b … at level
    theme" without a word, and never said codes were compared as coded (a researcher's audit)."""
    rows = [(EN_P1, P1_PASSAGES[i % 4], f"code {i}", "coder_a") for i in range(12)]
    rows += [(EN, EN_CASELOAD, "code 0", "coder_b"), (EN, EN_FAMILY, "code 1", "coder_b")]
    import_coding(store, coding_csv(tmp_path / "unequal.csv", rows))
    data = data_of(store)
    auto = " ".join(runner.invoke(app, ["compare", "--data", str(data)], env={"COLUMNS": "300"}).output.split())
    assert "Codes compared as coded (each passage's own code, its parents joined to it" in auto
    assert "note: qualflow's level differs between coders (subcategory, theme)" in auto
    fixed = " ".join(runner.invoke(app, ["compare", "--level", "theme", "--code-depth", "1", "--data", str(data)],
                                   env={"COLUMNS": "300"}).output.split())
    assert "Codes compared at depth 1." in fixed and "level differs" not in fixed


def test_choose_level_picks_the_closest_number_of_groups():
    from qualflow.pipeline.coding.compare import choose_level

    assert choose_level({"theme": 4, "subcategory": 7}, 2) == "theme"
    assert choose_level({"theme": 4, "subcategory": 13}, 12) == "subcategory"
    assert choose_level({"theme": 3, "subcategory": 3}, 2) == "subcategory"  # a tie: the finer level


# --- The units of agreement, what is left out, and who counts as a coder (audit 9) ---

EN_QUESTION = "What makes the work hard at the moment?"  # an interviewer turn: qualflow never labels it
UNITS_ROWS = [(EN, EN_QUESTION, "Caseload", "coder_a"), (EN, EN_CASELOAD, "Caseload", "coder_a"),
              (EN, EN_FAMILY, "Family", "coder_a"),
              (EN, EN_CASELOAD, "Caseload", "coder_b"), (EN, EN_FAMILY, "Family", "coder_b")]
STATEMENT_FIGURES = ("statements", "statements_coded", "one_to_one", "many_to_one", "kappa", "alpha", "clustering",
                     "uncoded_share")


def en_statements(session) -> list:
    from qualflow.models import Statement

    return list(session.scalars(select(Statement).join(Transcript).where(Transcript.source_name == EN)
                                .order_by(Statement.index)))


def test_the_units_are_the_statements_qualflow_clusters_on_both_rows(store, tmp_path):
    from qualflow.pipeline.coding.compare import compare_study

    import_coding(store, coding_csv(tmp_path / "with_question.csv", UNITS_ROWS))
    with store.session() as session:
        result = compare_study(session, "subcategory")
        statements = en_statements(session)
    clustered = [s for s in statements if s.significant]
    assert len(clustered) < len(statements)
    for figures in result["comparisons"] + [result["human_ceiling"]]:
        assert figures["statements"] == len(clustered)
        assert figures["statements_not_units"]["statements"] == len(statements) - len(clustered)
        assert figures["statements_not_units"]["by_reason"]["interviewer turn"] > 0
    ceiling = result["human_ceiling"]
    # The coders agree on every clustered statement; their one difference is on a question, which is no unit.
    assert ceiling["kappa"] == ceiling["alpha"] == ceiling["one_to_one"]["f1"] == 1.0
    assert ceiling["coded_statements_left_out"] == {"coder_a": {"statements": 1, "by_reason": {"interviewer turn": 1}},
                                                    "coder_b": {"statements": 0, "by_reason": {}}}
    by_coder = {c["reference"]: c for c in result["comparisons"]}
    assert {k: by_coder["coder_a"][k] for k in STATEMENT_FIGURES} == {k: by_coder["coder_b"][k]
                                                                      for k in STATEMENT_FIGURES}
    assert by_coder["coder_a"]["coded_statements_left_out"] == {
        "coder_a": {"statements": 1, "by_reason": {"interviewer turn": 1}}}


def compare_outputs(store, tmp_path, rows) -> tuple[str, dict, str]:
    """The CLI summary (unwrapped), the --json-out figures and the --html page."""
    data = data_of(store)
    import_coding(store, coding_csv(tmp_path / "coding.csv", rows))
    html, report = tmp_path / "agreement.html", tmp_path / "agreement.json"
    result = runner.invoke(app, ["compare", "--data", str(data), "--html", str(html), "--json-out", str(report)],
                           env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split()), json.loads(report.read_text("utf-8")), html.read_text("utf-8")


def test_compare_output_says_what_is_left_out_and_over_how_many_statements_ari_is(store, tmp_path):
    output, report, page = compare_outputs(store, tmp_path, UNITS_ROWS)
    assert report["units"].startswith("statements qualflow clusters") and "NVivo" in report["characters"]
    for figures in report["comparisons"] + [report["human_ceiling"]]:
        clustering = figures["clustering"]
        assert clustering["statements"] < figures["statements"]
        assert (f"NMI {clustering['nmi']:.3f} (over {clustering['statements']} statements with one label on "
                f"each side)") in output
        not_units = figures["statements_not_units"]["statements"]
        assert f"left out: {not_units} statements qualflow does not cluster (" in output
    assert "coder_a 1 (1 interviewer turn), coder_b 0." in output
    assert "whole text: char kappa" in output
    assert "statements in ARI/NMI/V-measure (one label on each side)" in page
    assert "coder_a had coded 1 (1 interviewer turn)" in page
    assert "kappa (characters of the whole text, NVivo; mean over codes)" in page


def test_the_human_ceiling_has_its_own_captions(store, tmp_path):
    output, report, page = compare_outputs(store, tmp_path, UNITS_ROWS)
    ceiling = report["human_ceiling"]
    line = output[output.index("human ceiling: coder_b vs coder_a ("):]
    line = line[:line.index("left out")]
    assert f"{ceiling['codes']} codes between them, matched by name)" in line and "labels at level" not in line
    table = page[page.index("<h2>Human ceiling"):]
    table = table[:table.index("</table>")]
    assert "statements the second coder coded" in table and "codes the second coder used" in table
    assert "qualflow" not in table.replace("statements qualflow does not cluster", "").replace(
        "those qualflow clusters", "")


def test_reimported_qualflow_exports_are_not_a_human_coder(store, tmp_path):
    from qualflow.pipeline.coding.compare import compare_study

    data = data_of(store)
    import_coding(store, FIXTURES / "two_coders.csv")
    team, codings = tmp_path / "with_team.qdpx", tmp_path / "codings.csv"
    for command in (["qdpx", "--with-manual", "-o", str(team)], ["codings", "-o", str(codings)]):
        assert runner.invoke(app, ["export", *command, "--data", str(data)]).exit_code == 0
    with store.session() as session:
        themed = len(assignment_rows(session))
    for path in (team, codings):  # they go back in (a round trip), with a warning
        result = runner.invoke(app, ["import-coding", str(path), "--data", str(data)], env={"COLUMNS": "400"})
        assert result.exit_code == 0, result.output
        assert f"{themed} codings are by qualflow's own user" in " ".join(result.output.split())
    # A QDA tool may show qualflow's user under another name: its GUID still says whose codings they are.
    renamed = tmp_path / "renamed.qdpx"
    with zipfile.ZipFile(team) as source, zipfile.ZipFile(renamed, "w") as target:
        for member in source.namelist():
            payload = source.read(member)
            if member == "project.qde":
                payload = re.sub(rb'(<User [^>]*)name="qualflow"', rb'\1name="Reviewer"', payload)
                assert b'name="Reviewer"' in payload
            target.writestr(member, payload)
    assert import_coding(store, renamed)["coders"] == ["coder_a", "coder_b", "qualflow"]
    result = runner.invoke(app, ["compare", "--data", str(data)], env={"COLUMNS": "400"})
    assert result.exit_code == 0 and "qualflow vs qualflow" not in result.output
    assert f"{3 * themed} imported codings by qualflow's own user" in " ".join(result.output.split())
    with store.session() as session:
        compared = compare_study(session)
    assert [c["reference"] for c in compared["comparisons"]] == ["coder_a", "coder_b"]
    assert (compared["human_ceiling"]["candidate"], compared["human_ceiling"]["reference"]) == ("coder_b", "coder_a")
    assert compared["qualflow_codings_ignored"] == 3 * themed


def test_compare_leaves_out_codings_stored_under_qualflows_name(store):
    from qualflow.pipeline.coding.compare import compare_study
    from sqlalchemy import update

    import_coding(store, FIXTURES / "two_coders.csv")
    with store.session() as session:  # as an import made before import-coding left qualflow's codings out
        session.execute(update(ManualCoding).where(ManualCoding.coder == "coder_b").values(coder="qualflow"))
    with store.session() as session:
        compared = compare_study(session)
    assert [c["reference"] for c in compared["comparisons"]] == ["coder_a"]
    assert compared["human_ceiling"] is None and compared["qualflow_codings_ignored"] == 5


def test_code_names_are_one_code_in_nfc_and_names_differing_in_case_are_warned(store, tmp_path):
    import unicodedata

    from qualflow.pipeline.coding.compare import compare_study

    nfc, nfd = unicodedata.normalize("NFC", "Émotion"), unicodedata.normalize("NFD", "Émotion")
    path = coding_csv(tmp_path / "variants.csv", [(EN, EN_CASELOAD, "Workload", "coder_a"), (EN, EN_FAMILY, nfc, "coder_a"),
                                                   (EN, EN_CASELOAD, "workload", "coder_b"), (EN, EN_FAMILY, nfd, "coder_b")])
    result = runner.invoke(app, ["import-coding", str(path), "--data", str(data_of(store))], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "differing only in case" in line]
    assert len(warnings) == 1 and "'Workload' / 'workload'" in warnings[0]
    with store.session() as session:
        assert set(session.scalars(select(ManualCode.path))) == {"Workload", "workload", nfc}
        ceiling = compare_study(session)["human_ceiling"]
    assert {row["code"]: row["kappa"] for row in ceiling["per_code"]}[nfc] == 1.0


def test_a_coding_table_without_a_code_column_says_the_code_column_is_missing(store, tmp_path):
    path = tmp_path / "nocode.csv"
    path.write_text(f"document,text,coder\n{EN},{EN_CASELOAD},coder_a\n", encoding="utf-8")
    result = runner.invoke(app, ["import-coding", str(path), "--data", str(data_of(store))], env={"COLUMNS": "400"})
    assert result.exit_code == 2 and "no code column found" in result.output and "text column" not in result.output


def test_a_coder_none_of_whose_spans_aligned_is_named_by_compare(store, tmp_path):
    output, report, _ = compare_outputs(store, tmp_path, [
        (EN, EN_CASELOAD, "Caseload", "coder_a"),
        (EN, "A sentence that nobody said in this interview, not even in part.", "Caseload", "Dave")])
    assert report["coders_not_compared"] == [{"coder": "Dave", "spans": 1}]
    assert "coder Dave: none of 1 coded spans was placed in a transcript" in output


def test_import_says_which_code_names_de_identification_changed(store, tmp_path):
    # A code named after a word the key map holds comes back renamed; the researcher must be told, since a
    # false alarm of the detector ("Data", "Plot" on technical talk) also renames their codes.
    quote = "Margaret Thompson, my manager, goes through the waiting list"
    table = tmp_path / "team.csv"
    table.write_text("document,text,code,coder\n"
                     f'{EN},"{quote}","Support from Margaret Thompson",ben\n'
                     f'{EN},"{quote}","Waiting list",ben\n', "utf-8")
    result = runner.invoke(app, ["import-coding", str(table), "--data", str(data_of(store))])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 code name was changed by de-identification" in said
    assert "'Support from [PERSON_" in said and "Margaret" not in said
    assert "deid-report" in said


def test_compare_with_only_qualflows_own_codings_says_so(store, tmp_path):
    """The only import is qualflow's own export: compare says that is why nothing is compared, instead of
    telling the user to import a coding file (they just did)."""
    data = data_of(store)
    codings = tmp_path / "codings.csv"
    assert runner.invoke(app, ["export", "codings", "-o", str(codings), "--data", str(data)]).exit_code == 0
    assert runner.invoke(app, ["import-coding", str(codings), "--data", str(data)]).exit_code == 0
    with store.session() as session:
        themed = len(assignment_rows(session))
    result = runner.invoke(app, ["compare", "--data", str(data)], env={"COLUMNS": "400"})
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and f"the {themed} imported codings are qualflow's own" in said, said
