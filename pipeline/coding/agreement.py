"""Agreement between two codings of the same transcripts, in the terms qualitative research uses.

Both sides are `Labelling`s over the same units (statements): qualflow's themes against a
human's codes, or one human coder against another (the human ceiling). The figures:

- precision/recall/F1 per code after the best one-to-one matching of candidate labels to
  reference codes (Hungarian, scipy's linear_sum_assignment on F1), and the many-to-one
  view (each candidate label goes to the code it overlaps most; several may share a code).
  Precision counts every label the candidate gave: a statement in a label matched to no code
  (or, many-to-one, in a label that overlaps no coded statement) is a false positive, so
  precision and recall are over the same statements and many-to-one F1 >= one-to-one F1.
  This is scikit-learn's micro/macro F1 over the labels with the candidate's renamed to the
  codes they were matched to (an unmatched label keeps a name of its own and scores 0).
  Two human coders share a codebook (`same_codebook=True`): a code is matched only to the
  code of the same name, never by overlap, and a code only one of them used never agrees;
- Cohen's kappa and Krippendorff's alpha on statements (per code: in the matched label or
  not; overall: one label per statement, chosen the same way on both sides, see
  `statement_labels`). Where both sides give every statement one and the same value, kappa
  is 0/0 and alpha undefined: both are None (shown "–"), as scikit-learn gives NaN;
- the same on characters as NVivo's coding comparison computes them (per code, every
  character of the source coded or not). There NVivo reports kappa 1 where the two sides
  agree on every character with one value (neither coded any of it), and so do we
  (`nvivo_kappa`); it is NVivo's convention for its character figures only;
- ARI, NMI, V-measure on statements with exactly one label on each side (their own number of
  statements, `clustering.statements`, usually far fewer than the comparison's);
- coverage: the share of reference-coded characters inside any candidate label, and the
  share of candidate-labelled statements the reference left uncoded.

All library formulas (scikit-learn, scipy, krippendorff); nothing here is hand-derived.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

import krippendorff
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import (
    adjusted_rand_score,
    cohen_kappa_score,
    homogeneity_completeness_v_measure,
    normalized_mutual_info_score,
)

NONE = "(none)"


@dataclass
class Labelling:
    name: str
    units: list[set[str]]  # one set of labels per unit (statement), same order on both sides
    # label -> [(transcript id, start, end)] in stored-text characters
    spans: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return sorted({label for unit in self.units for label in unit} | set(self.spans))


def _round(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _one_value(a: np.ndarray, b: np.ndarray) -> bool:
    both = np.concatenate([a, b])
    return bool(both.all() or not both.any()) if both.dtype == bool else len(set(both.tolist())) <= 1


def kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cohen's kappa; None when it is undefined: both sides gave every unit the same single value
    (chance agreement is 1, so kappa is 0/0; scikit-learn gives NaN). Say so rather than 1."""
    if _one_value(a, b):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(cohen_kappa_score(a, b))


def nvivo_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Character kappa as NVivo's coding comparison reports it: 1 where Cohen's kappa is 0/0
    because both sides agree on every character with one value (typically neither coded any of
    a source). NVivo's convention, kept for the character figures that follow NVivo only."""
    value = kappa(a, b)
    return 1.0 if value is None else value


def alpha(a: np.ndarray, b: np.ndarray) -> float | None:
    """Nominal Krippendorff's alpha of two coders; None when it is undefined (one value only)."""
    if a.dtype == bool and b.dtype == bool:  # characters and per-code units: already two values
        both = np.concatenate([a, b])
        if both.all() or not both.any():
            return None
        data = np.vstack([a, b]).astype(float)
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    values = {v: i for i, v in enumerate(sorted(set(a.tolist()) | set(b.tolist()), key=str))}
    if len(values) <= 1:
        return None
    data = np.array([[values[v] for v in a.tolist()], [values[v] for v in b.tolist()]], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _prf(tp: int, predicted: int, actual: int) -> dict:
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


# A code on no compared statement has no statement-level precision, recall or F1 (0/0): "–".
_NO_PRF = {"precision": None, "recall": None, "f1": None}


def _char_masks(spans: list[tuple[int, int, int]], lengths: dict[int, int], offsets: dict[int, int], total: int):
    mask = np.zeros(total, dtype=bool)
    for transcript_id, start, end in spans:
        if transcript_id in offsets:
            base = offsets[transcript_id]
            mask[base + max(0, start) : base + min(end, lengths[transcript_id])] = True
    return mask


def statement_labels(reference: list[set[str]], candidate: list[set[str]]) -> tuple[list[str], list[str]]:
    """One label per statement on each side, for the overall kappa and alpha.

    Both sides are in the same terms (candidate labels already turned into the codes they
    were matched to). On a statement where the two sets share a code, both sides take that
    shared code: a multi-coded statement agrees when a code is among both sides' codes.
    Otherwise each side takes its own label. Where there is a choice (several shared codes,
    or several codes on one side), the label used on the most statements by the two sides
    together is taken, ties broken by name; an uncoded side is NONE. The rule is the same
    for both sides, so swapping reference and candidate swaps the two lists and leaves
    kappa and alpha unchanged, and renaming codes changes nothing outside exact ties.
    """
    frequency = Counter(label for side in (reference, candidate) for unit in side for label in unit)

    def pick(labels: set[str]) -> str:
        return min(labels, key=lambda label: (-frequency[label], label)) if labels else NONE

    ref_single, cand_single = [], []
    for ref_unit, cand_unit in zip(reference, candidate, strict=True):
        shared = ref_unit & cand_unit
        ref_single.append(pick(shared or ref_unit))
        cand_single.append(pick(shared or cand_unit))
    return ref_single, cand_single


def compare(reference: Labelling, candidate: Labelling, lengths: dict[int, int], same_codebook: bool = False) -> dict:
    """All figures of `candidate` against `reference`. `lengths`: transcript id -> stored length.

    `same_codebook`: both are human coders of one codebook (the human ceiling). Codes are then
    matched by name (the codes compared are those either coder used), not by overlap, which is
    only for qualflow's themes against a coder's codes.
    """
    if same_codebook:
        codes = sorted(set(reference.labels) | set(candidate.labels))
    else:
        codes = reference.labels
    themes = candidate.labels
    n = len(reference.units)
    ref_matrix = np.array([[c in unit for c in codes] for unit in reference.units], dtype=bool).reshape(n, len(codes))
    cand_matrix = np.array([[t in unit for t in themes] for unit in candidate.units],
                           dtype=bool).reshape(n, len(themes))
    counts = cand_matrix.T.astype(int) @ ref_matrix.astype(int)  # themes x codes
    theme_sizes, code_sizes = cand_matrix.sum(0), ref_matrix.sum(0)
    f1 = 2 * counts / np.maximum(theme_sizes[:, None] + code_sizes[None, :], 1)
    if same_codebook:  # a code is the same code by name only; one only one coder used never agrees
        match = {code: code for code in codes if code in themes}
        best_code = {theme: theme for theme in themes}
    else:
        rows, cols = linear_sum_assignment(-f1) if f1.size else (np.array([], int), np.array([], int))
        match = {codes[c]: themes[t] for t, c in zip(rows, cols, strict=True) if counts[t, c] > 0}
        best_code = {themes[t]: codes[int(counts[t].argmax())] for t in range(len(themes)) if counts[t].max() > 0}
    # The codes on compared statements (either side's, for two coders). A code only elsewhere (say,
    # on interviewer turns) keeps its row for its character figures but has no statement figures,
    # is not counted among the codes compared and stays out of every mean over codes.
    in_units = {codes[c] for c in np.flatnonzero(code_sizes)}
    if same_codebook:  # a code only the second coder put on a statement is a disagreement, scored
        in_units |= {themes[t] for t in np.flatnonzero(theme_sizes)}
    # Labels the candidate gave that no code answers: their statements are false positives.
    unmatched = [t for t in range(len(themes)) if themes[t] not in match.values() and theme_sizes[t]]
    unmapped = [t for t in range(len(themes)) if themes[t] not in best_code and theme_sizes[t]]

    offsets, total = {}, 0
    for transcript_id in sorted(lengths):
        offsets[transcript_id], total = total, total + lengths[transcript_id]
    cand_chars = {t: _char_masks(candidate.spans.get(t, []), lengths, offsets, total) for t in themes}
    any_cand = np.logical_or.reduce(list(cand_chars.values())) if cand_chars else np.zeros(total, bool)
    any_ref = np.zeros(total, bool)

    per_code, micro = [], {"tp": 0, "m2o_tp": 0, "m2o_pred": 0}
    for c, code in enumerate(codes):
        theme = match.get(code)
        t = themes.index(theme) if theme else None
        tp = int(counts[t, c]) if t is not None else 0
        predicted = int(theme_sizes[t]) if t is not None else 0
        ref_bin = ref_matrix[:, c]
        cand_bin = cand_matrix[:, t] if t is not None else np.zeros(n, dtype=bool)
        mapped = [name for name, target in best_code.items() if target == code]
        in_mapped = cand_matrix[:, [themes.index(m) for m in mapped]].any(1) if mapped else np.zeros(n, bool)
        m2o_tp, m2o_pred = int((in_mapped & ref_bin).sum()), int(in_mapped.sum())
        micro["tp"] += tp
        micro["m2o_tp"] += m2o_tp
        micro["m2o_pred"] += m2o_pred
        ref_chars = _char_masks(reference.spans.get(code, []), lengths, offsets, total)
        any_ref |= ref_chars
        theme_chars = cand_chars[theme] if theme else np.zeros(total, bool)
        on_units = code in in_units
        per_code.append({
            "code": code, "statements": int(code_sizes[c]), "matched_label": theme,
            **(_prf(tp, predicted, int(code_sizes[c])) if on_units else _NO_PRF),
            "many_to_one": {"labels": mapped,
                            **(_prf(m2o_tp, m2o_pred, int(code_sizes[c])) if on_units else _NO_PRF)},
            "kappa": _round(kappa(ref_bin, cand_bin)), "alpha": _round(alpha(ref_bin, cand_bin)),
            "characters": int(ref_chars.sum()),
            "char_agreement": _round((ref_chars == theme_chars).mean()) if total else None,
            "char_kappa": _round(nvivo_kappa(ref_chars, theme_chars)) if total else None,
            "char_alpha": _round(alpha(ref_chars, theme_chars)) if total else None,
            "char_kappa_by_source": _by_source(ref_chars, theme_chars, offsets, lengths),
            "coverage": _round((ref_chars & any_cand).sum() / ref_chars.sum()) if ref_chars.any() else None,
        })

    # One label per statement for the overall kappa/alpha: the candidate's labels become the
    # codes they were matched to (an unmatched label agrees with no code), then the same rule
    # picks one label on each side (statement_labels).
    theme_to_code = {theme: code for code, theme in match.items()}
    said = [{theme_to_code.get(t, f"unmatched:{t}") for t in unit} for unit in candidate.units]
    ref_single, cand_single = statement_labels(reference.units, said)
    ref_single, cand_single = np.array(ref_single, dtype=object), np.array(cand_single, dtype=object)
    # Statements the one-label rule counts as agreeing although one side also gave a code the
    # other did not: F1 and the per-code rows count that code as a disagreement, kappa/alpha do not.
    unshared_set_aside = sum(1 for ours, theirs in zip(reference.units, said, strict=True)
                             if ours & theirs and ours ^ theirs)

    single = [i for i in range(n) if len(reference.units[i]) == 1 and len(candidate.units[i]) == 1]
    truth = [next(iter(reference.units[i])) for i in single]
    found = [next(iter(candidate.units[i])) for i in single]
    if single:
        homogeneity, completeness, v_measure = homogeneity_completeness_v_measure(truth, found)
    labelled = cand_matrix.any(1)
    coded = ref_matrix.any(1)
    scored = [row for row in per_code if row["code"] in in_units]
    code_rows = [row for row in scored if row["char_kappa"] is not None]
    # Macro F1 as scikit-learn's: the mean over the codes and the unmatched labels (each F1 0).
    macro = [row["f1"] for row in scored] + [0.0] * len(unmatched)
    return {
        "reference": reference.name, "candidate": candidate.name,
        "statements": n, "statements_coded": int(coded.sum()), "statements_labelled": int(labelled.sum()),
        "codes": len(in_units), "codes_on_no_statement": sorted(set(codes) - in_units),
        "labels": int(np.count_nonzero(theme_sizes)),
        # Precision is over every label the candidate gave, matched or not (recall over every code).
        "one_to_one": {**_prf(micro["tp"], int(theme_sizes.sum()), int(code_sizes.sum())),
                       "macro_f1": _round(np.mean(macro)) if macro else None,
                       "unmatched_labels": [{"label": themes[t], "statements": int(theme_sizes[t])}
                                            for t in unmatched]},
        "many_to_one": {**_prf(micro["m2o_tp"], micro["m2o_pred"] + int(theme_sizes[unmapped].sum()),
                               int(code_sizes.sum())),
                        "labels_on_no_code": [{"label": themes[t], "statements": int(theme_sizes[t])}
                                              for t in unmapped]},
        "kappa": _round(kappa(ref_single, cand_single)) if n else None,
        "alpha": _round(alpha(ref_single, cand_single)) if n else None,
        "kappa_unshared_codes_set_aside": unshared_set_aside,
        "char_kappa_mean": _round(np.mean([r["char_kappa"] for r in code_rows])) if code_rows else None,
        "char_alpha_mean": _round(np.mean([r["char_alpha"] for r in code_rows if r["char_alpha"] is not None]))
        if any(r["char_alpha"] is not None for r in code_rows) else None,
        "char_agreement_mean": _round(np.mean([r["char_agreement"] for r in code_rows])) if code_rows else None,
        "clustering": {  # over fewer statements than the rest: say how many, wherever it is shown
            "statements": len(single), "units": "statements with exactly one label on each side",
            "ari": _round(adjusted_rand_score(truth, found)) if single else None,
            "nmi": _round(normalized_mutual_info_score(truth, found)) if single else None,
            "v_measure": _round(v_measure) if single else None,
            "homogeneity": _round(homogeneity) if single else None,
            "completeness": _round(completeness) if single else None,
        },
        "coverage": _round((any_ref & any_cand).sum() / any_ref.sum()) if any_ref.any() else None,
        "uncoded_share": _round((labelled & ~coded).sum() / labelled.sum()) if labelled.any() else None,
        "per_code": per_code,
        "contingency": {"labels": themes, "codes": codes, "counts": counts.tolist()},
    }


def _by_source(ref: np.ndarray, cand: np.ndarray, offsets: dict[int, int], lengths: dict[int, int]) -> float | None:
    """NVivo's average over sources: kappa per source, weighted by the source's length."""
    if not offsets:
        return None
    values, weights = [], []
    for transcript_id, base in offsets.items():
        size = lengths[transcript_id]
        if size:
            values.append(nvivo_kappa(ref[base : base + size], cand[base : base + size]))
            weights.append(size)
    return _round(np.average(values, weights=weights)) if values else None
