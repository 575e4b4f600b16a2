"""Comparing qualflow's suggestions with a team's manual coding, and trading codings with QDA tools.

- records:      what an importer returns (documents, codes, coded spans), before alignment
- safety:       untrusted archives and XML (size limits, path traversal, no DTDs or entities)
- csv_import, refi, taguette: the readers (CSV/XLSX, REFI-QDA .qdpx/.qde, Taguette's database)
- offsets:      which offset convention a tool used (characters or UTF-8 bytes, CRLF as 1 or 2)
- match, align: coded documents to stored transcripts, then spans to stored offsets
- importer:     `qualflow import-coding`: read, match, align, store (models/coding.py)
- agreement:    the figures (P/R/F1 after matching, kappa, alpha, ARI, NMI, coverage)
- compare:      `qualflow compare`: the study's labellings and their comparison
- report_html:  the self-contained HTML report
- export_refi, export_tables: .qdpx/.qdc and CSV/XLSX exports (de-identified text only)
"""
