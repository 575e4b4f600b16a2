"""Chinese theme labels in figures: drawn with a CJK font when one is installed, codes otherwise.

`make test` installs Debian's fonts-wqy-microhei as root; without it the drawing test skips."""

import shutil
import subprocess
import warnings

import pytest
from matplotlib import font_manager
from qualflow.pipeline import figures

ROWS = [{"code": "T1", "label": "家属的负担", "statements": 7, "participants_covered": 3},
        {"code": "T2", "label": "Workload", "statements": 4, "participants_covered": 2}]


def _fontconfig_has_chinese() -> bool:
    if not shutil.which("fc-list"):
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout.strip())


@pytest.fixture
def fresh_font_lookup():
    figures.cjk_font.cache_clear()
    yield
    figures.cjk_font.cache_clear()


@pytest.mark.skipif(not _fontconfig_has_chinese(), reason="no Chinese font installed (apt-get install fonts-wqy-microhei)")
def test_chinese_labels_are_drawn_with_a_chinese_font(fresh_font_lookup):
    family = figures.cjk_font()
    assert family
    assert figures.figure_label("T1", "家属的负担") == "T1 家属的负担"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = figures.theme_sizes_figure(ROWS)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert png.startswith(b"\x89PNG") and not missing


@pytest.mark.skipif(not _fontconfig_has_chinese(), reason="no Chinese font installed (apt-get install fonts-wqy-microhei)")
def test_a_font_installed_after_matplotlib_cached_its_list_is_found(fresh_font_lookup, monkeypatch):
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True).stdout
    paths = {line.split(":")[0].strip() for line in listed.splitlines() if line.strip()}
    # matplotlib as it was before the font was installed: its cached list lacks every Chinese font.
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [f for f in font_manager.fontManager.ttflist if f.fname not in paths])
    family = figures.cjk_font()
    assert family and "mono" not in family.lower()
    assert any(f.fname in paths and f.name == family for f in font_manager.fontManager.ttflist)


def test_without_a_chinese_font_labels_become_codes_and_the_report_says_so(fresh_font_lookup, monkeypatch):
    monkeypatch.setattr(figures, "cjk_font", lambda: None)
    assert figures.figure_label("T1", "家属的负担") == "T1"
    assert figures.figure_label("T2", "Workload") == "T2 Workload"

    class Code:
        def __init__(self, label):
            self.label = label

    class Book:
        def __init__(self, labels):
            self.labels = labels

        def all_codes(self):
            return [Code(label) for label in self.labels]

    assert "No font with Chinese characters" in figures.label_note(Book(["家属的负担", "Workload"]))
    assert figures.label_note(Book(["Workload"])) is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures.theme_sizes_figure(ROWS)
    assert not [w for w in caught if "missing from font" in str(w.message)]  # no empty boxes drawn
