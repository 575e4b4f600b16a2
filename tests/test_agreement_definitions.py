"""The definitions behind `qualflow compare`'s figures, checked on a real study (statistics audit).

One flow run over the English example interviews, a real SQLite store, coding tables imported
with `qualflow import-coding` and `qualflow compare --json-out --html`. Each figure is recomputed
here with scikit-learn from the stored statements, `export assignments` and the coding rows
written by the test, not from qualflow's own agreement code.
"""

import csv
import json
import math
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from qualflow.flows.batch import code_interviews
from qualflow.flows.cli import app
from qualflow.models import Statement, Store, Transcript, Turn, default_database_url
from qualflow.pipeline.coding.export_refi import HIDDEN_STATUSES
from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer
from sqlalchemy import select
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement_definitions")
    inbox = root / "inbox"
    inbox.mkdir()
    for name in ("en_p1_nurse.txt", "en_p2_social_worker.txt", "en_p3_new_graduate.txt"):
        shutil.copy(ROOT / "examples" / name, inbox / name)
    summary = code_interviews(str(inbox), str(root / "data"))
    assert summary.transcripts_added == 3 and not summary.failed
    return root / "data"


@pytest.fixture
def data(study, tmp_path) -> Path:
    """A private copy of the study, so each test's imports start from none."""
    copy = tmp_path / "data"
    shutil.copytree(study, copy)
    return copy


def statements(data: Path) -> list[tuple[Statement, str, str]]:
    """Every stored statement with its document and its turn's role, in transcript order."""
    store = Store(default_database_url(data))
    with store.session() as session:
        rows = session.execute(select(Statement, Transcript.source_name, Turn.role)
                               .join(Transcript, Transcript.id == Statement.transcript_id)
                               .join(Turn, Turn.id == Statement.turn_id)
                               .order_by(Statement.transcript_id, Statement.index)).all()
        session.expunge_all()
    store.dispose()
    return [tuple(row) for row in rows]


def subcategory_of(data: Path, tmp_path: Path) -> dict[int, str]:
    """statement id -> its qualflow subcategory id, read from `qualflow export assignments`."""
    out = tmp_path / "assignments.csv"
    result = runner.invoke(app, ["export", "assignments", "--data", str(data), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return {int(row["statement_id"]): row["theme_id"]
            for row in csv.DictReader(out.open(encoding="utf-8-sig"))
            if row["theme_id"] and row["status"] not in HIDDEN_STATUSES}


def import_rows(data: Path, tmp_path: Path, rows: list[tuple[Statement, str, str, str]], name="coding.csv"):
    """Each row codes one whole stored statement: (statement, document, code, coder)."""
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "start", "end", "text", "code", "coder"])
        for statement, document, code, coder in rows:
            writer.writerow([document, statement.start, statement.end, statement.text, code, coder])
    result = runner.invoke(app, ["import-coding", str(path), "--data", str(data)])
    assert result.exit_code == 0, result.output


def run_compare(data: Path, tmp_path: Path, *options: str) -> tuple[dict, str, str]:
    report, page = tmp_path / "compare.json", tmp_path / "compare.html"
    result = runner.invoke(app, ["compare", "--data", str(data), "--json-out", str(report), "--html", str(page),
                                 *options], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text("utf-8")), page.read_text("utf-8"), result.output


def theme_id(label: str) -> str:
    return label.split(" ")[0]  # compare names a label "T3 words · of · it"


def quiet_kappa(a, b) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohen_kappa_score(a, b)


def micro_and_macro(truth: list[set[str]], said: list[set[str]]) -> tuple[tuple, float]:
    """scikit-learn's micro P/R/F1 and macro F1 over every label either side used."""
    binarizer = MultiLabelBinarizer().fit(truth + said)
    y_true, y_pred = binarizer.transform(truth), binarizer.transform(said)
    micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)[:3]
    return micro, f1_score(y_true, y_pred, average="macro", zero_division=0)


def test_precision_counts_every_statement_qualflow_labelled(data, tmp_path):
    units = [(s, doc) for s, doc, _ in statements(data) if s.significant]
    themes = subcategory_of(data, tmp_path)
    by_theme: dict[str, list] = {}
    for statement, document in units:
        if statement.id in themes:  # a statement qualflow left unplaced is in no label
            by_theme.setdefault(themes[statement.id], []).append((statement, document))
    ordered = sorted(by_theme, key=lambda t: -len(by_theme[t]))
    assert len(ordered) >= 4  # two codes against four or more labels: some labels must stay unmatched
    # "Care" is all of the largest theme plus one statement of the third; "Load" half of the second.
    first, second, third = (by_theme[t] for t in ordered[:3])
    coded = ([(s, d, "Care", "a") for s, d in first] + [(third[0][0], third[0][1], "Care", "a")]
             + [(s, d, "Load", "a") for s, d in second[: len(second) // 2]])
    import_rows(data, tmp_path, coded)
    result, page, _ = run_compare(data, tmp_path, "--level", "subcategory")
    figures = result["comparisons"][0]

    truth = [set() for _ in units]
    position = {statement.id: i for i, (statement, _) in enumerate(units)}
    for statement, _, code, _ in coded:
        truth[position[statement.id]].add(code)
    # qualflow's labels renamed to the code each was matched to; a label matched to none keeps
    # its own name, so every statement qualflow labelled is a prediction.
    matched = {theme_id(r["matched_label"]): r["code"] for r in figures["per_code"] if r["matched_label"]}
    said = [{matched.get(themes[s.id], themes[s.id])} if s.id in themes else set() for s, _ in units]
    (precision, recall, f1), macro = micro_and_macro(truth, said)
    one = figures["one_to_one"]
    assert (one["precision"], one["recall"], one["f1"]) == pytest.approx((precision, recall, f1), abs=1e-4)
    assert one["macro_f1"] == pytest.approx(macro, abs=1e-4)
    unmatched = {theme_id(u["label"]): u["statements"] for u in one["unmatched_labels"]}
    assert unmatched == {t: len(by_theme[t]) for t in by_theme if t not in matched}
    assert all(theme_id(u["label"]) in page for u in one["unmatched_labels"])  # named under the per-code table

    best = {theme_id(label): r["code"] for r in figures["per_code"] for label in r["many_to_one"]["labels"]}
    said = [{best.get(themes[s.id], themes[s.id])} if s.id in themes else set() for s, _ in units]
    (precision, recall, f1), _ = micro_and_macro(truth, said)
    many = figures["many_to_one"]
    assert (many["precision"], many["recall"], many["f1"]) == pytest.approx((precision, recall, f1), abs=1e-4)
    assert many["f1"] >= one["f1"]  # over the same statements, merging labels can only help


def test_a_code_on_no_compared_statement_has_no_kappa_and_is_in_no_count_or_mean(data, tmp_path):
    rows = statements(data)
    units = [(s, doc) for s, doc, _ in rows if s.significant]
    question = next((s, doc) for s, doc, role in rows if role == "interviewer" and not s.significant)
    # Both coders code the same eight statements, disagreeing on two; coder a also codes one
    # interviewer turn "Aside", which is on no compared statement.
    coded = []
    for i, (s, d) in enumerate(units[:8]):
        code = "Care" if i < 4 else "Load"
        coded += [(s, d, code, "a"), (s, d, {0: "Load", 6: "Care"}.get(i, code), "b")]
    coded.append((*question, "Aside", "a"))
    assert question[0].transcript_id == units[7][0].transcript_id  # in a transcript both coders coded
    import_rows(data, tmp_path, coded)
    result, page, output = run_compare(data, tmp_path)

    nowhere = np.zeros(len(units), dtype=bool)
    assert math.isnan(quiet_kappa(nowhere, nowhere))  # 0/0: undefined, not agreement
    against_a = next(c for c in result["comparisons"] if c["reference"] == "a")
    for figures in (against_a, result["human_ceiling"]):
        rows_by_code = {r["code"]: r for r in figures["per_code"]}
        aside = rows_by_code["Aside"]
        assert aside["statements"] == 0 and aside["kappa"] is None and aside["alpha"] is None
        assert aside["f1"] is None and aside["char_kappa"] is not None  # its row keeps the character figures
        assert figures["codes"] == 2 and figures["codes_on_no_statement"] == ["Aside"]
        on_units = [rows_by_code[c]["char_kappa"] for c in ("Care", "Load")]
        assert figures["char_kappa_mean"] == pytest.approx(np.mean(on_units), abs=1e-4)
    ceiling = result["human_ceiling"]
    assert f"{ceiling['statements']} statements, 2 codes between them" in output
    assert "Codes only on statements left out (own row in the JSON/HTML, in no mean): Aside." in output
    aside_row = re.search(r"<tr><td>Aside</td>(.*?)</tr>", page).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", aside_row)
    assert cells[6] == "–" and cells[7] == "–"  # kappa and alpha columns


def test_overall_kappa_is_undefined_when_both_coders_give_every_statement_one_code(data, tmp_path):
    units = [(s, doc) for s, doc, _ in statements(data) if s.significant]
    first = [(s, d) for s, d in units if s.transcript_id == units[0][0].transcript_id]
    import_rows(data, tmp_path, [(s, d, "X", coder) for s, d in first for coder in ("c", "d")])
    result, page, output = run_compare(data, tmp_path)
    ceiling = result["human_ceiling"]
    assert ceiling["statements"] == len(first) and ceiling["statements_coded"] == len(first)
    assert math.isnan(quiet_kappa(["X"] * len(first), ["X"] * len(first)))
    assert ceiling["kappa"] is None and ceiling["alpha"] is None
    assert ceiling["per_code"][0]["kappa"] is None  # "X" on every statement on both sides: 0/0 too
    assert re.search(r"human ceiling: .*kappa –, alpha –", output)
    assert re.search(r"<th>Cohen&#x27;s kappa \(statements, one label each\)</th><td class=n>–</td>", page)
    # The character figures keep NVivo's convention, where it applies: the coded characters are the
    # same on both sides, and the uncoded interviewer turns make kappa defined (and 1).
    assert ceiling["per_code"][0]["char_kappa"] == 1.0


def test_overall_kappa_takes_the_shared_code_and_counts_the_statements_it_sets_aside(data, tmp_path):
    units = [(s, doc) for s, doc, _ in statements(data) if s.significant][:12]
    codes = ["Care"] * 4 + ["Load"] * 4 + ["Family"] * 4
    coded = [(s, d, code, coder) for (s, d), code in zip(units, codes, strict=True) for coder in "ab"]
    coded += [(s, d, "Extra", "a") for s, d in units[:3]]  # a code only coder a added, beside a shared one
    coded += [(units[9][0], units[9][1], "Load", "b")]  # b adds a second code where a has one
    import_rows(data, tmp_path, coded)
    ceiling = run_compare(data, tmp_path)[0]["human_ceiling"]
    # Kappa takes one label per statement: where the coders share a code, that shared code, so
    # the unshared extra codes on statements 0-2 and 9 are not seen by kappa; F1 counts them.
    n = ceiling["statements"]
    one_label = ["(none)"] * n
    for i, code in enumerate(codes):
        one_label[i] = code
    assert ceiling["kappa"] == pytest.approx(cohen_kappa_score(one_label, one_label), abs=1e-4) == 1.0
    assert ceiling["kappa_unshared_codes_set_aside"] == 4
    rows = {r["code"]: r for r in ceiling["per_code"]}
    assert rows["Extra"]["f1"] == 0.0 and rows["Extra"]["kappa"] == pytest.approx(0.0, abs=1e-4)
    assert ceiling["one_to_one"]["f1"] < 1.0
