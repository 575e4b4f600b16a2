"""The agreement figures on small labellings whose answers follow from their construction."""

import numpy as np
import pytest
from qualflow.pipeline.coding.agreement import Labelling, compare
from sklearn.metrics import adjusted_rand_score, cohen_kappa_score

LENGTH = 10  # each statement is 10 characters of transcript 1, one after the other


def labelling(name: str, labels: list[str | None]) -> Labelling:
    units = [{label} if label else set() for label in labels]
    spans: dict[str, list] = {}
    for i, label in enumerate(labels):
        if label:
            spans.setdefault(label, []).append((1, i * LENGTH, (i + 1) * LENGTH))
    return Labelling(name, units, spans)


HUMAN = ["care", "care", "care", "load", "load", "load", "family", "family", None, None]


def figures(candidate_labels, reference_labels=HUMAN) -> dict:
    lengths = {1: LENGTH * len(reference_labels)}
    return compare(labelling("human", reference_labels), labelling("qualflow", candidate_labels), lengths)


def test_the_same_grouping_under_other_names_agrees_fully():
    renamed = {"care": "T1", "load": "T2", "family": "T3", None: None}
    result = figures([renamed[label] for label in HUMAN])
    assert result["one_to_one"]["f1"] == 1.0 and result["many_to_one"]["f1"] == 1.0
    assert result["kappa"] == 1.0 and result["alpha"] == 1.0
    assert result["char_kappa_mean"] == 1.0 and result["clustering"]["ari"] == 1.0
    assert result["coverage"] == 1.0 and result["uncoded_share"] == 0.0
    assert {row["code"]: row["matched_label"] for row in result["per_code"]} == {"care": "T1", "load": "T2",
                                                                                "family": "T3"}


def test_a_code_split_over_two_themes_is_penalised_one_to_one_but_not_many_to_one():
    split = ["T1", "T1", "T4", "T2", "T2", "T2", "T3", "T3", None, None]
    result = figures(split)
    rows = {row["code"]: row for row in result["per_code"]}
    assert rows["care"]["matched_label"] == "T1" and rows["care"]["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["one_to_one"]["f1"] < 1.0
    assert rows["care"]["many_to_one"]["labels"] == ["T1", "T4"] and rows["care"]["many_to_one"]["f1"] == 1.0
    assert result["many_to_one"]["f1"] == 1.0


def test_a_theme_that_merges_two_codes_leaves_one_of_them_unmatched():
    merged = ["T1", "T1", "T1", "T1", "T1", "T1", "T2", "T2", None, None]
    rows = {row["code"]: row for row in figures(merged)["per_code"]}
    assert rows["family"]["f1"] == 1.0
    assert min(rows[c]["f1"] for c in ("care", "load")) == 0.0


def test_statement_kappa_and_ari_are_the_library_values():
    candidate = ["T1", "T1", "T2", "T2", "T2", "T3", "T3", "T3", "T1", None]
    result = figures(candidate)
    matched = {row["matched_label"]: row["code"] for row in result["per_code"] if row["matched_label"]}
    rows = {row["code"]: row for row in result["per_code"]}
    for code, row in rows.items():
        label = row["matched_label"]
        expected = cohen_kappa_score([h == code for h in HUMAN], [c == label for c in candidate])
        assert row["kappa"] == pytest.approx(expected, abs=1e-4)
    both = [i for i in range(len(HUMAN)) if HUMAN[i] and candidate[i]]
    assert result["clustering"]["ari"] == pytest.approx(
        adjusted_rand_score([HUMAN[i] for i in both], [candidate[i] for i in both]), abs=1e-4)
    assert result["clustering"]["statements"] == len(both)
    # Statement 8 is labelled by qualflow and coded by nobody; statement 9 by neither.
    assert result["uncoded_share"] == pytest.approx(1 / 9, abs=1e-4)
    assert set(matched) <= {"T1", "T2", "T3"}


def test_character_level_follows_nvivo():
    candidate = ["T1", "T1", None, "T2", "T2", "T2", None, None, None, None]
    result = figures(candidate)
    care = next(row for row in result["per_code"] if row["code"] == "care")
    human = np.repeat([h == "care" for h in HUMAN], LENGTH)
    ours = np.repeat([c == care["matched_label"] for c in candidate], LENGTH)
    assert care["char_agreement"] == pytest.approx((human == ours).mean(), abs=1e-4)
    assert care["char_kappa"] == pytest.approx(cohen_kappa_score(human, ours), abs=1e-4)
    family = next(row for row in result["per_code"] if row["code"] == "family")
    assert family["matched_label"] is None and family["coverage"] == 0.0
    # Coded characters inside any qualflow label: statements 0, 1, 3, 4, 5 of the 8 coded ones.
    assert result["coverage"] == pytest.approx(5 / 8, abs=1e-4)


def test_nobody_coding_anything_counts_as_agreement_like_nvivo():
    result = figures([None] * 4, reference_labels=[None, None, None, "x"])
    row = result["per_code"][0]
    assert row["matched_label"] is None and row["char_kappa"] == 0.0
    assert figures(["a", "a"], ["b", "b"])["per_code"][0]["char_kappa"] == 1.0


def multi(name: str, labels: list[list[str]]) -> Labelling:
    return Labelling(name, [set(unit) for unit in labels])


def test_two_coders_are_matched_by_code_name_not_by_overlap():
    # Coder b systematically swaps the codes: by overlap that is a perfect renaming, by name
    # (the coders share a codebook) it is total disagreement.
    a = labelling("a", ["A", "A", "A", "B", "B", "B"])
    b = labelling("b", ["B", "B", "B", "A", "A", "A"])
    result = compare(a, b, {1: 60}, same_codebook=True)
    expected = cohen_kappa_score(["A"] * 3 + ["B"] * 3, ["B"] * 3 + ["A"] * 3)
    assert expected == pytest.approx(-1.0)
    assert result["kappa"] == pytest.approx(expected, abs=1e-4)
    # Krippendorff's nominal alpha by hand: D_o = 1; D_e = 2*6*6 / (12*11); alpha = 1 - D_o/D_e.
    assert result["alpha"] == pytest.approx(1 - 1 / (72 / 132), abs=1e-4)
    assert {row["code"]: row["matched_label"] for row in result["per_code"]} == {"A": "A", "B": "B"}
    assert result["one_to_one"]["f1"] == 0.0 and result["char_kappa_mean"] == pytest.approx(-1.0, abs=1e-4)


def test_codes_only_one_coder_used_never_agree():
    a = labelling("a", ["A", "A", "B", "B"])
    b = labelling("b", ["A", "A", "C", "C"])
    result = compare(a, b, {}, same_codebook=True)
    assert result["kappa"] == pytest.approx(cohen_kappa_score(["A", "A", "B", "B"], ["A", "A", "C", "C"]), abs=1e-4)
    rows = {row["code"]: row for row in result["per_code"]}
    assert set(rows) == {"A", "B", "C"} and rows["A"]["f1"] == 1.0
    assert rows["B"]["matched_label"] is None and rows["B"]["f1"] == 0.0
    assert rows["C"]["statements"] == 0 and rows["C"]["precision"] == 0.0


def test_overall_kappa_is_the_same_either_way_round_and_under_any_code_names():
    a = multi("a", [["A"], ["B"], ["A"], ["B"]])
    b = multi("b", [["A", "B"], ["A", "B"], ["A"], ["B"]])
    # Statements 0 and 1 share a code with the other side, so both sides take it: all agree.
    expected = cohen_kappa_score(["A", "B", "A", "B"], ["A", "B", "A", "B"])
    forward, backward = compare(a, b, {}), compare(b, a, {})  # qualflow against a coder: matched by overlap
    assert forward["kappa"] == backward["kappa"] == pytest.approx(expected)
    assert forward["alpha"] == backward["alpha"] == 1.0
    named, named_back = compare(a, b, {}, same_codebook=True), compare(b, a, {}, same_codebook=True)
    assert named["kappa"] == named_back["kappa"] == forward["kappa"]
    assert named["alpha"] == named_back["alpha"] == 1.0
    renamed = compare(multi("a", [["Z"], ["B"], ["Z"], ["B"]]), multi("b", [["Z", "B"], ["Z", "B"], ["Z"], ["B"]]),
                      {})
    assert renamed["kappa"] == forward["kappa"] and renamed["alpha"] == forward["alpha"]


def test_overall_kappa_without_a_shared_code_uses_one_rule_for_both_sides():
    # Statement 3 shares no code: each side takes its code used most by the two coders together
    # (C, 5 times, over B, 3 times, on a's side; A, 4 times, over D, once, on b's side).
    a = multi("a", [["A"], ["C"], ["C"], ["B", "C"], [], ["B"]])
    b = multi("b", [["A"], ["C"], ["C"], ["A", "D"], ["A"], ["B"]])
    ref = ["A", "C", "C", "C", "(none)", "B"]
    cand = ["A", "C", "C", "A", "A", "B"]
    forward, backward = compare(a, b, {}, same_codebook=True), compare(b, a, {}, same_codebook=True)
    assert forward["kappa"] == backward["kappa"] == pytest.approx(cohen_kappa_score(ref, cand), abs=1e-4)
    assert forward["alpha"] == backward["alpha"]


def test_a_code_on_no_compared_statement_stays_out_of_the_mean_f1():
    # "aside" was coded on text that is no unit (an interviewer turn): it keeps its row, for its
    # character figures, but has no statement-level F1 to pull the mean down with.
    reference = labelling("human", HUMAN)
    reference.spans["aside"] = [(1, 95, 100)]
    renamed = {"care": "T1", "load": "T2", "family": "T3", None: None}
    result = compare(reference, labelling("qualflow", [renamed[label] for label in HUMAN]), {1: LENGTH * len(HUMAN)})
    assert "aside" in [row["code"] for row in result["per_code"]]
    assert result["one_to_one"]["macro_f1"] == 1.0
