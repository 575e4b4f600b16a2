"""Audit 11 (§7): the saturation figure. First appearances put saturation after interview 1 or 2 almost by
construction (themes are found on all interviews together), so the report adds Guest, Namey & Chen's (2020)
new-information figure (base 4 interviews, runs of 2, at most 5% new subcategories), says its rule, and
cautions when the first-appearance point says little. Studies stored as records (test_publish_study), so
which interview brings which subcategory is known; the real flow is in test_publish_end_to_end."""

from __future__ import annotations

import json

import pytest
from qualflow.flows.cli import app
from qualflow.models import Store, default_database_url
from qualflow.pipeline.figures import saturation_figure
from qualflow.pipeline.saturation import new_information, saturation, saturation_sentence
from test_publish_study import SPEC, build_study, png_size
from typer.testing import CliRunner

# Interview -> the codes its statements are placed in. P1 touches every theme, as broad themes found on all
# interviews together do; P6 brings the one subcategory no base interview had.
PLACEMENTS = {"P1": ["T1.1", "T2.1", "T3"], "P2": ["T1.2"], "P3": ["T1.1"], "P4": ["T2.2"],
              "P5": ["T1.1"], "P6": ["T1.3"], "P7": ["T2.1"], "P8": ["T1.1"]}


def spec_of(placements: dict[str, list[str]]) -> dict:
    themes = [{"code": "T1", "label": "Workload"}, {"code": "T1.1", "parent": "T1", "label": "Paperwork"},
              {"code": "T1.2", "parent": "T1", "label": "Calls"}, {"code": "T1.3", "parent": "T1", "label": "Cover"},
              {"code": "T2", "label": "Families"}, {"code": "T2.1", "parent": "T2", "label": "Burden"},
              {"code": "T2.2", "parent": "T2", "label": "Stigma"}, {"code": "T3", "label": "Safety"}]
    interviews = [{"file": f"{participant.lower()}_interview.txt", "participant": participant,
                   "date": f"2026-02-{number:02d}", "language": "en",
                   "statements": [{"text": f"{participant} says something about {code}.", "theme": code,
                                   "similarity": 0.8} for code in codes]}
                  for number, (participant, codes) in enumerate(placements.items(), start=1)]
    return {"encoder": SPEC["encoder"], "themes": themes, "interviews": interviews}


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    build_study(default_database_url(folder), spec_of(PLACEMENTS))
    return folder


def test_new_information_saturation_follows_guest_namey_and_chen(data):
    with Store(default_database_url(data)).session() as session:
        result = saturation(session)
    assert result["themes_saturation"] == {"after_interview": 1, "confirmed_by": 7, "reached": True}
    figure = result["new_information"]
    assert (figure["base_size"], figure["run_length"], figure["threshold"]) == (4, 2, 0.05)
    assert figure["base_codes"] == 5  # T1.1, T1.2, T2.1, T2.2 and T3, a theme without subcategories
    assert figure["runs"] == [{"interviews": [5, 6], "new_codes": ["T1.3"], "share": 0.2},
                              {"interviews": [6, 7], "new_codes": ["T1.3"], "share": 0.2},
                              {"interviews": [7, 8], "new_codes": [], "share": 0.0}]
    assert (figure["after_interview"], figure["confirmed_by"], figure["reached"]) == (6, 2, True)
    assert (figure["codes_by_then"], figure["codes_in_all"]) == (6, 6)
    sentence = saturation_sentence(result)
    assert sentence.startswith("No new theme appeared after interview 1 of 8; 7 later interviews confirmed it. "
                               "Caution: this says little, as the themes were found on all interviews together.")
    assert ("base 4 interviews, runs of 2, at most 5% new subcategories relative to the base; a theme without "
            "subcategories counts as one): reached at 6 of 8 interviews; interviews 7–8 brought no new subcategory "
            "(0% of the base's 5); 6 of all 6 had appeared by then (100%).") in sentence


def test_new_information_is_not_reached_while_every_run_brings_more():
    at_the_base = new_information([{"A"}, {"B"}, {"A"}, {"B"}, {"A"}, {"B"}])
    assert at_the_base["runs"] == [{"interviews": [5, 6], "new_codes": [], "share": 0.0}]
    assert at_the_base["after_interview"] == 4 and at_the_base["reached"]
    late = new_information([{"A"}, {"B"}, {"A"}, {"B"}, {"C"}, {"A"}, {"D"}, {"E"}])
    assert [run["new_codes"] for run in late["runs"]] == [["C"], ["D"], ["D", "E"]]
    assert not late["reached"] and late["after_interview"] is None and late["codes_in_all"] == 5
    # Runs of nothing new come early when new codes are sparse: the share of all codes seen by then says so.
    sparse = new_information([{"A"}, {"B"}, {"A"}, {"B"}, {"A"}, {"B"}, {"C"}, {"D"}])
    assert (sparse["after_interview"], sparse["codes_by_then"], sparse["codes_in_all"]) == (4, 2, 4)


def test_a_study_too_small_for_the_figure_says_so_without_a_caution(tmp_path):
    # The publish fixture: 5 interviews, first-appearance point at interview 3.
    with build_study(f"sqlite:///{tmp_path / 'study.sqlite'}").session() as session:
        result = saturation(session)
    sentence = saturation_sentence(result)
    assert sentence.startswith("No new theme appeared after interview 3 of 5; 2 later interviews confirmed it.")
    assert "Caution" not in sentence and "needs at least 6 interviews, not 5." in sentence
    assert result["new_information"]["reached"] is False and result["new_information"]["runs"] == []


def test_the_command_keeps_its_options_and_prints_the_rule(data, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["saturation", "--data", str(data)], env={"COLUMNS": "400"})
    output = " ".join(result.output.split())
    assert result.exit_code == 0 and "Guest, Namey & Chen 2020" in output and "Caution" in output
    order = tmp_path / "order.txt"
    order.write_text("\n".join(["P6", "P1", "P2", "P4", "P3", "P5", "P7", "P8"]) + "\n", encoding="utf-8")
    plot = tmp_path / "curve.png"
    result = runner.invoke(app, ["saturation", "--data", str(data), "--order", str(order), "--json",
                                 "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    figure = json.loads(result.output)["new_information"]
    # P6 in the base: the runs after it bring nothing new, so saturation at the base itself.
    assert figure["base_codes"] == 6 and figure["after_interview"] == 4 and figure["runs"][0]["share"] == 0.0
    assert png_size(plot.read_bytes())[0] >= 600
    result = runner.invoke(app, ["saturation", "--data", str(data), "--confirmed-only", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["new_information"]["base_codes"] == 0


def test_the_curve_marks_the_new_information_point(data):
    with Store(default_database_url(data)).session() as session:
        result = saturation(session)
    without = dict(result, new_information=dict(result["new_information"], reached=False))
    assert saturation_figure(result) != saturation_figure(without)
