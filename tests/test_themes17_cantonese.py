"""Written Cantonese's words of work, home and time (返工, 放工, 攰, 成日, 返屋企 …) reach the encoder in Mandarin,
only in text written in Cantonese; a study embedded with the table before embeds those statements again, once.
Real USE encoder, real runs."""

from __future__ import annotations

import numpy as np
import pytest
from qualflow.flows.batch import code_interviews
from qualflow.models import Embedding, Statement, Store, default_database_url
from qualflow.pipeline.chinese_script import to_simplified
from qualflow.pipeline.embed import text_to_embed
from qualflow.pipeline.embed.cache import SIMPLIFIED_FORM_MARK
from sqlalchemy import select

TIRED = "我每日返工都好攰，放工仲要照顧阿媽。"  # no other Cantonese-only character: 攰 tells it is Cantonese


def test_common_colloquial_words_are_read_in_mandarin():
    assert text_to_embed(TIRED, "zh") == "我每日上班都好累，下班还要照顾阿妈。"
    assert text_to_embed("上司成日話我哋做得唔夠快。", "zh") == "上司总是话我们做得不够快。"
    assert text_to_embed("我琴日收工返屋企，啲細路已經瞓咗。", "zh") == "我昨天下班回家，些细路已经睡了。"
    assert text_to_embed("你知唔知佢喺邊度？一日做幾多個鐘㗎？", "zh") == "你知不知他在哪里？一日做多少个钟㗎？"


@pytest.mark.parametrize("mandarin", [
    "这批货要返工。",  # Mandarin 返工 is "do the work again"
    "他成日工作到很晚，今天收工很早。",
    "回到屋企业大楼，我们再谈。",
])
def test_mandarin_holding_the_same_characters_is_not_rewritten(mandarin):
    assert text_to_embed(mandarin, "zh") == mandarin


def test_a_tired_cantonese_sentence_lands_nearer_its_mandarin_twin(use_encoder):
    def unit(text: str) -> np.ndarray:
        vector = use_encoder.embed([text])[0]
        return vector / np.linalg.norm(vector)

    twin = unit("我每天上班都很累，下班还要照顾妈妈。")
    before = float(unit(to_simplified(TIRED)) @ twin)  # as read until now: 攰 did not mark it as Cantonese
    after = float(unit(text_to_embed(TIRED, "zh")) @ twin)
    assert after > before + 0.1, (before, after)


# The form the table gave this statement before 返工, 攰 and 成日 were added (佢哋 read, they not), and that
# table's mark.
STATEMENT = "我每日返工都好攰，佢哋成日叫我加班。"
PREVIOUS_FORM = "我每日返工都好攰，他们成日叫我加班。"
PREVIOUS_MARK = "qualflow:chinese-embedded-as-simplified-mandarin"


def test_a_study_embedded_with_the_previous_table_embeds_its_cantonese_statements_again_once(tmp_path, use_encoder):
    embeds_again_once(tmp_path, use_encoder, STATEMENT, PREVIOUS_FORM, PREVIOUS_MARK,
                      "我每天上班都很累，他们总是叫我加班。")


def embeds_again_once(tmp_path, encoder, statement_text: str, previous_form: str, previous_mark: str,
                      mandarin_answer: str) -> None:
    """A study whose Cantonese statement was embedded in `previous_form` under `previous_mark` (as a study made
    before a change of the table left it) embeds it again in the form the table now gives, once; a Shanghai
    interview saying the same in Mandarin stands beside it."""
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    inbox.mkdir()
    (inbox / "hk_p1.txt").write_text(f"# participant: P1\n\n訪談者：工作點樣？\n\n受訪者：{statement_text}\n", "utf-8")
    (inbox / "sh_p2.txt").write_text(f"# participant: P2\n\n访谈者：工作怎么样？\n\n受访者：{mandarin_answer}\n", "utf-8")
    code_interviews(str(inbox), str(data))
    store = Store(default_database_url(data))

    def vector() -> np.ndarray:
        with store.session() as session:
            statement = session.scalar(select(Statement).where(Statement.text == statement_text))
            return np.frombuffer(session.scalar(select(Embedding.vector).where(
                Embedding.encoder_id == encoder.id, Embedding.text_hash == statement.text_hash)), dtype="<f4")

    assert SIMPLIFIED_FORM_MARK != previous_mark  # the table changed the form: so did the mark
    assert np.allclose(vector(), encoder.embed([text_to_embed(statement_text, "zh")])[0], atol=1e-5)
    with store.session() as session:  # as a study embedded before this change left it
        statement = session.scalar(select(Statement).where(Statement.text == statement_text))
        old = encoder.embed([previous_form])[0].astype("<f4").tobytes()
        session.query(Embedding).filter_by(encoder_id=encoder.id, text_hash=statement.text_hash).update(
            {"vector": old})
        session.query(Embedding).filter_by(encoder_id=SIMPLIFIED_FORM_MARK).update({"encoder_id": previous_mark})
        session.commit()
    assert code_interviews(str(inbox), str(data)).embedded >= 1
    assert np.allclose(vector(), encoder.embed([text_to_embed(statement_text, "zh")])[0], atol=1e-5)
    assert code_interviews(str(inbox), str(data)).embedded == 0  # once
    store.dispose()


# A table word of characters Mandarin writes too, standing across two Mandarin words (完成|日期, 回收|工作), is
# left alone; the Cantonese words around it are still read in Mandarin (found by a review, 2026-11-27).
@pytest.mark.parametrize(("cantonese", "mandarin"), [
    ("佢话完成日期系下个月。", "他话完成日期系下个月。"),  # not 成日 (总是)
    ("佢喺度做回收工作。", "他在度做回收工作。"),  # not 收工 (下班)
    ("我哋去周边度假啦。", "我们去周边度假啦。"),  # not 边度 (哪里)
    ("呢个解放工人嘅故事。", "这个解放工人的故事。"),  # not 放工 (下班)
    ("佢打听日期未？", "他打听日期未？"),  # not 听日 (明天)
])
def test_table_words_straddling_two_mandarin_words_are_left_alone(cantonese, mandarin):
    assert text_to_embed(cantonese, "zh") == mandarin


def test_the_same_words_standing_as_words_are_still_read_in_mandarin():
    assert text_to_embed("佢成日收工返屋企都问我哋去边度。", "zh") == "他总是下班回家都问我们去哪里。"
    assert text_to_embed("听日放工我哋做几多个钟？", "zh") == "明天下班我们做多少个钟？"  # 多个 is a word too


# The form the table gave before it looked at word boundaries, and that table's mark.
STRADDLING = "我觉得好攰，因为要做回收工作。"
STRADDLED_FORM = "我觉得好累，因为要做回下班作。"
STRADDLING_MARK = "qualflow:chinese-embedded-as-simplified-mandarin-2"


def test_a_study_embedded_with_words_read_across_boundaries_embeds_them_again_once(tmp_path, use_encoder):
    assert text_to_embed(STRADDLING, "zh") == "我觉得好累，因为要做回收工作。"
    embeds_again_once(tmp_path, use_encoder, STRADDLING, STRADDLED_FORM, STRADDLING_MARK,
                      "我每天上班都很累，因为要做回收工作。")
