"""The batch flow: a folder of interviews in, candidate themes and a report out.

It reads top to bottom like the data flow in DESIGN.md. Each file is ingested in its own
transaction: a file that cannot be used is reported and quarantined, and neither it nor
anything that goes wrong with it changes what is already stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger
from qualflow.flows import run_record
from qualflow.flows.progress import progress_bar, progress_with_total_later
from qualflow.flows import tasks
from qualflow.models import Store, default_database_url
from qualflow.models.store import display_url
from qualflow.models.queries import current_theme_set, current_themes, newest_transcript_id, suggestions_after_transcript
from qualflow.pipeline.config import Config, load_config
from qualflow.pipeline.embed import select_backend
from qualflow.pipeline.errors import UnreadableFile
from qualflow.pipeline.ingest import discover
from qualflow.pipeline.persist import classify_file, clustering_fingerprint, load_key_map
from qualflow.pipeline.quarantine import quarantine
from qualflow.pipeline.segment import Segmenter
from qualflow.pipeline.select import StatementSelector
from qualflow.pipeline.turns import ParsedTurns, TurnParser, TurnSpan, participant_from_file_name


@dataclass
class RunSummary:
    files_seen: int = 0
    transcripts_added: int = 0
    statements_added: int = 0
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # "b.txt: same content as a.txt"
    failed: list[str] = field(default_factory=list)  # one line each: "name: reason"
    embedded: int = 0
    themes: int = 0
    reclustered: bool = False
    placed: int = 0  # new statements suggested into the current themes without re-clustering
    report: str | None = None
    database: str | None = None
    new_suggestions: int = 0  # suggestions for statements of the transcripts this run added
    new_versions: list[str] = field(default_factory=list)  # edited files, stored as their next version


@dataclass
class _Helpers:
    """What every file needs, built once per run."""

    config: Config
    parser: TurnParser
    segmenter: Segmenter
    selector: StatementSelector
    deidentifier: object | None


def _make_helpers(config: Config, data: Path) -> _Helpers:
    deidentifier = None
    if config.deidentify.enabled:
        from qualflow.pipeline.deidentify import Deidentifier

        deidentifier = Deidentifier(config.deidentify, cache_dir=data / "cache")
    return _Helpers(config, TurnParser(config.turns), Segmenter(config.segment, cache_dir=data / "cache"),
                    StatementSelector(config.select), deidentifier)


def _ingest_units(path: Path, db: Store, helpers: _Helpers, key_map: dict) -> list[tuple[str, str | None, int]]:
    """A table of pre-cut units: each document a transcript, each unit one statement."""
    from qualflow.pipeline.deidentify import Pseudonymiser
    from qualflow.pipeline.units import read_units, units_as_documents

    try:
        units = read_units(path)
    except UnreadableFile as error:
        return [("failed", str(error), 0)]
    outcomes = []
    for document, members in units_as_documents(units, path.name):
        with db.session() as session:
            kind, _ = classify_file(session, document.content_hash, document.source_name)
            if kind in ("unchanged", "duplicate"):
                outcomes.append(("unchanged", None, 0))
                continue
        parsed = ParsedTurns(turns=[
            TurnSpan(i, "participant", None, unit.participant, turn.start, turn.end, dict(turn.meta))
            for i, (unit, turn) in enumerate(zip(members, document.source_turns))
        ])
        pseudonymiser = Pseudonymiser(existing=key_map)
        redacted = tasks.deidentify(document, parsed, helpers.deidentifier, pseudonymiser)
        spans = [helpers.segmenter.whole_turn(redacted.text, turn) for turn in redacted.parsed.turns]
        added = tasks.store(db, document, redacted, spans, [None] * len(spans), pseudonymiser.new_entries)
        key_map.update(pseudonymiser.new_entries)
        outcomes.append(("new_version", document.source_name, added) if kind == "new_version"
                        else ("added", None, added))
    return outcomes


def _ingest_file(path: Path, db: Store, helpers: _Helpers, key_map: dict) -> tuple[str, str | None, int]:
    """('added'|'new_version'|'unchanged'|'duplicate'|'failed', message, statements added)."""
    from qualflow.pipeline.deidentify import Pseudonymiser

    limits = helpers.config.ingest
    read = tasks.ingest(path, limits.max_file_mb, limits.max_unpacked_mb)
    if read.error:
        return "failed", read.error, 0
    document = read.document
    with db.session() as session:
        kind, already = classify_file(session, document.content_hash, document.source_name)
    if kind == "unchanged":
        return "unchanged", None, 0
    if kind == "duplicate":
        return "duplicate", f"{path.name}: same content as {already}, already stored; skipped", 0
    parsed = tasks.speaker_turns(document, participant_from_file_name(path.stem) or path.stem, helpers.parser)
    if not any(turn.role == "participant" for turn in parsed.turns):
        return "failed", f"{path.name}: no participant statements (only interviewer or unlabelled header text)", 0
    pseudonymiser = Pseudonymiser(existing=key_map)
    redacted = tasks.deidentify(document, parsed, helpers.deidentifier, pseudonymiser)
    spans = tasks.statements(document, redacted, helpers.segmenter)
    exclusions = tasks.select_significant(document, redacted.parsed, spans, helpers.selector)
    if all(reason is not None for reason in exclusions):
        return "failed", f"{path.name}: no participant statements worth clustering ({len(spans)} statements, all excluded)", 0
    added = tasks.store(db, document, redacted, spans, exclusions, pseudonymiser.new_entries)
    key_map.update(pseudonymiser.new_entries)
    return ("new_version" if kind == "new_version" else "added"), None, added


def _groups_by_question(db: Store, statement_ids: list[int]) -> list[tuple[str | None, list[int]]]:
    """Survey units with a question column are clustered per question; everything else together."""
    from qualflow.models import Statement, Turn
    from sqlalchemy import select

    with db.session() as session:
        rows = session.execute(select(Statement.id, Turn.meta).join(Turn, Turn.id == Statement.turn_id)
                               .where(Statement.significant.is_(True)))
        question_of = {statement_id: (meta or {}).get("question") for statement_id, meta in rows}
    groups: dict[str | None, list[int]] = {}
    for index, statement_id in enumerate(statement_ids):
        groups.setdefault(question_of.get(statement_id), []).append(index)
    return sorted(groups.items(), key=lambda item: (item[0] is not None, item[0] or ""))


@flow(name="qualflow-batch")
def code_interviews(source: str, data_dir: str, config_file: str | None = None, units: bool = False,
                    database_url: str | None = None, recluster: bool = False) -> RunSummary:
    """Ingest new interviews under `source` (or, with `units`, tables of pre-cut units), then
    place the new statements into the current themes or, when that will not do (see
    pipeline/place.py) or `recluster` asks for it, cluster all significant statements again."""
    logger = get_run_logger()
    config = load_config(config_file)
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    db = Store(database_url or default_database_url(data))
    summary = RunSummary(database=display_url(db.url))
    helpers = _make_helpers(config, data)
    with db.session() as session:
        last_transcript_before = newest_transcript_id(session)

    source_path = Path(source)
    paths = list(discover(source_path, [".csv", ".xlsx"] if units else config.ingest.extensions))
    with progress_bar("files", len(paths)) as advance:
        for path in paths:
            _ingest_one(path, source_path, db, helpers, data, summary, units, logger)
            advance(1)
    logger.info("%d files: %d new, %d unchanged, %d duplicates, %d failed", summary.files_seen,
                summary.transcripts_added, len(summary.unchanged), len(summary.duplicates), len(summary.failed))

    encoder = select_backend(config.embed)
    with progress_with_total_later("embedding") as advance:
        embedded = tasks.embed(db, encoder, config.embed.batch_size, advance)
    statement_ids, summary.embedded = embedded.ids, embedded.computed
    settings = config.model_dump(mode="json", include={"cluster", "describe"})
    fingerprint = clustering_fingerprint(embedded.ids, embedded.text_hashes, encoder.id, settings)
    # Two runs at once take turns here: the second sees the first one's themes and reconciles with them.
    with db.exclusive("cluster"):
        with db.session() as session:
            current = current_theme_set(session)
            unchanged = current is not None and current.fingerprint == fingerprint
        placed = None
        if statement_ids and not unchanged and not recluster and config.incremental.place_new == "auto":
            placed = tasks.place_new(db, embedded, fingerprint, encoder.id, settings, config)
        if placed is not None:
            summary.placed = placed
            with db.session() as session:
                summary.themes = sum(1 for t in current_themes(session) if t.level == "theme")
            logger.info("%d new statements placed into the current themes without re-clustering", placed)
        elif statement_ids and (recluster or not unchanged):
            found = []
            for question, indices in _groups_by_question(db, statement_ids):
                group = embedded.subset(indices)
                clustering = tasks.cluster(group, config)
                found.append((question, group.ids, clustering, tasks.describe(db, group, clustering, config, encoder)))
            summary.themes = tasks.store_suggestions(db, fingerprint, encoder.id, settings, found, embedded)
            summary.reclustered = True
            logger.info("%d statements clustered; %d themes after reconciling with reviews", len(statement_ids),
                        summary.themes)
    if statement_ids:
        summary.report = str(tasks.write_report(db, data))
    with db.session() as session:
        summary.new_suggestions = suggestions_after_transcript(session, last_transcript_before)
    try:
        run_record.publish(summary)
    except Exception as error:  # the work is done and stored; a lost artifact must not fail the run
        logger.warning("could not attach the run's artifact (%s)", type(error).__name__)
    db.dispose()
    return summary


def _ingest_one(path: Path, source_path: Path, db: Store, helpers: _Helpers, data: Path, summary: RunSummary,
                units: bool, logger) -> None:
    """One file, start to end, while holding the store's lock: another run at the same time
    cannot store the same file twice, and both see each other's pseudonyms."""
    summary.files_seen += 1
    with db.exclusive("ingest"):
        with db.session() as session:
            key_map = load_key_map(session)
        try:
            outcomes = _ingest_units(path, db, helpers, key_map) if units else [_ingest_file(path, db, helpers, key_map)]
        except Exception as error:  # one bad file must not stop the batch; the store is untouched
            outcomes = [("failed", f"{path.name}: could not be processed ({type(error).__name__})", 0)]
            # The type only at WARNING: an exception's message may quote the transcript.
            logger.warning("unexpected %s on %s", type(error).__name__, path.name)
            logger.debug("details", exc_info=True)
    for outcome, message, added in outcomes:
        if outcome == "failed":
            summary.failed.append(message)
            quarantine(path, source_path, data, message, helpers.config.ingest.max_file_mb)
            logger.warning("quarantined %s", path.name)
        elif outcome == "duplicate":
            summary.duplicates.append(message)
        elif outcome == "unchanged":
            summary.unchanged.append(path.name)
        elif outcome == "new_version":
            summary.new_versions.append(message or path.name)
            summary.statements_added += added
        else:
            summary.transcripts_added += 1
            summary.statements_added += added
