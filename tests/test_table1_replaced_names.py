"""Table 1 writes a value as the transcripts' de-identification wrote it. A researcher's audit had a site
column whose "朝阳区第三医院" the transcripts replaced with [ORG_2]: Table 1 printed the hospital's name
beside quotes that hid it, undoing the replacement. Real `qualflow report` on a stored study."""

from __future__ import annotations

from qualflow.models import Pseudonym, Store, default_database_url
from test_table1_missing_and_n import squeeze, table1_texts


def test_a_site_the_transcripts_replaced_is_shown_as_its_placeholder(tmp_path, monkeypatch):
    import test_table1_missing_and_n as base

    data = tmp_path / "data"
    base.build_study_of(data, 8)
    store = Store(default_database_url(data))
    with store.session() as session:  # as de-identification stored them, reading the interviews
        session.add_all([Pseudonym(kind="ORG", real="north general hospital", placeholder="[ORG_2]"),
                         Pseudonym(kind="ORG", real="朝阳区第三医院", placeholder="[ORG_3]")])
    store.dispose()
    monkeypatch.setattr(base, "PARTICIPANTS", "id,gender,site\n" + "".join(
        f"P{i},{'F' if i % 2 else 'M'},{site}\n" for i, site in enumerate(
            ["North General Hospital"] * 3 + ["north general hospital"] + ["朝阳区第三医院"] * 4,
            start=1)))
    for name, text in table1_texts(data, tmp_path).items():
        text = squeeze(text).replace("\\[", "[").replace("\\]", "]")  # Markdown escapes brackets
        assert "General Hospital" not in text and "general hospital" not in text and "朝阳区" not in text, name
        # Two spellings of one replaced name are one level, counted as such; other columns stay as written.
        assert "[ORG_2] | 4 (50.0%)" in text and "[ORG_3] | 4 (50.0%)" in text, (name, text)
        assert "F | 4 (50.0%)" in text, (name, text)
    notes = " ".join((tmp_path / "report" / "report.md").read_text("utf-8").split())
    assert ("In Table 1, site: names the transcripts' de-identification replaced are shown as its placeholders, "
            "as in the quotes.") in notes
