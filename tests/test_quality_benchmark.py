"""The quality benchmark's own helpers (benchmarks/quality.py, benchmarks/_eval_data.py) on tiny
synthetic data: no BERTopic, no encoder, no evaluation data."""

import csv
import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def _load_quality():
    spec = importlib.util.spec_from_file_location("bench_quality", ROOT / "benchmarks" / "quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


quality = _load_quality()
import _eval_data as eval_data  # the same modules quality.py imports, via sys.path
import _report as report


def _write_units(folder: Path, rows: list[tuple[str, ...]]) -> Path:
    """Rows of (text, codes) or (text, codes, speaker); the speaker is P1 unless given."""
    folder.mkdir(parents=True)
    path = folder / "units.csv"
    # With a BOM, as some upstream exports have: the loader must still find the "unit_id" column.
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit_id", "document", "speaker", "text", "codes", "codes_fine", "coder"])
        for i, (text, codes, *speaker) in enumerate(rows):
            writer.writerow([f"u{i}", "doc", speaker[0] if speaker else "P1", text, codes, codes, "x"])
    return path


SERDIF_ROWS = [
    ("The export was simple.", "Simple export"),
    ("Where is the button?", "Navigation complex"),
    ("Both at once.", "Simple export;Search"),  # its second code is in no single-code unit
    ("Try the other tab.", "Moderator assist", "MODERATOR"),
    ("Try it, and it was confusing.", "Moderator assist;Navigation complex", "Moderator"),  # interviewer, not multi-code
    ("No code here.", ""),
    ("  ", "Simple export"),
    ("Same code twice.", "Simple export; Simple export"),  # one distinct code
]


def test_loader_clusters_every_unit_with_text_and_scores_those_with_one_code(tmp_path):
    data = eval_data.read_units(_write_units(tmp_path / "serdif_taguette_usability", SERDIF_ROWS))
    assert data.name == "serdif_taguette_usability"
    assert data.texts == ["The export was simple.", "Where is the button?", "Both at once.", "No code here.",
                          "Same code twice."]
    assert data.codes == ["Simple export", "Navigation complex", "", "", "Simple export"]
    assert data.scored.tolist() == [True, True, False, False, True] and data.n_scored == 3
    assert (data.n_rows, data.n_multi_code, data.n_interviewer, data.n_uncoded) == (8, 1, 2, 2)
    assert data.n_codes == 3  # "Search" is only on a multi-code unit, and still one of the study's codes
    assert data.code_ids.tolist() == [1, 0, 1]  # scored units only, sorted code names
    assert data.positions == [1, 2, 3, 6, 8]
    assert data.language == "en"


def test_loader_can_cluster_the_single_code_units_alone(tmp_path):
    data = eval_data.read_units(_write_units(tmp_path / "serdif_taguette_usability", SERDIF_ROWS), cluster="scored")
    assert data.texts == ["The export was simple.", "Where is the button?", "Same code twice."]
    assert data.scored.all() and data.n_codes == 2 and data.code_ids.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="cluster"):
        eval_data.read_units(tmp_path / "serdif_taguette_usability" / "units.csv", cluster="some")


def test_only_the_scored_units_are_scored_but_every_unit_is_clustered():
    vectors = np.repeat(np.eye(3, 8), 4, axis=0) + np.random.default_rng(0).normal(scale=0.01, size=(12, 8))
    scored = np.array([True, True, False, False] * 3)
    true = np.repeat([0, 1, 2], 2)  # the scored units' codes, in order
    kmeans = quality.run_kmeans(vectors, true, 3, seeds=2, scored=scored)
    assert kmeans.ari == pytest.approx(1.0) and kmeans.n_groups == 3
    wrong = np.repeat([0, 1, 2], 2)[::-1].copy()
    wrong[:2] = [2, 1]  # the scored units of one group now disagree
    assert quality.run_kmeans(vectors, wrong, 3, seeds=2, scored=scored).ari < 1.0


def test_interviewer_units_are_dropped_by_speaker_in_every_data_set_never_by_name_or_code(tmp_path):
    rows = [("Try the other tab.", "Moderator assist"), ("我很焦虑。", "Emotion"), ("你最近怎么样？", "Emotion", "访谈者"),
            ("How was it?", "Emotion", "Interviewer")]
    for folder in ("other", "serdif_taguette_usability"):  # the data set's name changes nothing
        data = eval_data.read_units(_write_units(tmp_path / folder, rows))
        assert data.codes == ["Moderator assist", "Emotion"] and data.n_interviewer == 2


def test_language_detection():
    assert eval_data.detect_language(["最近工作压力很大，总感觉做不好。", "I feel ok"]) == "zh"
    assert eval_data.detect_language(["I used the 数据 tab to export the whole table"]) == "en"


def test_find_datasets_lists_folders_with_units_and_rejects_unknown_names(tmp_path):
    _write_units(tmp_path / "b", [("x", "c")])
    _write_units(tmp_path / "a", [("x", "c")])
    (tmp_path / "no_units").mkdir()
    assert [p.parent.name for p in eval_data.find_datasets(tmp_path)] == ["a", "b"]
    assert [p.parent.name for p in eval_data.find_datasets(tmp_path, ["b"])] == ["b"]
    with pytest.raises(SystemExit, match="no_units"):
        eval_data.find_datasets(tmp_path, ["no_units"])


def test_embedding_cache_encodes_once_and_is_keyed_by_the_texts(tmp_path):
    calls = []

    class FakeEncoder:
        def embed(self, texts):
            calls.append(list(texts))
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    data = eval_data.Dataset("d", "en", ["a", "bb", "ccc"], ["x", "y", "x"], 3, 0, 0, 0)
    first, _, cached = eval_data.cached_embeddings(data, "fake", tmp_path, FakeEncoder, batch_size=2)
    assert not cached and first[:, 0].tolist() == [1, 2, 3] and len(calls) == 2  # two batches
    again, _, cached = eval_data.cached_embeddings(data, "fake", tmp_path, FakeEncoder)
    assert cached and np.array_equal(first, again) and len(calls) == 2
    data.texts[0] = "changed"
    _, _, cached = eval_data.cached_embeddings(data, "fake", tmp_path, FakeEncoder)
    assert not cached


def test_scores_ignore_label_names_and_treat_outliers_as_one_group():
    true = np.array([0, 0, 1, 1, 2, 2])
    assert quality.score(true, np.array([5, 5, 9, 9, 7, 7])) == pytest.approx({"ari": 1.0, "ami": 1.0, "nmi": 1.0})
    # Outliers (-1) spread over two codes form one wrong group, so they cost.
    outliers = quality.score(true, np.array([0, 0, 1, 1, -1, -1]))
    assert outliers["ari"] == pytest.approx(1.0)  # -1 is a label like any other here
    mixed = quality.score(true, np.array([0, -1, 1, -1, 2, -1]))
    assert mixed["ari"] < 0.5
    assert quality.n_groups(np.array([-1, -1, 0, 3, 3])) == 2


def test_level_choice_and_fallback_without_themes():
    fine = np.repeat(np.arange(12), 3)
    coarse = fine // 4  # 3 groups
    two_levels = quality.qualflow_levels(SimpleNamespace(themes_=coarse, assigned_=fine))
    assert list(two_levels) == ["themes_", "assigned_"]
    assert quality.choose_level(two_levels, 4) == "themes_"
    assert quality.choose_level(two_levels, 10) == "assigned_"
    assert quality.choose_level(two_levels, 7) == "themes_"  # |3-7| = 4 beats |12-7| = 5
    one_level = quality.qualflow_levels(SimpleNamespace(assigned_=fine))
    assert list(one_level) == ["assigned_"] and quality.choose_level(one_level, 3) == "assigned_"


def test_level_choice_prefers_the_coarser_level_on_a_tie():
    levels = {"themes_": np.repeat(np.arange(4), 2), "assigned_": np.arange(8)}  # 4 and 8 groups
    assert quality.choose_level(levels, 6) == "themes_"


def test_unshuffle_maps_a_shuffled_run_back_to_the_original_order():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, size=30)
    permutation = rng.permutation(30)
    back = quality.unshuffle(labels[permutation], permutation)
    assert np.array_equal(back, labels)


def _run(name, q, b, k, n_codes=6, weak=0.05, groups=6, shuffle=1.0):
    data = eval_data.Dataset(name, "en", ["t"] * n_codes, [str(i) for i in range(n_codes)], n_codes, 0, 0, 0)
    qualflow = report.Scores("qualflow", q, q, q, groups, weak, 1.0, extra={"shuffle_ari": shuffle, "level": "themes_"})
    return report.DatasetRun(data, qualflow, report.Scores("BERTopic default", b, b, b, 3, 0.2, 1.0),
                              report.Scores("k-means", k, k, k, n_codes, 0.0, 1.0))


def test_targets_pass_when_clearly_ahead():
    lines = report.check_targets([_run("a", 0.30, 0.10, 0.20), _run("b", 0.40, 0.20, 0.30)])
    assert all(passed for passed, _ in lines), lines
    assert len(lines) == 11


def test_targets_fail_for_the_right_reasons():
    runs = [
        _run("a", 0.30, 0.10, 0.20),
        _run("b", 0.19, 0.20, 0.10, weak=0.15, groups=1),  # below BERTopic, too many weak fits, too few groups
        _run("c", 0.33, 0.30, 0.10, shuffle=0.98),  # ahead, but by less than 0.05; order-dependent
    ]
    failed = {text.split(" (")[0] for passed, text in report.check_targets(runs) if not passed}
    assert "ARI >= BERTopic-default's on every dataset" in failed
    assert "AMI >= BERTopic-default's + 0.05 on more than half of the datasets" in failed  # 1 of 3
    assert "mean ARI >= 1.5 x BERTopic-default's mean" in failed  # 0.273 < 0.3
    assert "mean AMI >= k-means reference's mean" not in failed  # 0.273 >= 0.133
    assert "unassigned = weak-fit share <= 10% on every dataset" in failed
    assert "number of groups at the compared level between 1/3 and 3 x the number of codes on every dataset" in failed
    assert "ARI 1.0 between a run and a run on the same units shuffled, on every dataset" in failed


def test_group_count_bounds_are_inclusive():
    # 6 codes: 2 and 18 groups are allowed, 1 and 19 are not.
    for groups, expected in ((2, True), (18, True), (1, False), (19, False)):
        lines = report.check_targets([_run("a", .5, .1, .1, groups=groups)])
        assert [p for p, t in lines if "number of groups" in t] == [expected], groups


def test_markdown_table_has_one_row_per_method_and_dataset():
    table = report.markdown_table([_run("a", 0.3, 0.1, 0.2), _run("b", 0.4, 0.2, 0.3)])
    rows = table.splitlines()
    assert len(rows) == 2 + 6
    assert all(row.startswith("|") and row.count("|") == 10 for row in rows)


def test_half_of_the_datasets_is_not_most_of_them():
    results = report.check_targets([_run("a", 0.30, 0.10, 0.1), _run("b", 0.21, 0.20, 0.1)])
    lines = {text.split(" (")[0]: passed for passed, text in results}
    assert lines["ARI >= BERTopic-default's + 0.05 on more than half of the datasets"] is False  # 1 of 2
    assert lines["ARI >= BERTopic-default's on every dataset"] is True


def test_fragile_means_names_the_dataset_that_carries_a_mean():
    carried = [_run("tiny", 0.75, 0.0, 0.6), _run("b", 0.10, 0.09, 0.12), _run("c", 0.10, 0.09, 0.12)]
    notes = report.fragile_means(carried)
    assert "mean ARI >= 1.5 x BERTopic-default's mean fails without tiny" in notes
    assert "mean ARI >= k-means's mean fails without tiny" in notes
    assert report.fragile_means([_run("a", 0.30, 0.10, 0.2), _run("b", 0.40, 0.20, 0.3)]) == []


def test_difference_intervals_show_what_the_data_can_tell_apart():
    rng = np.random.default_rng(0)
    true = np.repeat(np.arange(4), 30)
    perfect, noise = true.copy(), rng.integers(0, 4, len(true))
    same = report.difference_intervals(true, [noise], [noise], resamples=50)
    assert all(value == lo == hi == 0 for value, lo, hi in same.values())
    better = report.difference_intervals(true, [perfect], [noise, rng.integers(0, 4, len(true))], resamples=50)
    for value, lo, hi in better.values():
        assert value > 0.5 and 0 < lo <= hi


def test_qualflow_seed_spread_scores_one_run_per_umap_seed():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 3
    vectors = np.vstack([c + rng.normal(size=(20, 16)) * 0.3 for c in centres])
    true = np.repeat(np.arange(3), 20)
    # Without UMAP nothing depends on the seed: every run is the same, and it finds the groups.
    spread = quality.qualflow_seed_spread(vectors, true, 3, seeds=3, reducer="none")
    assert {key: len(values) for key, values in spread.items()} == {"ari": 3, "ami": 3, "weak": 3}
    assert spread["ari"] == pytest.approx([1.0, 1.0, 1.0]) and spread["weak"] == [0.0, 0.0, 0.0]
    line = quality.seed_spread_line({"ari": [0.1, 0.3], "ami": [0.2, 0.4], "weak": [0.0, 0.1]})
    assert "over 2 UMAP seeds: ARI 0.200 [0.100, 0.300], AMI 0.300 [0.200, 0.400], weak fit 5.0% (max 10.0%)" in line
    assert quality.parse_args([]).qualflow_seeds == 1  # off unless asked for


def test_failing_means_names_the_dataset_without_which_a_mean_would_pass():
    held_back = [_run("tiny", 0.20, 0.60, 0.1), _run("b", 0.30, 0.10, 0.12), _run("c", 0.30, 0.10, 0.12)]
    assert report.failing_means(held_back) == [
        "mean ARI >= 1.5 x BERTopic-default's mean would pass without tiny",
        "mean AMI >= 1.5 x BERTopic-default's mean would pass without tiny"]
    assert report.failing_means([_run("a", 0.30, 0.10, 0.2), _run("b", 0.40, 0.20, 0.3)]) == []  # passing
    everywhere_behind = [_run("a", 0.10, 0.30, 0.1), _run("b", 0.10, 0.30, 0.1)]
    assert report.failing_means(everywhere_behind) == []  # no one data set holds it back


def test_pair_rows_score_each_code_of_a_unit_against_the_units_group():
    unit_codes = [["a"], ["a", "b"], ["b"], []]  # the uncoded unit gives no row
    true, predicted = report.pair_rows(unit_codes, np.array([7, 7, 9, -1]))
    assert true.tolist() == [0, 0, 1, 1]
    assert predicted.tolist() == [7, 7, 7, 9]


def test_pair_scores_are_perfect_only_when_no_unit_has_two_codes():
    single = [["a"], ["a"], ["b"], ["b"]]
    assert report.pair_scores(single, [np.array([0, 0, 1, 1])]) == {"ari": 1.0, "ami": 1.0}
    multi = single + [["a", "b"]]
    best = report.pair_scores(multi, [np.array([0, 0, 1, 1, 0])])
    assert 0 < best["ari"] < 1 and 0 < best["ami"] < 1
    # Two seeds: the mean of their scores.
    swapped = report.pair_scores(single, [np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])])
    assert swapped["ari"] == pytest.approx((1.0 + report.pair_scores(single, [np.array([0, 1, 0, 1])])["ari"]) / 2)


def test_loader_keeps_every_code_of_each_clustered_unit(tmp_path):
    path = _write_units(tmp_path / "set", [("one", "x"), ("two", "y;x;y"), ("none", ""), ("", "x")])
    data = eval_data.read_units(path)
    assert data.texts == ["one", "two", "none"]
    assert data.unit_codes == [["x"], ["x", "y"], []]
    assert eval_data.read_units(path, cluster="scored").unit_codes == [["x"]]
