"""A coding of an export made before exports left dates out of file names (until 2026-11-27 the name went
out as "[PERSON_1] 2026-03-12.txt", now "[PERSON_1].txt") still imports by name. A real flow run on an
example interview under a file name that names its participant and the day of the interview."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from qualflow.flows.batch import code_interviews
from qualflow.models import Store, Transcript, default_database_url
from qualflow.pipeline.coding.importer import import_coding
from qualflow.pipeline.deid.pseudonym import NameRedactor
from qualflow.pipeline.persist import load_key_map
from qualflow.pipeline.report import export_names
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
DATED = "Mary Smith 2026-03-12.txt"
CASELOAD = "My caseload is thirty-two right now, which is about eight more than when I started on this team."


def test_a_coding_of_an_export_that_kept_dates_in_names_imports_by_that_name(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "examples" / "en_p1_nurse.txt", inbox / DATED)
    shutil.copy(ROOT / "examples" / "en_p2_social_worker.txt", inbox / "en_p2_social_worker.txt")
    data = tmp_path / "data"
    assert code_interviews(str(inbox), str(data)).transcripts_added == 2
    store = Store(default_database_url(data))
    with store.session() as session:
        text = session.scalar(select(Transcript.text).where(Transcript.source_name == DATED))
        earlier = NameRedactor(load_key_map(session))(DATED)  # what exports named it before
        now = export_names(session)(DATED)
    assert earlier.startswith("[PERSON_") and "2026-03-12" in earlier and "Mary" not in earlier
    assert now != earlier and "2026" not in now
    start = text.index(CASELOAD)
    coding = tmp_path / "team.csv"
    with coding.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["document", "start", "end", "code"], [earlier, start, start + 40, "Workload"]])
    stats = import_coding(store, coding)
    assert stats["unmatched_documents"] == [] and stats["matched_by"] == {earlier: "name"}
