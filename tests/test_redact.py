from qualflow.pipeline.deidentify import Deidentifier, Pseudonymiser
from qualflow.pipeline.redact import redact
from qualflow.pipeline.turns import parse_turns


def test_names_in_text_and_speaker_labels_are_replaced_and_turns_follow(jieba_cache):
    text = (
        "# interviewer: Sarah Jones\n\n"
        "Sarah Jones: How did the visit to Mr. Patel go?\n"
        "Tom Baker: [00:01:10] Badly. Mr. Patel would not open, so I rang 07700 900123.\n"
        "Sarah Jones: And then?\n"
        "Tom Baker: I wrote to tom.baker@example.org about it.\n"
    )
    parsed = parse_turns(text, default_participant="P4")
    finder = Deidentifier(cache_dir=jieba_cache)
    names = Pseudonymiser()
    redacted = redact(text, parsed, finder.find(text, "en"), names)
    for secret in ("Sarah", "Jones", "Tom Baker", "Patel", "07700", "example.org"):
        assert secret not in redacted.text
    assert redacted.parsed.header["interviewer"].startswith("[PERSON_")
    labels = [turn.speaker_label for turn in redacted.parsed.turns]
    assert labels[0] == labels[2] and labels[1] == labels[3] and labels[0] != labels[1]
    assert all(label.startswith("[PERSON_") for label in labels)
    # Turns still cover exactly their (now de-identified) words.
    first_answer = redacted.parsed.turns[1]
    words = redacted.text[first_answer.start : first_answer.end]
    assert words.startswith("[00:01:10] Badly.") and words.endswith(".")
    start, end, stamp = first_answer.meta["timestamps"][0]
    assert redacted.text[start:end] == "[00:01:10]" and stamp == "00:01:10"
    for record in redacted.replacements:
        assert redacted.text[record.start : record.end] == record.placeholder
    assert redacted.parsed.turns[1].participant == "P4"
    # Mr. Patel twice, one placeholder.
    assert len({r.placeholder for r in redacted.replacements if r.kind == "PERSON"}) == 3


def test_chinese_names_and_titles(jieba_cache):
    text = "访谈者：王医生怎么说？\n受访者：王医生让我们联系派出所，电话是13812345678。"
    parsed = parse_turns(text, default_participant="P6")
    redacted = redact(text, parsed, Deidentifier(cache_dir=jieba_cache).find(text, "zh"), Pseudonymiser())
    assert "王" not in redacted.text and "13812345678" not in redacted.text
    assert redacted.text.count("[PERSON_1]医生") == 2
    answer = redacted.parsed.turns[1]
    assert redacted.text[answer.start : answer.end].startswith("[PERSON_1]医生让我们")
