"""The study at a glance, as PNG bytes: statement map, theme sizes, participant × theme heatmap, saturation curve.

matplotlib's object API (Figure, never pyplot) draws off screen with no global state, so a web server
can call these from any thread. Chinese labels need a CJK font; without one, figures name themes by
code (T1, T2.3) rather than print empty boxes, and `label_note()` says so for the report.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from functools import lru_cache, wraps

import numpy as np
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from qualflow.models import Embedding
from qualflow.models.queries import current_theme_set
from qualflow.pipeline.placements import Codebook, live_codebook, participant_sort_key
from sqlalchemy import select
from sqlalchemy.orm import Session

_WIDE_SCRIPT = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
DPI = 120


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font family that has Chinese glyphs and matplotlib can use, or None.

    fontconfig knows what is installed; matplotlib only knows the fonts in the list it cached the
    first time it ran, so a font installed later (`apt-get install fonts-wqy-microhei`) is added to
    it here rather than missed until someone deletes that cache."""
    if not shutil.which("fc-list"):
        return None
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                                timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for path in sorted({line.split(":")[0].strip() for line in listed.splitlines() if line.strip()}):
        if not _families_in(path) and path.lower().endswith((".ttf", ".ttc", ".otf")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable or a format FreeType rejects
                continue
        families = _families_in(path)
        if families:  # a collection holds several faces: the proportional one reads best in labels
            return min(families, key=lambda name: ("mono" in name.lower(), name))
    return None


def _families_in(path: str) -> list[str]:
    return [f.name for f in font_manager.fontManager.ttflist if f.fname == path]


def figure_label(code: str, label: str, width: int = 28) -> str:
    """"T2 Workload" when the label can be drawn, else just the code."""
    if _WIDE_SCRIPT.search(label) and cjk_font() is None:
        return code
    # Controls (a bell, a NUL pasted with a reviewer's name) have no glyph: they would be drawn as boxes.
    label = " ".join("".join(ch for ch in label if ch.isprintable() or ch.isspace()).split())
    return f"{code} {label if len(label) <= width else label[: width - 1] + '…'}"


def label_note(codebook: Codebook) -> str | None:
    """What a reader of the figures should know about their labels, if anything."""
    names = [t.label for t in codebook.all_codes()]
    if cjk_font() is None and any(_WIDE_SCRIPT.search(name) for name in names):
        return ("No font with Chinese characters is installed here (fc-list :lang=zh finds none), so the figures "
                "name themes with Chinese labels by code only; the themes table gives the labels.")
    return None


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _with_font(draw):
    """Draw with the CJK font first in line when there is one (text takes its font when created)."""

    @wraps(draw)
    def drawn(*args, **kwargs):
        family = cjk_font()
        with rc_context({"font.family": [family, "DejaVu Sans"]} if family else {}):
            return draw(*args, **kwargs)

    return drawn


def _empty(figure: Figure, message: str) -> bytes:
    figure.text(0.5, 0.5, message, ha="center", va="center")
    return _png(figure)


@_with_font
def saturation_figure(result: dict) -> bytes:
    """Cumulative themes and subcategories against interviews in order, new themes as bars."""
    steps = result["interviews"]
    figure = _figure(7, 4.6)
    if not steps:
        return _empty(figure, "No interviews yet")
    axes = figure.add_subplot()
    x = np.arange(1, len(steps) + 1)
    axes.bar(x, [len(s["new_themes"]) for s in steps], color="#9ecae1", label="new themes in this interview")
    axes.plot(x, [s["themes_so_far"] for s in steps], marker="o", color="#08519c", label="themes so far")
    axes.plot(x, [s["subcategories_so_far"] for s in steps], marker="s", color="#e6550d",
              label="subcategories so far")
    point = result["themes_saturation"]
    if point["reached"]:
        axes.axvline(point["after_interview"] + 0.5, color="grey", linestyle="--",
                     label=f"no new theme after interview {point['after_interview']}")
    new_information = result.get("new_information", {})  # the figure to report (pipeline/saturation.py)
    if new_information.get("reached"):
        axes.axvline(new_information["after_interview"] + 0.5, color="#31a354", linestyle="-",
                     label=f"new-information saturation at {new_information['after_interview']} "
                           f"(≤{new_information['threshold']:.0%}, runs of {new_information['run_length']})")
    every = max(1, math.ceil(len(steps) / 30))  # a hundred interviews: label every fourth
    axes.set_xticks(x[::every], [s["participant"] or str(s["position"]) for s in steps][::every],
                    rotation=45 if len(x) > 12 else 0)
    axes.set_xlabel(f"interviews (order: {result['order']})")
    axes.set_ylabel("count")
    axes.set_title("Data saturation")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max(s["subcategories_so_far"] for s in steps) + 1)
    figure.legend(loc="outside lower center", ncols=2, fontsize="small")
    return _png(figure)


@_with_font
def theme_sizes_figure(themes_table: list[dict]) -> bytes:
    """Statements per theme (bars) with the participants each covers."""
    figure = _figure(7, max(2.5, 0.5 * len(themes_table) + 1.2))
    if not themes_table:
        return _empty(figure, "No themes yet")
    axes = figure.add_subplot()
    labels = [figure_label(row["code"], row["label"]) for row in themes_table][::-1]
    sizes = [row["statements"] for row in themes_table][::-1]
    bars = axes.barh(labels, sizes, color="#3182bd")
    axes.bar_label(bars, [f"{row['statements']} ({row['participants_covered']} participants)"
                          for row in themes_table][::-1], padding=3, fontsize="small")
    axes.set_xlim(0, max(sizes + [1]) * 1.35)
    axes.set_xlabel("statements")
    axes.set_title("Theme sizes")
    return _png(figure)


# More rows than a page can name legibly. A survey where each answer is its own respondent has thousands:
# laying out 20,000 tick labels took matplotlib over 8 minutes, and the review app's report page never came.
MOST_NAMED_ROWS = 60


def participant_ticks(participants: list[str]) -> tuple[list[int], list[str]]:
    """The heatmap's row labels: every participant, or none when there are more than MOST_NAMED_ROWS."""
    if len(participants) > MOST_NAMED_ROWS:
        return [], []
    return list(range(len(participants))), participants


@_with_font
def participant_heatmap_figure(codebook: Codebook) -> bytes:
    """Who speaks to what: statements per participant (rows) and theme (columns)."""
    participants = sorted({p.statement.participant for p in codebook.placements if p.statement.participant},
                          key=participant_sort_key)
    themes = codebook.themes
    # Large studies get a denser grid rather than a poster-sized image.
    figure = _figure(min(16, max(5, 0.8 * len(themes) + 2.5)), min(16, max(3, 0.3 * len(participants) + 1.5)))
    if not participants or not themes:
        return _empty(figure, "No statements in themes yet")
    counts = np.zeros((len(participants), len(themes)), dtype=int)
    row_of = {p: i for i, p in enumerate(participants)}
    column_of = {t.id: j for j, t in enumerate(themes)}
    for placement in codebook.placements:
        if placement.statement.participant:
            counts[row_of[placement.statement.participant], column_of[placement.theme.id]] += 1
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues", aspect="auto")
    axes.set_xticks(range(len(themes)), [t.code for t in themes])
    positions, names = participant_ticks(participants)
    axes.set_yticks(positions, names, fontsize="small" if len(participants) > 30 else None)
    if not names:
        axes.set_ylabel(f"{len(participants)} participants, in id order")
    for (i, j), value in np.ndenumerate(counts if counts.size <= 400 else np.zeros((0, 0))):
        axes.text(j, i, str(value), ha="center", va="center", fontsize="small",
                  color="white" if value > counts.max() / 2 else "black")
    figure.colorbar(image, ax=axes, label="statements")
    axes.set_title("Participants × themes")
    return _png(figure)


@_with_font
def statement_map_figure(session: Session, codebook: Codebook) -> bytes:
    """Each statement as a point, placed by a PCA of its stored vector, coloured by its theme."""
    from qualflow.pipeline.cluster import centre_per_language
    from sklearn.decomposition import PCA

    theme_set = current_theme_set(session)
    figure = _figure(7, 5.5)
    hashes = sorted({p.statement.text_hash for p in codebook.placements})
    vectors: dict[str, np.ndarray] = {}
    for start in range(0, len(hashes), 500):  # stay under SQLite's bound-parameter limit
        rows = session.execute(select(Embedding.text_hash, Embedding.vector).where(
            Embedding.encoder_id == (theme_set.encoder_id if theme_set else ""),
            Embedding.text_hash.in_(hashes[start:start + 500])))
        vectors.update((h, np.frombuffer(blob, dtype="<f4")) for h, blob in rows)
    placed = [p for p in codebook.placements if p.statement.text_hash in vectors]
    if len(placed) < 3:
        return _empty(figure, "Too few embedded statements to map")
    matrix = np.vstack([vectors[p.statement.text_hash] for p in placed]).astype(np.float64)
    # As the clustering saw them: each language's offset removed, so one topic in two languages meets.
    matrix = centre_per_language(matrix, [p.statement.language for p in placed])
    points = PCA(n_components=2, svd_solver="full").fit_transform(matrix)
    axes = figure.add_subplot()
    colours = _colours(len(codebook.themes))
    for index, theme in enumerate(codebook.themes):
        members = [i for i, p in enumerate(placed) if p.theme.id == theme.id]
        if members:
            axes.scatter(points[members, 0], points[members, 1], s=14, alpha=0.75, color=colours[index],
                         label=f"{figure_label(theme.code, theme.label)} ({len(members)})")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("first principal component")
    axes.set_ylabel("second principal component")
    axes.set_title("Statements by theme (nearby points say similar things)")
    axes.legend(fontsize="small", loc="best", markerscale=1.5)
    return _png(figure)


def _colours(n: int) -> list:
    from matplotlib import colormaps

    palette = colormaps["tab10" if n <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(n)]


def saturation_png(session: Session, confirmed_only: bool = False) -> bytes:
    """The saturation curve of the study as it stands, for the review app to serve."""
    from qualflow.pipeline.saturation import saturation

    return saturation_figure(saturation(session, confirmed_only=confirmed_only))


def all_figures(session: Session, codebook: Codebook | None = None, saturation_result: dict | None = None,
                themes_table: list[dict] | None = None) -> dict[str, bytes]:
    """Every figure, by file name."""
    from qualflow.pipeline.saturation import saturation
    from qualflow.pipeline.tables import themes_table as build_themes_table

    codebook = codebook or live_codebook(session)
    return {
        "saturation.png": saturation_figure(saturation_result or saturation(session)),
        "statement_map.png": statement_map_figure(session, codebook),
        "theme_sizes.png": theme_sizes_figure(themes_table if themes_table is not None
                                              else build_themes_table(session, codebook)),
        "participants_by_theme.png": participant_heatmap_figure(codebook),
    }
