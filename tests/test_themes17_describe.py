"""Theme labels and keywords: the label of a theme with no keyword, and Chinese pronoun + function-word
combinations (我会, 我们会) kept out of keywords."""

import re

import jieba
import numpy as np
from qualflow.pipeline.describe import describe_themes
from qualflow.pipeline.language import content_tokens


def test_a_theme_without_keywords_is_labelled_without_a_number_that_is_not_its_code():
    # The second theme's statements are fillers and stop words only: no keyword can describe it.
    tokens = [["Night", "shifts", "wear", "me", "out"], ["Night", "shifts", "again"], ["night", "shifts"],
              ["Yeah", "okay", "um"], ["yes", "yeah", "really"], ["okay", "so", "yeah"]]
    participants = ["P1", "P2", "P3", "P1", "P2", "P3"]
    described = describe_themes(np.array([0, 0, 0, 1, 1, 1]), np.zeros(6, dtype=bool), np.ones(6), tokens,
                                participants)
    assert described[1].keywords == []
    # It was "theme 2", the clustering's index, shown beside the theme's own code ("T7 theme 2").
    assert not re.search(r"\d", described[1].label)
    assert "keyword" in described[1].label and "quotes" in described[1].label
    assert described[0].label.startswith("night")  # a theme with keywords is labelled by them as before


# Realistic answers of a theme about what nurses do when families ask (我会 said in every one) and of one
# about night shifts; jieba's dictionary holds 我会 whole, so it was not cut into 我 + 会.
FAMILIES = ["我会先跟家属沟通，我会告诉他们病人现在的情况。", "家属问的时候，我会尽量解释清楚，我们会一起商量。",
            "我觉得家属最担心费用，我会帮他们问一下医保。", "有的家属很着急，我会安慰他们，然后再跟医生说。"]
NIGHTS = ["夜班太多了，我们会连续上三个夜班。", "上完夜班白天睡不着，他们会说习惯就好。",
          "夜班的时候人手不够，我会一个人看二十个病人。", "我们科室夜班排得很满，休息不够。"]


def test_pronoun_and_modal_combinations_are_no_chinese_keywords():
    texts = FAMILIES + NIGHTS
    tokens = [jieba.lcut(text) for text in texts]
    assert sum(token == "我会" for t in tokens for token in t) >= 5  # the case being tested: jieba keeps it whole
    participants = ["P1", "P2", "P3", "P4"] * 2
    families, nights = describe_themes(np.array([0] * 4 + [1] * 4), np.zeros(8, dtype=bool), np.ones(8), tokens,
                                       participants)
    for described in (families, nights):
        assert not {"我会", "我们会", "他们会", "我觉得", "就是", "然后", "他们", "这个"} & set(described.keywords)
    assert "家属" in families.keywords and "夜班" in nights.keywords


def test_content_words_opening_with_a_pronoun_or_made_of_function_characters_stay():
    from qualflow.pipeline.language import pronoun_and_function_words

    # Only a pronoun followed by nothing but function words is dropped: 我妈, 他们家, 这家医院 name something,
    # and 自由, 可怕, 绝望 are made of single-character stop words (自, 可, 绝 …) but are content words.
    assert not any(map(pronoun_and_function_words, ["我妈", "他们家", "这家医院", "我想", "自由", "可怕", "绝望"]))
    assert all(map(pronoun_and_function_words, ["我会", "你会", "他们会", "我们会", "我觉得", "我要", "这就是"]))
    words = ["自由", "可怕", "绝望", "我会", "你会", "他们会", "我要"]
    kept = content_tokens([piece for word in words for piece in (word, ",")])  # "," keeps jieba from joining them
    assert kept == ["自由", "可怕", "绝望"]
