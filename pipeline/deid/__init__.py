"""De-identification of interview transcripts; the public interface is `qualflow.pipeline.deidentify`.

Modules: `findings` (the Finding record, overlap resolution), `patterns` (e-mail, phone, ID and
date-of-birth patterns, any language), `english` (spaCy NER, title and naming-cue rules),
`chinese_tokens` (jieba tokens with offsets), `chinese_names` (nr tags and title rules),
`chinese_places` (district, town, road and street rules), `chinese_place_chain` (a name and unit next to a
place already found), `chinese_orgs` (organisations), `code_switch` (names written across scripts: 表妹 Rachel, Dr 黄, 陈 Mei Ling), `chinese_vocabulary` (jieba dictionary look-ups and
shared character classes), `chinese` (the Chinese entry point), `detector` (the Deidentifier that
combines them, user lists, keep list, propagation), `pseudonym` (consistent placeholders),
`replace` (applying replacements with an offset map), `lexicon` (word lists).
"""
