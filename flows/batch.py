"""The batch flow: a folder of interviews in, candidate themes and a report out.

Each task wraps one plain pipeline step; the flow reads top to bottom like the data flow
in DESIGN.md. Logs carry counts and file names, never statement text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from qualflow.models import Store, default_database_url
from qualflow.models.queries import current_theme_set
from qualflow.pipeline.cluster import ThemeClusterer
from qualflow.pipeline.config import Config, load_config
from qualflow.pipeline.describe import ThemeDescription, describe_themes
from qualflow.pipeline.embed import BaseEncoder, select_backend
from qualflow.pipeline.embed.cache import embed_with_cache
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import Document, discover, read_document
from qualflow.pipeline.language import detect_language
from qualflow.pipeline.persist import (
    Assignment,
    clustering_fingerprint,
    is_stored,
    significant_statements,
    store_theme_set,
    store_transcript,
)
from qualflow.pipeline.report import markdown_report
from qualflow.pipeline.segment import Segmenter, StatementSpan
from qualflow.pipeline.select import StatementSelector
from qualflow.pipeline.turns import ParsedTurns, parse_turns

REPORT_FILE = "report.md"


@dataclass
class RunSummary:
    files_seen: int = 0
    transcripts_added: int = 0
    statements_added: int = 0
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line each: "name: reason"
    embedded: int = 0
    themes: int = 0
    reclustered: bool = False
    report: str | None = None
    database: str | None = None


@dataclass(frozen=True)
class ReadResult:
    document: Document | None
    error: str | None


# Tasks hold non-hashable helpers (the spaCy pipelines, the encoder), and the work is
# cheap to redo or cached in the store, so Prefect's input-hash caching is switched off.
@task(cache_policy=NO_CACHE, task_run_name="ingest {path.name}")
def ingest(path: Path, max_file_mb: float) -> ReadResult:
    try:
        return ReadResult(read_document(path, max_file_mb), None)
    except UnreadableFile as error:
        return ReadResult(None, str(error))


@task(cache_policy=NO_CACHE, task_run_name="speaker turns {document.source_name}")
def speaker_turns(document: Document, default_participant: str) -> ParsedTurns:
    return parse_turns(document.text, default_participant=default_participant)


@task(cache_policy=NO_CACHE, task_run_name="statements {document.source_name}")
def statements(document: Document, parsed: ParsedTurns, segmenter: Segmenter) -> list[StatementSpan]:
    return segmenter.segment(document.text, parsed.turns)


@task(cache_policy=NO_CACHE, task_run_name="select {document.source_name}")
def select_significant(document: Document, parsed: ParsedTurns, spans: list[StatementSpan],
                       selector: StatementSelector) -> list[str | None]:
    return [selector.exclusion_reason(s.text, s.tokens, parsed.turns[s.turn_index].role) for s in spans]


@task(cache_policy=NO_CACHE, task_run_name="store {document.source_name}")
def store(store: Store, document: Document, parsed: ParsedTurns, spans: list[StatementSpan],
          exclusions: list[str | None]) -> int:
    participant_text = " ".join(document.text[t.start:t.end] for t in parsed.turns if t.role == "participant")
    with store.session() as session:
        transcript = store_transcript(session, document, parsed, detect_language(participant_text), spans, exclusions)
        return 0 if transcript is None else len(spans)


@task(cache_policy=NO_CACHE)
def embed(store: Store, encoder: BaseEncoder, batch_size: int) -> tuple[list[int], np.ndarray, int]:
    with store.session() as session:
        rows = significant_statements(session)
        vectors, computed = embed_with_cache(
            session, encoder, [s.text for s in rows], [s.text_hash for s in rows], batch_size
        )
        return [s.id for s in rows], vectors, computed


@task(cache_policy=NO_CACHE)
def cluster(vectors: np.ndarray, config: Config) -> ThemeClusterer:
    return ThemeClusterer(
        min_cluster_size=config.cluster.min_cluster_size,
        reducer=config.cluster.reducer,
        n_components=config.cluster.n_components,
        weak_fit_threshold=config.cluster.weak_fit_threshold,
    ).fit(vectors)


@task(cache_policy=NO_CACHE)
def describe(store: Store, statement_ids: list[int], clustering: ThemeClusterer, config: Config) -> list[ThemeDescription]:
    with store.session() as session:
        rows = significant_statements(session)
        by_id = {s.id: s for s in rows}
        ordered = [by_id[i] for i in statement_ids]
        return describe_themes(
            clustering.assigned_, clustering.outlier_, clustering.similarity_,
            [s.tokens for s in ordered], [s.participant for s in ordered],
            n_keywords=config.describe.n_keywords, n_exemplars=config.describe.n_exemplars,
            label_keywords=config.describe.label_keywords,
        )


@task(cache_policy=NO_CACHE)
def store_suggestions(store: Store, fingerprint: str, encoder_id: str, settings: dict, statement_ids: list[int],
                      clustering: ThemeClusterer, descriptions: list[ThemeDescription]) -> int:
    with store.session() as session:
        by_id = {s.id: s for s in significant_statements(session)}
        assignments = [
            Assignment(int(k), float(sim), bool(out), bool(weak))
            for k, sim, out, weak in zip(clustering.assigned_, clustering.similarity_, clustering.outlier_,
                                         clustering.weak_fit_)
        ]
        store_theme_set(session, fingerprint, encoder_id, settings, [by_id[i] for i in statement_ids],
                        assignments, descriptions)
        return len(descriptions)


@task(cache_policy=NO_CACHE)
def write_report(store: Store, data_dir: Path) -> Path:
    with store.session() as session:
        text = markdown_report(session)
    path = data_dir / REPORT_FILE
    path.write_text(text, encoding="utf-8")
    return path


@flow(name="qualflow-batch")
def code_interviews(source: str, data_dir: str, config_file: str | None = None) -> RunSummary:
    """Ingest new interviews under `source`, then (re)suggest themes over all significant statements."""
    logger = get_run_logger()
    config = load_config(config_file)
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    db = Store(default_database_url(data))
    summary = RunSummary(database=db.url)
    segmenter = Segmenter(config.segment, cache_dir=data / "cache")
    selector = StatementSelector(config.select)

    for path in discover(Path(source), config.ingest.extensions):
        summary.files_seen += 1
        read = ingest(path, config.ingest.max_file_mb)
        if read.error:
            summary.failed.append(read.error)
            logger.warning("skipped %s: %s", path.name, read.error)
            continue
        with db.session() as session:
            if is_stored(session, read.document.content_hash):
                summary.unchanged.append(path.name)
                continue
        parsed = speaker_turns(read.document, default_participant=path.stem)
        spans = statements(read.document, parsed, segmenter)
        exclusions = select_significant(read.document, parsed, spans, selector)
        added = store(db, read.document, parsed, spans, exclusions)
        summary.transcripts_added += 1
        summary.statements_added += added
    logger.info("%d files: %d new, %d unchanged, %d failed", summary.files_seen, summary.transcripts_added,
                len(summary.unchanged), len(summary.failed))

    encoder = select_backend(config.embed)
    statement_ids, vectors, summary.embedded = embed(db, encoder, config.embed.batch_size)
    settings = config.model_dump(mode="json", include={"cluster", "describe"})
    with db.session() as session:
        fingerprint = clustering_fingerprint(significant_statements(session), encoder.id, settings)
        current = current_theme_set(session)
        unchanged = current is not None and current.fingerprint == fingerprint
    if statement_ids and not unchanged:
        clustering = cluster(vectors, config)
        descriptions = describe(db, statement_ids, clustering, config)
        summary.themes = store_suggestions(db, fingerprint, encoder.id, settings, statement_ids, clustering,
                                           descriptions)
        summary.reclustered = True
        logger.info("%d statements clustered into %d candidate themes", len(statement_ids), summary.themes)
    if statement_ids:
        summary.report = str(write_report(db, data))
    db.dispose()
    return summary
