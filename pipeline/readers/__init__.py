"""One reader per transcript format family; `qualflow.pipeline.ingest` picks by extension.

Readers take the file's bytes (read once, after the size check) and return either plain
text (prose formats, where turns are found later from speaker labels) or a list of
RawTurn (formats whose structure already says who speaks: subtitles and tables).
Normalisation and offsets are done in `ingest`, in one place for every format.

- _text:      byte decoding (BOMs, UTF-8, GB18030/Big5, charset detection)
- _office:    .docx, .odt, .rtf
- _subtitles: .vtt, .srt
- _tables:    .csv, .xlsx
- _archive:   zip-bomb and DTD checks for the zip-based formats
"""

from qualflow.pipeline.readers._archive import check_archive
from qualflow.pipeline.readers._common import RawTurn, unreadable
from qualflow.pipeline.readers._office import read_docx, read_odt, read_rtf
from qualflow.pipeline.readers._subtitles import read_srt, read_vtt
from qualflow.pipeline.readers._tables import read_csv, read_xlsx
from qualflow.pipeline.readers._text import decode_bytes

__all__ = [
    "RawTurn", "check_archive", "decode_bytes", "read_csv", "read_docx", "read_odt", "read_rtf",
    "read_srt", "read_vtt", "read_xlsx", "unreadable",
]
