"""People named in file names leave the study replaced (audit F10), and language codes and other
file-name words are never taken for people (audit F14: "P51_zh.txt" made "zh" a person everywhere)."""

import json

import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Store, default_database_url
from qualflow.pipeline.deid.pseudonym import NameRedactor
from qualflow.pipeline.persist import load_key_map
from qualflow.pipeline.redact import people_in_file_name

BODY = ("Interviewer: How is work?\n\n"
        "{p}: The caseload is unmanageable and sickness is high on nights, so I stay late most days.\n\n"
        "Interviewer: What helps?\n\n"
        "{p}: Supervision with the team helps, and so do my colleagues on the ward.\n")


@pytest.fixture(scope="module")
def find_in_words(jieba_cache):
    from qualflow.pipeline.deid.detector import Deidentifier
    from qualflow.pipeline.language import detect_language

    detector = Deidentifier(cache_dir=jieba_cache)
    return lambda words: detector.find(words, detect_language(words))


@pytest.mark.parametrize(("name", "people"), [
    ("P37_O'Connor_Siobhan.txt", ["O'Connor Siobhan"]),  # surname first: the model finds nothing
    ("interview with Hope Ng.txt", ["Hope Ng"]),  # the model calls it an organisation
    ("P12_Nowak_Tomasz_final.docx", ["Nowak Tomasz"]),
    ("王医生访谈记录.txt", ["王"]),  # the title rule's surname, as in the text
    ("Mary Smith interview.txt", ["Mary Smith"]),
    ("P3_Sarah_Young_zh.txt", ["Sarah Young"]),  # a surname that is a file-name word stays in the name
])
def test_people_in_file_names_are_found(find_in_words, name, people):
    assert people_in_file_name(name, find_in_words) == people


@pytest.mark.parametrize("name", [
    "P51_zh.txt", "P52_EN.txt", "P53_zh-CN_final_v2.docx", "Interview Transcript Final.docx", "访谈记录.txt",
    "Night Shift Notes.txt", "St Albans Focus Group.txt", "Burnout Study Data.txt", "P8_GMT20211129.odt",
])
def test_language_codes_and_file_name_words_are_no_people(find_in_words, name):
    assert people_in_file_name(name, find_in_words) == []


def test_a_chinese_surname_with_its_title_is_replaced_in_file_names_only_there():
    name = NameRedactor({("PERSON", "王"): "[PERSON_4]"})
    assert name("王医生访谈记录.txt") == "[PERSON_4]医生访谈记录.txt"
    assert name("小王访谈.txt") == "小[PERSON_4]访谈.txt"
    assert name("王府井社区访谈.txt") == "王府井社区访谈.txt"  # a surname inside a word is none


def test_a_run_exports_file_names_without_their_people_and_no_language_code_as_a_person(tmp_path):
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = {"P37_O'Connor_Siobhan.txt": "P37", "interview with Hope Ng.txt": "P35",
             "王医生访谈记录.txt": "P36", "P51_zh.txt": "P51"}
    for file_name, code in files.items():
        (inbox / file_name).write_text(f"# participant: {code}\n\n" + BODY.format(p=code), "utf-8")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == len(files)
    result = CliRunner().invoke(app, ["export", "assignments", "--format", "json", "--data", str(data),
                                      "-o", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    documents = {row["document"] for row in json.loads((tmp_path / "a.json").read_text("utf-8"))}
    for leak in ("Connor", "Siobhan", "Hope", "Ng.txt", "王"):
        assert not any(leak in document for document in documents), (leak, documents)
    assert any(d.startswith("P37_[PERSON_") for d in documents), documents
    assert any(d.startswith("[PERSON_") and d.endswith("]医生访谈记录.txt") for d in documents), documents
    assert "P51_zh.txt" in documents, documents
    with Store(default_database_url(data)).session() as session:
        reals = {real for _, real in load_key_map(session)}
    assert "zh" not in reals, reals
