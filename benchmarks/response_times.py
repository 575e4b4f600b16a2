"""How long a reviewer or an ingest waits in three places where a slow path would show, against targets.

    python benchmarks/response_times.py [--repeat 5]

- a page of a theme of 5,000 statements in the review app (pages 1, 50 and 100), target 1.5 s;
- refusing a .docx zip bomb (300 MB of zeros, under 5 MB on disk), target 2 s;
- importing the de-identification lexicon in a fresh interpreter, target 2 s.

Each figure is the median of `--repeat` tries. These were asserts in unit tests until one failed on a loaded
CI machine (2.08 s for page 100); the tests now assert what makes them fast (one page of rows read, no member
inflated, no spaCy imported) and the times live here. The review study is the synthetic one the review tests
build (tests/fixtures/review/study.py), so no evaluation data is needed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fastapi.testclient import TestClient  # noqa: E402
from fixtures.review.study import one_big_theme  # noqa: E402
from qualflow.models import Store, default_database_url  # noqa: E402
from qualflow.pipeline.errors import UnreadableFile  # noqa: E402
from qualflow.pipeline.ingest import read_document  # noqa: E402
from qualflow.review.accounts import add_reviewer  # noqa: E402
from qualflow.review.server import create_app  # noqa: E402

PAGE_TARGET = 1.5
REFUSAL_TARGET = 2.0
IMPORT_TARGET = 2.0


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def verdict(seconds: float, target: float) -> str:
    return "pass" if seconds < target else "FAIL"


def review_pages(folder: Path, repeat: int) -> list[tuple[str, float, float]]:
    store = Store(default_database_url(folder))
    with store.session() as session:
        add_reviewer(session, "bench", "correct horse battery")
        theme_id = one_big_theme(session)
    store.dispose()
    client = TestClient(create_app(folder), base_url="http://127.0.0.1:8765", follow_redirects=False)
    form = client.get("/login").text
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post("/login", data={"name": "bench", "password": "correct horse battery",
                                             "csrf": csrf, "next": "/"})
    assert signed_in.status_code == 303, signed_in.text
    client.get(f"/themes/{theme_id}")  # warm the template cache

    def page(n: int):
        response = client.get(f"/themes/{theme_id}", params={"page": n})
        assert response.status_code == 200 and f"page {n} of 100" in response.text

    return [(f"review page {n} of 100 (5,000 statements)", median_seconds(lambda n=n: page(n), repeat), PAGE_TARGET)
            for n in (1, 50, 100)]


def zip_bomb(folder: Path) -> Path:
    """A real one-paragraph .docx with a 300 MB member of zeros added."""
    import docx

    document = docx.Document()
    document.add_paragraph("Interviewer: How is work?")
    buffer = io.BytesIO()
    document.save(buffer)
    path = folder / "bomb.docx"
    path.write_bytes(buffer.getvalue())
    with (zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
          archive.open("word/media/zeros.bin", "w", force_zip64=True) as member):
        chunk = bytes(1024 * 1024)
        for _ in range(300):
            member.write(chunk)
    return path


def refusal(folder: Path, repeat: int) -> tuple[str, float, float]:
    path = zip_bomb(folder)

    def refuse():
        try:
            read_document(path)
        except UnreadableFile:
            return
        raise AssertionError("the zip bomb was read")

    size = path.stat().st_size / 1024 / 1024
    return f"refuse a .docx zip bomb ({size:.1f} MB on disk, 300 MB unpacked)", median_seconds(refuse, repeat), \
        REFUSAL_TARGET


def lexicon_import(repeat: int) -> tuple[str, float, float]:
    code = ("import time; t = time.perf_counter(); import qualflow.pipeline.deid.lexicon; "
            "print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  timeout=120).stdout) for _ in range(repeat)]
    return "import the de-identification lexicon (fresh interpreter)", statistics.median(times), IMPORT_TARGET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="qualflow-bench-") as folder:
        review_folder = Path(folder) / "review"
        review_folder.mkdir()
        rows = review_pages(review_folder, repeat)
        rows.append(refusal(Path(folder), repeat))
    rows.append(lexicon_import(repeat))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'':<{width}} {'median s':>9} {'target s':>9}")
    for name, seconds, target in rows:
        print(f"{name:<{width}} {seconds:>9.3f} {target:>9.1f}  {verdict(seconds, target)}")


if __name__ == "__main__":
    main()
