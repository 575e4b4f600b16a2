"""The agreement report as one self-contained HTML page (no scripts, no external files).

Everything shown is escaped; quotes are the stored, de-identified statement text only.
"""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:75em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.heat td{text-align:center;min-width:2.2em}.heat th.v{writing-mode:vertical-rl;transform:rotate(180deg)}
blockquote{margin:.3em 0 .8em 1em;padding-left:.8em;border-left:3px solid #aaa}.muted{color:#666}
"""

# Rows shared by both tables: the same figure, whoever the two sides are.
_FIGURES = [
    ("precision (one-to-one)", ("one_to_one", "precision")), ("recall (one-to-one)", ("one_to_one", "recall")),
    ("F1 (one-to-one, micro)", ("one_to_one", "f1")),
    ("F1 (one-to-one, macro: mean over codes, an unmatched label scoring 0)", ("one_to_one", "macro_f1")),
    ("F1 (many-to-one)", ("many_to_one", "f1")), ("Cohen's kappa (statements, one label each)", "kappa"),
    ("Krippendorff's alpha (statements, one label each)", "alpha"),
    ("statements kappa/alpha count as agreeing though one side gave a further code", "kappa_unshared_codes_set_aside"),
    ("statements in ARI/NMI/V-measure (one label on each side)", ("clustering", "statements")),
    ("ARI", ("clustering", "ari")), ("NMI", ("clustering", "nmi")), ("V-measure", ("clustering", "v_measure")),
    ("kappa (characters of the whole text, NVivo; mean over codes)", "char_kappa_mean"),
    ("alpha (characters of the whole text, NVivo; mean over codes)", "char_alpha_mean"),
    ("agreement % (characters of the whole text, NVivo; mean over codes)", "char_agreement_mean"),
]
_SUMMARY = [
    ("transcripts compared (coded by the coder)", "transcripts"),
    ("statements compared (those qualflow clusters)", "statements"),
    ("statements qualflow does not cluster (left out)", ("statements_not_units", "statements")),
    ("of those, statements the coder had coded", lambda f: f["coded_statements_left_out"][f["reference"]]["statements"]),
    ("statements the coder coded", "statements_coded"),
    ("statements in a qualflow label", "statements_labelled"), ("codes on compared statements", "codes"),
    ("codes only on statements left out (own row, in no mean)", lambda f: len(f["codes_on_no_statement"])),
    ("qualflow labels", "labels"),
    ("statements in qualflow labels matched to no code (false positives)",
     lambda f: sum(label["statements"] for label in f["one_to_one"]["unmatched_labels"])),
    *_FIGURES,
    ("coverage: coded text (whole text) inside any qualflow label", "coverage"),
    ("qualflow statements the coder left uncoded", "uncoded_share"),
]
# The human ceiling is two coders of one codebook: no qualflow label, level or theme in it.
_CEILING_SUMMARY = [
    ("transcripts compared (coded by both coders)", "transcripts"),
    ("statements compared (those qualflow clusters)", "statements"),
    ("statements qualflow does not cluster (left out)", ("statements_not_units", "statements")),
    ("of those, statements the first coder had coded",
     lambda f: f["coded_statements_left_out"][f["reference"]]["statements"]),
    ("of those, statements the second coder had coded",
     lambda f: f["coded_statements_left_out"][f["candidate"]]["statements"]),
    ("statements the first coder coded", "statements_coded"),
    ("statements the second coder coded", "statements_labelled"),
    ("codes used by either coder on compared statements (matched by name)", "codes"),
    ("codes only on statements left out (own row, in no mean)", lambda f: len(f["codes_on_no_statement"])),
    ("codes the second coder used (on compared statements)", "labels"),
    *_FIGURES,
    ("coverage: first coder's coded text (whole text) inside any of the second's codes", "coverage"),
    ("second coder's statements the first left uncoded", "uncoded_share"),
]


def _get(figures: dict, key):
    if callable(key):
        return key(figures)
    if isinstance(key, tuple):
        return figures.get(key[0], {}).get(key[1])
    return figures.get(key)


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return escape(str(value))


def _summary(columns: list[tuple[str, dict]], captions: list) -> str:
    head = "".join(f"<th>{escape(title)}</th>" for title, _ in columns)
    rows = "".join(f"<tr><th>{escape(label)}</th>" + "".join(f"<td class=n>{_fmt(_get(f, key))}</td>"
                                                              for _, f in columns) + "</tr>"
                   for label, key in captions)
    return f"<table><tr><th></th>{head}</tr>{rows}</table>"


def _left_out(figures: dict) -> str:
    """Why the statements left out are not units, and what each coder had coded among them."""
    def reasons(counts: dict) -> str:
        listed = ", ".join(f"{n} {why}" for why, n in counts["by_reason"].items())
        return f" ({escape(listed)})" if listed else ""

    coders = "; ".join(f"{escape(name)} had coded {counts['statements']}{reasons(counts)}"
                       for name, counts in figures["coded_statements_left_out"].items())
    return (f"<p class=muted>{escape(figures['candidate'])} vs {escape(figures['reference'])}: left out "
            f"{figures['statements_not_units']['statements']} statements qualflow does not cluster"
            f"{reasons(figures['statements_not_units'])}; {coders}.</p>")


def _per_code(figures: dict) -> str:
    head = ("<tr><th>code</th><th>statements</th><th>matched qualflow label</th><th>P</th><th>R</th><th>F1</th>"
            "<th>F1 many-to-one</th><th>kappa</th><th>alpha</th><th>char agreement (whole text)</th>"
            "<th>char kappa (whole text)</th><th>char kappa (whole text, NVivo, by source)</th>"
            "<th>coverage (whole text)</th></tr>")
    rows = "".join(
        f"<tr><td>{escape(r['code'])}</td><td class=n>{r['statements']}</td><td>{_fmt(r['matched_label'])}</td>"
        + "".join(f"<td class=n>{_fmt(r[k])}</td>" for k in ("precision", "recall", "f1"))
        + f"<td class=n>{_fmt(r['many_to_one']['f1'])}</td>"
        + "".join(f"<td class=n>{_fmt(r[k])}</td>" for k in ("kappa", "alpha", "char_agreement", "char_kappa",
                                                             "char_kappa_by_source", "coverage"))
        + "</tr>" for r in figures["per_code"])
    unmatched = ", ".join(f"{escape(u['label'])} ({u['statements']} statements)"
                          for u in figures["one_to_one"]["unmatched_labels"])
    note = (f"<p class=muted>qualflow labels matched to no code (their statements are false positives in "
            f"precision): {unmatched}.</p>") if unmatched else ""
    return f"<table>{head}{rows}</table>{note}"


def _heatmap(figures: dict) -> str:
    """Labels x codes; a cell's colour is its share of the label's statements."""
    table = figures["contingency"]
    codes, labels, counts = table["codes"], table["labels"], table["counts"]
    head = "".join(f"<th class=v>{escape(c)}</th>" for c in codes)
    rows = []
    for label, row in zip(labels, counts, strict=True):
        total = max(sum(row), 1)
        cells = "".join(f'<td style="background:rgba(200,60,40,{n / total:.2f})" title="{n} of {total}">'
                        f"{n or ''}</td>" for n in row)
        rows.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
    return f"<table class=heat><tr><th>qualflow label \\ code</th>{head}</tr>{''.join(rows)}</table>"


def _examples(examples: list[dict]) -> str:
    parts = []
    for e in examples:
        parts.append(f"<p><b>{escape(e['code'])}</b> — {escape(e['kind'])} (qualflow: {_fmt(e['qualflow_label'])}; "
                     f"human: {_fmt(e['human_codes'])}; {_fmt(e['participant'])})</p>"
                     f"<blockquote>{escape(e['text'])}</blockquote>")
    return "".join(parts) or "<p class=muted>No disagreements.</p>"


def html_report(result: dict, title: str = "qualflow: agreement with manual coding") -> str:
    comparisons = result["comparisons"]
    columns = [(f"qualflow vs {c['reference']}", c) for c in comparisons]
    ceiling = result.get("human_ceiling")
    # "auto" picks the level per coder (over that coder's transcripts), so it can differ between columns.
    levels = {c.get("level", result["level"]) for c in comparisons} or {result["level"]}
    level = (str(result["level"]) if len(levels) == 1 else
             ", ".join(f"{c['level']} (vs {c['reference']})" for c in comparisons))
    body = [f"<h1>{escape(title)}</h1>",
            (f"<p>qualflow level: <b>{escape(level)}</b>; codes compared: "
             f"{escape(str(result['code_depth']))}. The units are the statements qualflow clusters, on both sides "
             "of every comparison (the human ceiling too): interviewer turns and statements too short or not "
             "significant are left out, and counted below. A code is on a statement when they overlap by at least "
             "half of the shorter. ARI, NMI and V-measure are over the statements with exactly one label on each "
             "side only (their number is given). Character figures are over the whole text, interviewer turns "
             "included, as NVivo's coding comparison counts them. A dash (–) is a figure that is undefined, such as "
             "kappa where both sides gave every statement one and the same value. Quotes are de-identified "
             "stored text.</p>")]
    if not comparisons:
        body.append("<p>No aligned manual coding: import one with <code>qualflow import-coding FILE</code>.</p>")
    else:
        body += ["<h2>Summary</h2>", _summary(columns, _SUMMARY)] + [_left_out(c) for c in comparisons]
        if ceiling:
            body += [f"<h2>Human ceiling: {escape(ceiling['candidate'])} vs {escape(ceiling['reference'])}</h2>",
                     ("<p class=muted>Two coders of one codebook, codes matched by name; first coder "
                      f"{escape(ceiling['reference'])}, second {escape(ceiling['candidate'])}.</p>"),
                     _summary([(f"{ceiling['candidate']} vs {ceiling['reference']} (human ceiling)", ceiling)],
                              _CEILING_SUMMARY), _left_out(ceiling)]
        for figures in comparisons:
            body += [f"<h2>Per code: qualflow vs {escape(figures['reference'])}</h2>", _per_code(figures),
                     f"<h2>qualflow labels × codes of {escape(figures['reference'])}</h2>", _heatmap(figures),
                     "<h2>Disagreements</h2>", _examples(figures.get("examples", []))]
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n")
