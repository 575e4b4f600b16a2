"""The throughput benchmark's corpus generator and growth fit (benchmarks/_corpus.py): no flow run."""

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
from qualflow.pipeline.turns import parse_turns

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from _corpus import fit_exponent, generate_interview, write_corpus


def test_interviews_are_deterministic_and_all_different():
    interviews = [generate_interview(i, seed=0) for i in range(200)]
    assert interviews == [generate_interview(i, seed=0) for i in range(200)]
    hashes = {hashlib.sha256(text.encode("utf-8")).hexdigest() for _, text in interviews}
    assert len(hashes) == 200 and len({name for name, _ in interviews}) == 200
    assert generate_interview(0, seed=1) != interviews[0]


def test_interviews_parse_into_interviewer_and_participant_turns():
    for index in range(8):
        name, text = generate_interview(index)
        parsed = parse_turns(text)
        roles = [turn.role for turn in parsed.turns]
        assert 18 <= roles.count("participant") <= 22 and roles.count("interviewer") == roles.count("participant")
        assert {t.participant for t in parsed.turns if t.role == "participant"} == {f"P{index + 1}"}
        assert name.startswith("zh_" if index % 4 == 3 else "en_")


def test_corpus_of_n_is_a_prefix_of_a_larger_one(tmp_path):
    small = write_corpus(tmp_path / "a", 5)
    large = write_corpus(tmp_path / "b", 8)
    assert [p.read_text("utf-8") for p in small] == [p.read_text("utf-8") for p in large[:5]]
    extra = write_corpus(tmp_path / "a", 1, start=5)  # the incremental run's new interview
    assert extra[0].read_text("utf-8") == large[5].read_text("utf-8")


@pytest.mark.parametrize("exponent", [0.8, 1.0, 1.5])
def test_fit_recovers_a_known_exponent(exponent):
    sizes = [10, 50, 100, 500]
    k, c = fit_exponent(sizes, [3.0 * n**exponent for n in sizes])
    assert k == pytest.approx(exponent) and c == pytest.approx(3.0)
    noisy = [3.0 * n**exponent * f for n, f in zip(sizes, (1.05, 0.95, 1.03, 0.98))]
    assert fit_exponent(sizes, noisy)[0] == pytest.approx(exponent, abs=0.05)
    assert np.isnan(fit_exponent([10], [1.0])[0])
