"""Theme keywords and labels are never made of identifiers (privacy audit F1, the amplifier).

c-TF-IDF favours words frequent in one theme and rare elsewhere, which is what de-identification
missed: a handle said once became the label on every exported row of its theme. So a keyword is never
shaped like an identifier (@, ://, www., e-mail, domain, username), and never a word that only one
participant used when the theme's statements come from two or more (statements stand in for unknown
participants). A theme all from one participant keeps its keywords.

Statements cut by the study's own segmenter (spaCy), described as a run describes them."""

from __future__ import annotations

import numpy as np
import pytest
from qualflow.pipeline.describe import NO_KEYWORDS_LABEL, describe_themes

NIGHTS = [
    "Nights on the ward are long and the rota never changes.",
    "The rota puts me on nights again, and nights wreck my sleep.",
    "Nobody fixes the rota, so nights keep coming round.",
    "I asked about the rota twice, still nights every week.",
]
PAPERWORK = [
    "The paperwork after each visit takes an hour.",
    "Forms and more paperwork, every single visit.",
    "Paperwork eats the time I should spend with patients.",
    "Half my day is paperwork and forms now.",
]


def tokens_of(segmenter, texts: list[str]) -> list[list[str]]:
    return [[t.text for t in segmenter.english(text) if not t.is_space] for text in texts]


def describe(segmenter, themes: list[list[str]], participants: list) -> list:
    tokens = [t for texts in themes for t in tokens_of(segmenter, texts)]
    assigned = np.array([k for k, texts in enumerate(themes) for _ in texts])
    return describe_themes(assigned, np.zeros(len(tokens), dtype=bool), np.ones(len(tokens)), tokens, participants)


@pytest.mark.parametrize("token", ["@johnsmith_rn", "https://www.linkedin.com/in/johnsmith-rn", "www.janedoe.co.uk",
                                   "janedoe.blogspot.com/about", "jane.doe@gmail.com", "wxm_1985", "lihua2020",
                                   "nhs.uk"])
def test_identifier_shaped_tokens(token):
    from qualflow.pipeline.describe import identifier_shaped

    assert identifier_shaped(token)


@pytest.mark.parametrize("token", ["rota", "nights", "covid-19", "24/7", "c++", "e.g.", "notes.docx", "家属", "a&e"])
def test_words_are_not_identifier_shaped(token):
    from qualflow.pipeline.describe import identifier_shaped

    assert not identifier_shaped(token)


def test_a_handle_or_url_left_in_clear_is_never_a_keyword_even_from_one_participant(segmenter):
    # A miss repeated by the one participant of a theme: the shape alone keeps it out.
    said = [f"{line} Follow me @johnsmith_rn or https://www.linkedin.com/in/johnsmith-rn or wx wxm_1985."
            for line in NIGHTS]
    nights, _ = describe(segmenter, [said, PAPERWORK], ["P1"] * 4 + ["P2"] * 4)
    shown = " ".join(nights.keywords + [nights.label])
    for trace in ("johnsmith", "linkedin", "wxm_1985", "@", "://"):
        assert trace not in shown, trace
    assert "rota" in nights.keywords and "nights" in nights.keywords


def test_a_word_only_one_participant_used_is_no_keyword_of_a_theme_from_several(segmenter):
    # P1 names a colleague the de-identification missed, in every statement: c-TF-IDF's favourite.
    said = [f"{line} Quigley said so." for line in NIGHTS[:2]] + NIGHTS[2:]
    nights, paperwork = describe(segmenter, [said, PAPERWORK], ["P1", "P1", "P2", "P3"] + ["P2", "P3", "P2", "P3"])
    assert "quigley" not in [k.lower() for k in nights.keywords] and "Quigley" not in nights.label
    assert nights.label.split(" · ")[:2] == ["rota", "nights"] or {"rota", "nights"} <= set(nights.keywords)
    assert "paperwork" in paperwork.keywords


def test_a_theme_all_from_one_participant_keeps_its_keywords(segmenter):
    said = [f"{line} Quigley said so." for line in NIGHTS]
    nights, _ = describe(segmenter, [said, PAPERWORK], ["P1"] * 4 + ["P2", "P3", "P2", "P3"])
    assert nights.label != NO_KEYWORDS_LABEL and len(nights.keywords) >= 3
    assert "quigley" in [k.lower() for k in nights.keywords]  # one person's theme: every word is that person's


def test_a_small_theme_sharing_no_word_gets_words_others_use_never_one_persons(segmenter):
    # Two participants, no word in common: the label is filled with words two people or more use elsewhere.
    small = ["Quigley changed the rota.", "Nights are endless."]
    other = ["The rota and nights again.", "Nights, rota, paperwork.", "Paperwork and the rota."]
    first, _ = describe(segmenter, [small, other], ["P1", "P2", "P3", "P4", "P3"])
    assert first.label != NO_KEYWORDS_LABEL and first.keywords
    assert set(first.keywords) <= {"rota", "nights"}  # not quigley, changed or endless: one person's words


def test_without_participants_a_word_from_one_statement_is_no_keyword(segmenter):
    # A units file with no participant column: each statement stands for its own source.
    said = [NIGHTS[0] + " Quigley, Quigley, Quigley."] + NIGHTS[1:]
    nights, paperwork = describe(segmenter, [said, PAPERWORK], [None] * 8)
    assert "Quigley" not in nights.keywords and "quigley" not in nights.keywords
    assert {"rota", "nights"} <= set(nights.keywords) and "paperwork" in paperwork.keywords


# --- end to end: a name de-identification missed, through the real flow and export ----------------------------

MISSED = """# participant: P9

Interviewer: How is the workload on your ward?

P9: Quigley runs the rota and Quigley never gives anyone a break from nights.

Interviewer: And the paperwork?

P9: Quigley wants every form done before handover, so I stay late filling in records for Quigley.

Interviewer: How do the home visits go?

P9: Half my visits get cut short because Quigley rings me to come back and cover the ward.

Interviewer: And support from management?

P9: Quigley tells us to be resilient, but Quigley has never done a night shift with us.
"""


@pytest.mark.slow
def test_a_missed_name_becomes_no_theme_label_in_a_real_run_and_export(tmp_path):
    """`deidentify.keep` stands in for a miss of the models: "Quigley" stays in P9's statements, as a
    missed name would. Before, it labelled a theme and every exported row of it."""
    import csv
    import io
    import json
    import shutil
    from pathlib import Path

    from qualflow.flows.batch import code_interviews
    from qualflow.flows.cli import app
    from typer.testing import CliRunner

    root = Path(__file__).resolve().parent.parent
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "zh_p5_社区医生.txt", "zh_p6_精防专干.txt"):
        shutil.copy(root / "examples" / name, inbox / name)
    (inbox / "p9_ward.txt").write_text(MISSED, encoding="utf-8")
    config = tmp_path / "study.yaml"
    config.write_text((root / "configs" / "small-study.yaml").read_text("utf-8") + "\ndeidentify:\n  keep: [Quigley]\n",
                      encoding="utf-8")
    data = tmp_path / "data"
    summary = code_interviews(str(inbox), str(data), str(config))
    assert summary.transcripts_added == 5 and not summary.failed

    def cli(*arguments: str) -> str:
        result = CliRunner().invoke(app, [*arguments, "--data", str(data)])
        assert result.exit_code == 0, result.output
        return result.output

    rows = list(csv.DictReader(io.StringIO(cli("export", "assignments", "--format", "csv"))))
    assert any("Quigley" in " ".join(row.values()) for row in rows)  # the miss is there, in P9's statements
    themes = [t for theme in json.loads(cli("themes", "--json")) for t in [theme, *theme["subcategories"]]]
    shown = json.dumps([[t["label"], t["keywords"]] for t in themes] + [row["theme_label"] for row in rows])
    assert "quigley" not in shown.lower()
    assert not [t["label"] for t in themes if not t["keywords"]]  # every theme still has keywords
