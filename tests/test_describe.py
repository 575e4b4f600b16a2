import numpy as np
from qualflow.pipeline.describe import class_tfidf, describe_themes


def test_class_tfidf_prefers_words_that_set_a_theme_apart():
    scores = class_tfidf([["visit", "visit", "team"], ["paperwork", "forms", "team"]])
    assert max(scores[0], key=scores[0].get) == "visit"
    assert scores[0]["visit"] > scores[0]["team"]
    assert max(scores[1], key=scores[1].get) in {"paperwork", "forms"}


def test_descriptions_keywords_coverage_and_exemplars():
    tokens = [
        # P2 says "visits" too: a word only one participant of a theme used is no keyword (describe._shared_by_sources).
        ["Home", "visits", "are", "long", "."], ["The", "visits", "tire", "me"], ["家访", "visits", "很", "累"],
        ["Paperwork", "never", "ends"], ["Forms", "and", "paperwork"], ["材料", "太多"],
    ]
    participants = ["P1", "P1", "P2", "P1", "P3", "P2"]
    assigned = np.array([0, 0, 0, 1, 1, 1])
    outlier = np.array([False, False, False, False, False, True])
    similarity = np.array([0.9, 0.8, 0.7, 0.9, 0.6, 0.3])
    first, second = describe_themes(assigned, outlier, similarity, tokens, participants, n_exemplars=2)
    assert first.keywords[0] == "visits"
    assert first.label.startswith("visits")
    assert first.participants == ["P1", "P2"]
    # Best first, but a second participant before a second quote from P1.
    assert first.exemplars == [0, 2]
    assert second.keywords[0] == "paperwork"
    assert 5 not in second.exemplars  # outliers do not speak for a theme
    assert second.participants == ["P1", "P2", "P3"]
    assert abs(first.cohesion - 0.8) < 1e-9


def test_keyword_diversity_avoids_near_duplicates():
    from qualflow.pipeline.describe import diverse_keywords

    words = ["visits", "visit", "visiting", "police", "family"]
    relevance = [1.0, 0.95, 0.9, 0.6, 0.5]
    assert diverse_keywords(words, relevance, None, 3) == ["visits", "police", "family"]
    # With vectors, similarity is semantic: "police" is a near-copy of "officer" here.
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0.99, 0.1], [0, 0, 1]], dtype=float)
    assert diverse_keywords(["visits", "police", "officer", "family"], [1, 0.9, 0.85, 0.5], vectors, 3) == [
        "visits", "police", "family"]


def test_placeholders_are_never_keywords_with_either_tokeniser():
    import jieba
    import spacy
    from qualflow.pipeline.describe import without_placeholders

    english = [t.text for t in spacy.blank("en")("I told [PERSON_1] and Dr [PERSON_2] at [ORG_1] about [DATE].")]
    chinese = list(jieba.cut("我跟[PERSON_1]医生在[PLACE_2]说了"))
    assert "PERSON" in chinese  # jieba cuts a placeholder into pieces: the case being tested
    assert without_placeholders(english) == ["I", "told", "and", "Dr", "at", "about", "[", "DATE", "]", "."]
    assert without_placeholders(chinese) == ["我", "跟", "医生", "在", "说", "了"]

    tokens = [english, ["[PERSON_1]", "said", "visits", "visits"], chinese, ["[", "PERSON", "_", "1", "]", "医生"]]
    first, second = describe_themes(np.array([0, 0, 1, 1]), np.zeros(4, dtype=bool), np.ones(4),
                                    tokens, ["P1", "P1", "P2", "P2"])  # one participant per theme: no word dropped
    words = first.keywords + second.keywords
    assert words and not [w for w in words if "person" in w or "org_" in w or "place" in w]
    assert "visits" in first.keywords and "医生" in second.keywords


def test_chinese_quantities_hedges_and_traditional_stop_words_are_never_keywords():
    # Spoken Chinese is full of counted things ("三十多个病人", "一年了"): the counts describe nothing
    # a theme is about, and "一年 · 最难" labelled a theme. Traditional script has the same stop words
    # in other characters (我們 is 我们).
    import jieba
    from qualflow.pipeline.language import content_tokens

    said = content_tokens(list(jieba.cut(
        "说实话，我做这个工作一年了，负责四个社区，三十多个病人，有个七十多岁的老人一个月来几次，"
        "一两个家属，四五家医院，两年前开始的，第一次上门百分之八十都不开门。")))
    for count in ("一年", "四个", "三十多个", "七十多岁", "一个月", "几次", "一两个", "四五家", "两年", "第一次",
                  "百分之八十", "说实话", "有个"):
        assert count not in said, count
    assert {"社区", "病人", "老人", "家属", "医院", "上门"} <= set(said)
    assert {"一线", "三甲", "老百姓", "一家人", "数据"} <= set(content_tokens(["一线", "三甲", "老百姓", "一家人", "数据"]))

    traditional = content_tokens(list(jieba.cut("我們那時候不會這樣做，家屬壓力很大，他們覺得沒有辦法，現在還是這個樣子。")))
    for word in ("我們", "時候", "不會", "這樣", "他們", "覺得", "沒有", "現在", "還是", "這個"):
        assert word not in traditional, word
    assert {"家属", "压力"} <= set(traditional)  # counted by their Simplified key, with 家属 written so


def test_keywords_are_counted_across_scripts_and_shown_as_the_theme_writes_them():
    import jieba

    taipei = ["家屬壓力很大，家屬常常打電話來。", "家屬希望我們多解釋，壓力真的很大。", "有的家屬每天都來。"]
    shanghai = ["夜班太累了，夜班以后要休息两天。", "上夜班的时候人手不够。", "夜班补贴不够多。"]
    tokens = [list(jieba.cut(text)) for text in taipei + shanghai]
    assigned = np.array([0, 0, 0, 1, 1, 1])
    [families, nights] = describe_themes(assigned, np.zeros(6, bool), np.ones(6), tokens, ["P5"] * 3 + ["P1"] * 3)
    assert families.keywords[0] == "家屬" and "家属" not in families.keywords  # one word, written as Taipei writes it
    assert nights.keywords[0] == "夜班"
