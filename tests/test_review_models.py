"""The review records: a study made before reviewing existed opens and gains the new columns."""

import sqlite3

from fixtures.review.study import build
from qualflow.models import Store, Suggestion, Theme
from sqlalchemy import select


def test_an_older_study_gains_the_review_columns(tmp_path):
    path = tmp_path / "old.sqlite"
    build(Store(f"sqlite:///{path}"))
    old_columns = ("id, theme_set_id, number, code, level, question, status, parent_id, label, keywords, "
                   "exemplar_statement_ids, size, participants, cohesion")
    with sqlite3.connect(path) as db:  # make it look like a study from before issue #5
        db.execute("PRAGMA legacy_alter_table=ON")  # keep other tables' references pointing at "themes"
        db.execute("ALTER TABLE themes RENAME TO themes_now")
        db.execute(f"CREATE TABLE themes AS SELECT {old_columns} FROM themes_now")
        db.execute("DROP TABLE themes_now")
        db.execute("DROP INDEX ix_suggestions_status")
        db.execute("ALTER TABLE suggestions DROP COLUMN status")
        db.execute("DROP TABLE decisions")
    with sqlite3.connect(path) as db:
        assert "version" not in {row[1] for row in db.execute("PRAGMA table_info(themes)")}
    store = Store(f"sqlite:///{path}")
    with store.session() as session:
        themes = session.scalars(select(Theme)).all()
        assert themes and all(t.version == 1 and t.reviewer_fields == [] for t in themes)
        assert {s.status for s in session.scalars(select(Suggestion))} == {"suggested"}
