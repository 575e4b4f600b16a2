"""Written Cantonese is embedded with its commonest words in Mandarin (pipeline/embed/cantonese.py), so a Hong
Kong interview meets the others' themes; Mandarin and English reach the encoder as before, and the text is
stored and shown as written. A study embedded before this (its mark says Simplified script alone) embeds its
rewritten statements again, once. Real USE encoder, real runs."""

from __future__ import annotations

import numpy as np
import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Embedding, Statement, Store, default_database_url
from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.embed import text_to_embed
from qualflow.pipeline.embed.cache import SIMPLIFIED_FORM_MARK
from qualflow.pipeline.embed.cantonese import as_mandarin
from sqlalchemy import select

# (Cantonese, the same in Mandarin): none of them was used to write the table.
PAIRS = [
    ("上司成日話我哋做得唔夠快。", "上司总是说我们做得不够快。"),
    ("我唔知點樣同家屬講呢啲嘢。", "我不知道怎样跟家属讲这些事情。"),
    ("佢哋畀嘅資源根本唔夠用。", "他们给的资源根本不够用。"),
]


def test_cantonese_words_are_read_in_mandarin():
    assert text_to_embed("佢哋唔理質素，淨係睇數字。", "zh") == "他们不理质素，只是看数字。"
    assert text_to_embed("嗰陣時我瞓唔着", "zh") == "那阵时我睡不着"  # OpenCC writes 嗰 as 𠮶


@pytest.mark.parametrize("text", ["我们的关系很好，系统也稳定。", "他说没有人手，先顶住。", "The ward 唔 is short"])
def test_mandarin_and_english_are_left_alone(text):
    if "唔" in text:  # Latin text is English: never rewritten, whatever it holds
        assert text_to_embed(text, "en") == text
    else:
        assert as_mandarin(text) == text and text_to_embed(text, "zh") == text


@pytest.mark.parametrize(("cantonese", "mandarin"), PAIRS)
def test_a_cantonese_sentence_lands_nearer_its_mandarin_twin(use_encoder, cantonese, mandarin):
    def unit(text: str) -> np.ndarray:
        vector = use_encoder.embed([text])[0]
        return vector / np.linalg.norm(vector)

    twin = unit(mandarin)
    before = float(unit(to_simplified(cantonese)) @ twin)  # Simplified script alone, as before
    after = float(unit(text_to_embed(cantonese, "zh")) @ twin)
    assert after > before + 0.05, (before, after)


def test_a_study_embedded_before_embeds_its_cantonese_statements_again_once(tmp_path, use_encoder):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    (inbox / "hk_p1.txt").write_text(
        "# participant: P1\n\n訪談者：工作點樣？\n\n受訪者：上司成日話我哋做得唔夠快，佢哋畀嘅資源根本唔夠用。"
        "我唔知點樣同家屬講呢啲嘢，有時瞓唔着。\n\n訪談者：仲有呢？\n\n受訪者：而家啲年輕同事做兩年就走。\n",
        "utf-8")
    (inbox / "sh_p2.txt").write_text(
        "# participant: P2\n\n访谈者：工作怎么样？\n\n受访者：上司总是说我们做得不够快，他们给的资源根本不够用。"
        "我不知道怎样跟家属讲这些事情，有时睡不着。\n", "utf-8")
    code_interviews(str(inbox), str(data))
    store = Store(default_database_url(data))

    def vectors() -> dict[str, np.ndarray]:
        with store.session() as session:
            rows = dict(session.execute(select(Embedding.text_hash, Embedding.vector)
                                        .where(Embedding.encoder_id == use_encoder.id)).all())
            return {s.text: np.frombuffer(rows[s.text_hash], dtype="<f4")
                    for s in session.scalars(select(Statement).where(Statement.significant.is_(True)))}

    cantonese = [text for text in vectors() if as_mandarin(text_to_embed(text, "zh")) != text_to_embed(text, "zh")
                 or "哋" in text]
    assert cantonese and all("唔" in text or "哋" in text or "啲" in text for text in cantonese)
    for text in cantonese:  # stored as written, embedded as read in Mandarin
        assert np.allclose(vectors()[text], use_encoder.embed([text_to_embed(text, "zh")])[0], atol=1e-5)

    # An older study: its Cantonese statements' vectors are of the Simplified text alone, and its mark is
    # the older one. They are computed again, once; the Mandarin statement's vector is left as it was.
    with store.session() as session:
        for text in cantonese:
            old = use_encoder.embed([to_simplified(text)])[0].astype("<f4").tobytes()
            statement = session.scalar(select(Statement).where(Statement.text == text))
            session.query(Embedding).filter_by(encoder_id=use_encoder.id, text_hash=statement.text_hash).update(
                {"vector": old})
        session.query(Embedding).filter_by(encoder_id=SIMPLIFIED_FORM_MARK).update(
            {"encoder_id": "qualflow:chinese-embedded-in-simplified"})
        session.commit()
    # Statements embedded as written (Simplified Mandarin) are not rewritten: their vectors stay as they were.
    mandarin_before = {t: v for t, v in vectors().items() if text_to_embed(t, "zh") == t}
    assert mandarin_before
    again = code_interviews(str(inbox), str(data))
    for text in cantonese:
        assert np.allclose(vectors()[text], use_encoder.embed([text_to_embed(text, "zh")])[0], atol=1e-5)
    assert all(np.array_equal(vectors()[t], v) for t, v in mandarin_before.items())
    assert again.embedded >= len(cantonese)
    assert code_interviews(str(inbox), str(data)).embedded == 0  # once
    store.dispose()

