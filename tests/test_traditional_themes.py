"""Traditional-script interviews are treated as Simplified ones are (audit s11/zh, findings 2, 4, 6).

The encoder places a Traditional sentence far from its own Simplified form, so a Taipei interview
formed themes of its own: Chinese statements are embedded by their Simplified form. Keywords count
家屬 and 家属 as one word and lose the fragments jieba's HMM guessed; closings and Traditional
back-channels are not clustered. Real encoder, real jieba, real flow runs on real SQLite studies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import jieba
import numpy as np
import pytest
from opencc import OpenCC
from qualflow.flows.batch import code_interviews
from qualflow.models import Embedding, Statement, Store, default_database_url
from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.config import load_config
from qualflow.pipeline.describe import describe_themes
from qualflow.pipeline.embed import text_to_embed
from qualflow.pipeline.embed.cache import SIMPLIFIED_FORM_MARK
from qualflow.pipeline.language import content_token_forms, content_tokens, detect_language
from qualflow.pipeline.persist import text_hash
from qualflow.pipeline.segment import configure_jieba
from qualflow.pipeline.select import BACKCHANNEL, StatementSelector
from sqlalchemy import select

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SIMPLIFIED_EXAMPLE = "zh_p5_社区医生.txt"


# --- what the encoder sees ------------------------------------------------------------------------


def test_chinese_is_embedded_in_simplified_and_simplified_and_english_text_as_written():
    assert text_to_embed("家屬很擔心，護病比太高。", "zh") == "家属很担心，护病比太高。"
    assert text_to_embed("我們ICU的shift很長。", "mixed") == "我们ICU的shift很长。"
    # Simplified and English statements keep their text, hence their cache keys: an existing study's
    # vectors stay valid and nothing but its Traditional statements is embedded again.
    for example in sorted(EXAMPLES.glob("*.txt")) + sorted(EXAMPLES.glob("*.md")):
        for line in example.read_text("utf-8").splitlines():
            assert text_to_embed(line, detect_language(line)) == line, example.name


def _vectors_by_text(store: Store, encoder_id: str) -> dict[str, tuple[str, bytes]]:
    """Each significant statement's text -> (participant, the vector readers find under its hash)."""
    with store.session() as session:
        statements = list(session.scalars(select(Statement).where(Statement.significant.is_(True))))
        rows = dict(session.execute(select(Embedding.text_hash, Embedding.vector)
                                    .where(Embedding.encoder_id == encoder_id)).all())
        return {s.text: (s.participant, rows[s.text_hash]) for s in statements}


def _same_vector(a: bytes, b: bytes) -> bool:
    # Equal but for the last bits, which vary with the batch a text is encoded in (embed/cache.py).
    return np.allclose(np.frombuffer(a, dtype="<f4"), np.frombuffer(b, dtype="<f4"), atol=1e-5)


def test_a_traditional_interview_gets_the_vectors_of_its_simplified_form_even_over_an_old_cache(
        tmp_path, use_encoder):
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    shutil.copy(EXAMPLES / SIMPLIFIED_EXAMPLE, inbox / SIMPLIFIED_EXAMPLE)
    traditional = OpenCC("s2tw").convert((EXAMPLES / SIMPLIFIED_EXAMPLE).read_text("utf-8"))
    (inbox / "受訪者09_台北.txt").write_text(traditional.replace("# participant: P5", "# participant: P9"), "utf-8")
    code_interviews(str(inbox), str(data), "zh")
    store = Store(default_database_url(data))
    by_text = _vectors_by_text(store, use_encoder.id)
    twins = [(text, to_simplified(text)) for text, (who, _) in by_text.items()
             if who == "P9" and to_simplified(text) != text and by_text.get(to_simplified(text), ("",))[0] == "P5"]
    assert len(twins) >= 10
    assert all(_same_vector(by_text[text][1], by_text[twin][1]) for text, twin in twins)

    # A study cached by an older version holds vectors of the Traditional text itself, and no mark that
    # its Chinese is embedded in Simplified: they are computed again once and replaced, not reused, and
    # the Simplified statements' vectors are left as they were.
    with store.session() as session:
        for text, _ in twins:
            old = use_encoder.embed([text])[0].astype("<f4").tobytes()
            session.query(Embedding).filter_by(encoder_id=use_encoder.id, text_hash=text_hash(text)).update(
                {"vector": old})
        session.query(Embedding).filter_by(encoder_id=SIMPLIFIED_FORM_MARK).delete()
        session.commit()
    upgraded = code_interviews(str(inbox), str(data), "zh")
    again = _vectors_by_text(store, use_encoder.id)
    assert all(_same_vector(again[text][1], again[twin][1]) for text, twin in twins)
    assert all(again[text] == by_text[text] for text, (who, _) in by_text.items() if who == "P5")
    assert upgraded.embedded == sum(1 for text, (who, _) in by_text.items() if who == "P9" and to_simplified(text) != text)
    assert code_interviews(str(inbox), str(data), "zh").embedded == 0  # once
    store.dispose()


# --- keywords -------------------------------------------------------------------------------------


def test_keywords_count_traditional_and_simplified_script_as_one_word_and_keep_the_written_form(segmenter):
    said = ["家屬晚上一直打電話，家屬很擔心病人的情況。", "家属不理解，家属总是担心病人出事。"]
    tokens = [[t.text for t in segmenter.chinese(text)] for text in said]
    forms = content_token_forms(tokens[0])
    assert ("家属", "家屬") in forms and ("担心", "擔心") in forms
    descriptions = describe_themes(np.array([0, 0]), np.array([False, False]), np.ones(2), tokens, ["P05", "P01"],
                                   n_keywords=4, label_keywords=2)
    keywords = descriptions[0].keywords
    assert keywords[0] == "家属" and "家屬" not in keywords and "担心" in keywords


def test_words_guessed_by_jiebas_hmm_are_kept_unless_they_glue_a_function_character_on():
    # The segmenter cuts with jieba's HMM (spaCy's jieba tokenizer), which guesses words its dictionary
    # lacks: fragments such as 我想考, 有过, 一比二 and real words such as 大夜 (night shift) or 吐槽.
    said = content_tokens(jieba.lcut("我想考研究生，有过一次一比二的时候，大夜还要吐槽，我覺得很累。"))
    for fragment in ("我想考", "有过", "一比二", "一比", "我觉", "很累"):
        assert fragment not in said, fragment
    assert {"研究生", "大夜", "吐槽"} <= set(said)
    assert [key for key, _ in content_token_forms(jieba.lcut("我們換來換去，寫個案報告。"))] == ["换来换去", "个案", "报告"]


def test_a_studys_own_words_stay_whole_in_either_script():
    configure_jieba(None, ["護病比"])  # a Traditional term from the user dictionary
    assert "护病比" in content_tokens(jieba.lcut("我們的護病比太高了。"))


@pytest.mark.parametrize("count", ["一张", "几床", "十几床", "四十张", "两台", "三针", "一杯", "两头"])
def test_counts_with_any_common_measure_word_are_never_keywords(count):
    assert content_tokens([count]) == []


# --- closings and Traditional back-channels -------------------------------------------------------


@pytest.mark.parametrize("text", ["不客气，谢谢你们。", "不客氣，謝謝你們。", "好的，谢谢。", "好的，謝謝。", "再見！",
                                  "謝謝您，辛苦了。", "對對。", "嗯嗯，對。", "沒關係。"])
def test_closings_and_traditional_back_channels_are_not_clustered(text):
    selector = StatementSelector(load_config("zh").select)
    assert selector.exclusion_reason(text, jieba.lcut(text), "participant") == BACKCHANNEL


def test_thanks_inside_a_statement_with_content_is_clustered():
    selector = StatementSelector(load_config("zh").select)
    text = "病人出院的時候跟我們說謝謝，覺得這份工作有意義。"
    assert selector.exclusion_reason(text, jieba.lcut(text), "participant") is None


def test_the_default_back_channels_are_found_in_traditional_script_too():
    assert StatementSelector().exclusion_reason("對對，是的。", ["對對", "，", "是的"], "participant") == BACKCHANNEL


@pytest.mark.parametrize("text", ["不客气，谢谢你们。", "不客氣，謝謝你們。", "Thank you, bye.", "再见！",
                                  "辛苦你们了，再见。", "謝謝您，辛苦了。"])
def test_the_default_settings_leave_closings_out_too(text):
    """Without --config zh (the demo's mixed English and Chinese study), as with it."""
    assert StatementSelector().exclusion_reason(text, jieba.lcut(text), "participant") == BACKCHANNEL


# --- the review app's search folds the two scripts ----------------------------------------------------


def test_search_finds_a_word_in_either_script(tmp_path):
    from fixtures.review.study import build
    from qualflow.models import Statement, Store
    from qualflow.review.pages import Filters, search_statements
    from sqlalchemy import select, update

    store = Store(f"sqlite:///{tmp_path / 'study.sqlite'}")
    build(store)
    with store.session() as session:
        taipei, shanghai = session.scalars(select(Statement.id).order_by(Statement.id).limit(2)).all()
        session.execute(update(Statement).where(Statement.id == taipei).values(text="護病比太高，家屬常常打電話來。"))
        session.execute(update(Statement).where(Statement.id == shanghai).values(text="护病比一比十二，家属说压力太大了。"))
        session.commit()
        for typed in ("护病比", "護病比"):
            found, _ = search_statements(session, Filters(q=typed), 1)
            assert {row["statement"].id for row in found} == {taipei, shanghai}, typed
        found, _ = search_statements(session, Filters(q="打电话"), 1)
        assert {row["statement"].id for row in found} == {taipei}  # only the Taipei one says it
    store.dispose()
