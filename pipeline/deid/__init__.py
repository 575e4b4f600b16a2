"""De-identification of interview transcripts; the public interface is `qualflow.pipeline.deidentify`.

Modules: `findings` (the Finding record, overlap resolution), `patterns` (e-mail, phone, ID and
date-of-birth patterns, any language), `english` (spaCy NER, title and naming-cue rules),
`chinese_tokens` (jieba tokens with offsets), `chinese_names` (nr tags and title rules),
`chinese` (places, organisations, and the Chinese entry point), `detector` (the Deidentifier that
combines them, user lists, keep list, propagation), `pseudonym` (consistent placeholders),
`replace` (applying replacements with an offset map), `lexicon` (word lists).
"""
