"""Prefect tasks: each wraps one plain pipeline step.

Tasks hold non-hashable helpers (spaCy pipelines, the encoder) and their work is cheap to
redo or cached in the store, so Prefect's input-hash caching is switched off. Task runs
are named by file; logs carry counts and file names, never statement text. A task that fails
says so in one content-free line, never with its error's message or traceback (`fails_quietly`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache, wraps
from pathlib import Path

import numpy as np
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State
from qualflow.flows.run_record import RETRIES, counted, mark_stored_by, retry_when_transient, this_run
from qualflow.models import Store
from qualflow.models.queries import current_theme_set, current_themes
from qualflow.pipeline.cluster import (
    ThemeClusterer,
    centre_per_language,
    similarity_to_dense_centre,
)
from qualflow.pipeline.config import Config
from qualflow.pipeline.context import fit_in_context
from qualflow.pipeline.deidentify import Pseudonymiser
from qualflow.pipeline.describe import ThemeDescription, describe_themes
from qualflow.pipeline.embed import BaseEncoder, select_backend, text_to_embed
from qualflow.pipeline.embed.cache import embed_with_cache, encode_in_batches
from qualflow.pipeline.errors import QualflowError, UnreadableFile
from qualflow.pipeline.ingest import Document, read_document
from qualflow.pipeline.language import detect_language
from qualflow.pipeline.persist import (
    Assignment,
    ClusteredGroup,
    significant_statements,
    statements_kept_by_reviewers,
    store_theme_set,
    store_transcript,
    text_hash,
)
from qualflow.pipeline.place import never_placed, place_into_current_themes
from qualflow.pipeline.redact import (
    Redacted,
    people_in_file_name,
    redact,
    redact_questions,
)
from qualflow.pipeline.report import markdown_report
from qualflow.pipeline.segment import Segmenter, StatementSpan, configure_jieba
from qualflow.pipeline.select import StatementSelector
from qualflow.pipeline.turns import ParsedTurns, turns_of_document
from qualflow.pipeline.withdraw import drop_withdrawn_turns, withdrawn_participants, withdrawn_speakers

REPORT_FILE = "report.md"
log = logging.getLogger(__name__)


def _not_a_cache_dump_failure(record: logging.LogRecord) -> bool:
    # jieba logs a failed write of its dictionary cache (a full disk) at ERROR with a traceback, though it
    # goes on without the cache; the only cost is a slower start next time. A full disk is said by the run.
    return not str(record.msg).startswith("Dump cache file failed")


logging.getLogger("jieba").addFilter(_not_a_cache_dump_failure)


@dataclass(frozen=True)
class ReadResult:
    document: Document | None
    error: str | None


def read_file(path: Path, name: str, max_file_mb: float, max_unpacked_mb: float) -> ReadResult:
    """Not a task: see flows/ingesting.py (every file is read; most are unchanged)."""
    try:
        return ReadResult(read_document(path, max_file_mb=max_file_mb, max_unpacked_mb=max_unpacked_mb,
                                        name=name), None)
    except UnreadableFile as error:
        return ReadResult(None, str(error))


@lru_cache(maxsize=2)
def deidentifier_for(config_json: str, cache_dir: str):
    """One de-identifier (spaCy and jieba loaded once) per settings and process: the flow and each
    Dask worker build their own and keep it for later runs."""
    from qualflow.pipeline.config import DeidentifyConfig
    from qualflow.pipeline.deidentify import Deidentifier

    return Deidentifier(DeidentifyConfig.model_validate_json(config_json), cache_dir=Path(cache_dir))


@lru_cache(maxsize=2)
def encoder_for(config_json: str) -> BaseEncoder:
    """One encoder per settings and process (see `deidentifier_for`)."""
    from qualflow.pipeline.config import EmbedConfig

    return select_backend(EmbedConfig.model_validate_json(config_json))


@dataclass(frozen=True)
class Analysis:
    """What reading a new file found: its speaker turns and what to de-identify in it."""

    parsed: ParsedTurns
    findings: list
    deidentify: bool = True  # whether participant ids that are not codes are replaced when stored
    people_in_name: tuple[str, ...] = ()  # people named in the file's name (pipeline.redact.people_in_file_name)


class StepFailed(QualflowError):
    """A task that failed: which `step`, and why in a `content_free` line (its str, so a file's quarantine
    reason reads as it always did). The error itself is its __cause__, for the flow's own decisions (retry
    it, blame the file, stop for the database): Prefect logs a failed state's data by repr, which is this
    line only, and never looks at its cause."""

    def __init__(self, reason: str, step: str = "finish a step"):
        super().__init__(reason, step)
        self.reason, self.step = reason, step

    def __str__(self) -> str:
        return self.reason

    @property
    def line(self) -> str:
        return f"could not {self.step} ({self.reason})"


class RunFailed(QualflowError):
    """What a served run (or a subflow) ends with: its one line, and no error chained to it. Prefect's
    engine raises a failed run's error at the end of a served run and logs it with its traceback."""


def content_free(error: BaseException) -> str:
    """What went wrong, in one line that quotes no transcript: a QualflowError's message (written for
    users: it names files and settings, never their words), else only the error's type, since a
    library's message, its repr (which Prefect logs) and a traceback may quote the text it failed on."""
    if isinstance(error, QualflowError):
        return " ".join(str(error).splitlines())
    return type(error).__name__


def failed_quietly(message: str, error: BaseException) -> State:
    """A task or flow run's end in `error` without the traceback raising would log: Failed, with the one
    line `message` in the run's log and as the state's message, both kept by Prefect's server (so neither
    may quote a transcript: `content_free`). Prefect logs the state's repr too, so `error`'s repr must not
    quote one either. Calling the task or flow raises `error`."""
    get_run_logger().error("%s", message)
    return Failed(message=message, data=error)


def fails_quietly(step: str):
    """For a task's body: an exception ends the task run Failed in one line, "could not {step} (reason)",
    with a `StepFailed` standing for the error, where raised it would have Prefect log its repr and
    traceback, which can quote a transcript. Retries still see the error (the StepFailed's
    cause: run_record.retry_when_transient). A task that returns a Failed state hands the state back
    when called, so call it with return_state=True and take its result with `outcome`.
    The traceback goes to this module's DEBUG log (off by default), never to Prefect's API."""
    def decorate(body):
        @wraps(body)
        def quietly(*args, **kwargs):
            try:
                return body(*args, **kwargs)
            except Exception as error:
                failure = error
            # Logged out of the except block: a log handler that fails there (a closed terminal) prints its
            # own traceback, "during handling of" the error, message and all.
            log.debug("could not %s", step, exc_info=failure, extra={"send_to_api": False})
            failed = StepFailed(content_free(failure), step)
            failed.__cause__ = failure
            # Not logged here: an attempt that is retried would log it too. Prefect logs the state's message
            # once the task run ends ("Finished in state Failed('could not …')").
            return Failed(message=failed.line, data=failed)
        return quietly
    return decorate


def outcome(result):
    """A task's result, from its state (`task(..., return_state=True)`) or from its body called as a plain
    function (`task.fn(...)`): a step that failed raises its StepFailed (see `fails_quietly`)."""
    return result.result() if isinstance(result, State) else result


def original(error: BaseException) -> BaseException:
    """The error a failed step met (a StepFailed's cause), for the decisions the error itself drives:
    whether the database is at fault, what `qualflow run` says."""
    if isinstance(error, StepFailed) and error.__cause__ is not None:
        return error.__cause__
    return error


class DiskFull(QualflowError):
    """A step that failed because the disk is full: not a bug, and not a transcript's fault. One line
    (models.store.disk_full_message) for `qualflow run` (exit 2) and for a served run."""


def _where_full(cause: BaseException) -> str:
    """What the disk-full line names: the folder of the file a write failed on, the data folder for another
    file write, else the study database (its SQLite file, or its URL without password)."""
    from prefect.runtime import flow_run
    from qualflow.models.store import default_database_url, from_parameter, study_location

    if getattr(cause, "filename", None):
        return str(Path(cause.filename).parent)
    parameters = flow_run.parameters or {}
    data_dir = parameters.get("data_dir")
    if isinstance(cause, OSError) and data_dir:
        return str(data_dir)
    url = from_parameter(parameters.get("database_url"))
    if not url and data_dir:
        url = default_database_url(Path(data_dir))
    return study_location(url) if url else "the study's data folder"


def disk_full(error: StepFailed) -> DiskFull | None:
    """The step's failure as a DiskFull when its cause says the disk is full (SQLITE_FULL, ENOSPC), else None."""
    from qualflow.models.store import disk_full_message, is_disk_full

    if not is_disk_full(error.__cause__):
        return None
    return DiskFull(disk_full_message(_where_full(error.__cause__), error.step))


def flow_failed(error: QualflowError) -> State:
    """The batch flow's end for a QualflowError (a failed step's StepFailed among them): Failed in one line,
    the step and a content-free reason. Called directly (`qualflow run`), the flow raises the error the
    step met, as it always has, so `run` says what it always said; a full disk, a `DiskFull`. A served run,
    or a subflow, ends with a `RunFailed` instead: its error is raised by Prefect's engine and logged with
    its traceback and causes."""
    from prefect.context import FlowRunContext
    from prefect.runtime import deployment

    full = disk_full(error) if isinstance(error, StepFailed) else None
    if full is not None:  # not a bug: said as the ingest step and the read-only checks say theirs
        error = full
    line = error.line if isinstance(error, StepFailed) else content_free(error)
    context = FlowRunContext.get()
    subflow = context is not None and context.flow_run is not None and context.flow_run.parent_task_run_id
    if deployment.id is None and not subflow:
        return failed_quietly(line, original(error))
    return failed_quietly(line, RunFailed(line))


@task(cache_policy=NO_CACHE, task_run_name="analyse file {document.content_hash:.8}")
@fails_quietly("analyse the file")
def analyse(document: Document, default_participant: str | None, config: Config, cache_dir: str) -> Analysis:
    """Speaker turns and identifiers: the costly, independent part of a file's work (spaCy's NER),
    so it is the part a Dask cluster runs in parallel. Pure: it reads and writes no store."""
    return _analyse(document, default_participant, config, cache_dir)


def _analyse(document: Document, default_participant: str | None, config: Config, cache_dir: str) -> Analysis:
    parsed = turns_of_document(document, default_participant, config.turns)
    enabled = config.deidentify.enabled
    if not any(turn.role == "participant" for turn in parsed.turns):
        return Analysis(parsed, [], enabled)
    return Analysis(parsed, identifiers(document, parsed, config, cache_dir), enabled,
                    file_name_people(document, config, cache_dir))


def file_name_people(document: Document, config: Config, cache_dir: str) -> tuple[str, ...]:
    find = people_finder(config, cache_dir)
    return tuple(find(document.source_name)) if find else ()


def people_finder(config: Config, cache_dir: str):
    """The people a file's name holds (`people_in_file_name`); None when de-identification is off."""
    if not config.deidentify.enabled:
        return None
    deidentifier = deidentifier_for(config.deidentify.model_dump_json(), cache_dir)
    return lambda name: people_in_file_name(name, lambda words: deidentifier.find(words, detect_language(words)))


def identifiers(document: Document, parsed: ParsedTurns, config: Config, cache_dir: str) -> list:
    """What de-identification must replace in a document (nothing when it is switched off)."""
    if not config.deidentify.enabled:
        return []
    deidentifier = deidentifier_for(config.deidentify.model_dump_json(), cache_dir)
    participant_text = " ".join(document.text[t.start:t.end] for t in parsed.turns)
    return deidentifier.find(document.text, detect_language(participant_text))


@task(cache_policy=NO_CACHE, task_run_name="de-identify file {document.content_hash:.8}")
@fails_quietly("de-identify the file")
def deidentify(document: Document, parsed: ParsedTurns, config: Config, cache_dir: str,
               pseudonymiser: Pseudonymiser) -> Redacted:
    """Turns given by a table of pre-cut units, de-identified with the study's pseudonyms, their
    survey questions too."""
    for person in file_name_people(document, config, cache_dir):
        pseudonymiser.placeholder("PERSON", person)  # into the key map, so exports replace it in the name
    redacted = redact(document.text, parsed, identifiers(document, parsed, config, cache_dir), pseudonymiser,
                      config.deidentify.enabled)
    if not config.deidentify.enabled:
        return redacted
    deidentifier = deidentifier_for(config.deidentify.model_dump_json(), cache_dir)
    questions = redact_questions(redacted.parsed, lambda text: deidentifier.find(text, detect_language(text)),
                                 pseudonymiser)
    return replace(redacted, parsed=questions)


@dataclass(frozen=True)
class Stored:
    outcome: str  # added | failed
    message: str | None
    statements: int


@task(cache_policy=NO_CACHE, task_run_name="store file {document.content_hash:.8}", retry_condition_fn=retry_when_transient,
      **RETRIES)
@fails_quietly("store the file")
def store_file(db: Store, document: Document, analysis: Analysis, key_map: dict, segmenter: Segmenter,
               selector: StatementSelector) -> Stored:
    """Pseudonymise with the study's key map, cut statements, choose the significant ones and store
    it all in one transaction. Runs in the flow, one file at a time in file order, so placeholders
    are numbered the same whichever task runner analysed the files."""
    with db.session() as session:
        withdrawn = withdrawn_participants(session)
    pseudonymiser = Pseudonymiser(existing=key_map, taken=withdrawn.ids)
    for person in analysis.people_in_name:
        pseudonymiser.placeholder("PERSON", person)  # into the key map, so exports replace it in the name
    redacted = redact(document.text, analysis.parsed, analysis.findings, pseudonymiser, analysis.deidentify,
                      people_in_name=analysis.people_in_name)
    spans = segmenter.segment(redacted.text, redacted.parsed.turns)
    turns = redacted.parsed.turns
    exclusions = [selector.exclusion_reason(s.text, s.tokens, turns[s.turn_index].role) for s in spans]
    redacted, spans, exclusions, dropped = drop_withdrawn_turns(
        redacted, spans, exclusions, withdrawn_speakers(withdrawn, pseudonymiser.new_entries))
    if dropped and not any(turn.role == "participant" for turn in redacted.parsed.turns):
        return Stored("withdrawn", f"{document.source_name}: left out, its participants withdrew from the study", 0)
    if dropped:
        log.info("%s: left out %d turns of withdrawn participants", document.source_name, dropped)
    if all(reason is not None for reason in exclusions):
        return Stored("failed", f"{document.source_name}: no participant statements worth clustering "
                      f"({len(spans)} statements, all excluded)", 0)
    added = _store_transcript(db, document, redacted, spans, exclusions, pseudonymiser.new_entries)
    return Stored("added", None, added)


@task(cache_policy=NO_CACHE, task_run_name="store file {document.content_hash:.8}", retry_condition_fn=retry_when_transient,
      **RETRIES)
@fails_quietly("store the file")
def store(db: Store, document: Document, redacted: Redacted, spans: list[StatementSpan],
          exclusions: list[str | None], new_pseudonyms: dict) -> int:
    """Store a de-identified, segmented document (tables of pre-cut units come this way)."""
    return _store_transcript(db, document, redacted, spans, exclusions, new_pseudonyms)


def _store_transcript(db: Store, document: Document, redacted: Redacted, spans: list[StatementSpan],
                      exclusions: list[str | None], new_pseudonyms: dict) -> int:
    participant_text = " ".join(redacted.text[t.start:t.end] for t in redacted.parsed.turns if t.role == "participant")
    with db.session() as session:
        transcript = store_transcript(session, document, redacted.text, redacted.parsed,
                                      detect_language(participant_text), spans, exclusions,
                                      redacted.replacements, new_pseudonyms)
        if transcript is None:
            return 0
        mark_stored_by(transcript, this_run())  # until a finished run's summary counts it (run_record.py)
        return len(spans)


@dataclass(frozen=True)
class Embedded:
    """The significant statements, read once, with what clustering and describing need."""

    ids: list[int]
    text_hashes: list[str]  # of the texts as embedded (pipeline.embed.text_to_embed)
    languages: list[str]
    tokens: list[list[str]]
    participants: list[str | None]
    vectors: np.ndarray
    computed: int  # how many vectors were not in the cache
    # Where each statement sits (transcript id, index in it): its neighbours give it context.
    documents: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)

    def subset(self, indices: list[int]) -> Embedded:
        return Embedded([self.ids[i] for i in indices], [self.text_hashes[i] for i in indices],
                        [self.languages[i] for i in indices], [self.tokens[i] for i in indices],
                        [self.participants[i] for i in indices], self.vectors[indices], 0,
                        [self.documents[i] for i in indices], [self.positions[i] for i in indices])


@task(cache_policy=NO_CACHE, task_run_name="embed", retry_condition_fn=retry_when_transient, **RETRIES)
@fails_quietly("embed the statements")
def embed(db: Store, encoder: BaseEncoder, batch_size: int, progress=None, encode_chunks=None,
          chunk_batches: int = 1) -> Embedded:
    """Every significant statement's vector; only the ones not cached are computed (a retry
    continues where a failed attempt stopped: finished chunks are committed). `encode_chunks`:
    see pipeline.embed.cache."""
    with db.session() as session:
        rows = significant_statements(session)
        texts = [text_to_embed(s.text, s.language) for s in rows]
        vectors, computed = embed_with_cache(
            session, encoder, texts, [s.text_hash for s in rows], batch_size, progress, encode_chunks, chunk_batches,
            rewritten=[text != s.text for text, s in zip(texts, rows)],
        )
        # The clustering's fingerprint covers the texts as embedded: a study whose Traditional statements
        # are now embedded in Simplified is not "unchanged".
        return Embedded([s.id for s in rows], [text_hash(text) for text in texts], [s.language for s in rows],
                        [s.tokens for s in rows], [s.participant for s in rows], vectors, computed,
                        [s.transcript_id for s in rows], [s.index for s in rows])


@task(cache_policy=NO_CACHE, task_run_name="encode {n} texts")
@fails_quietly("encode the statements")
def encode(texts: list[str], n: int, embed_config_json: str, batch_size: int) -> np.ndarray:
    """One chunk of statements embedded where the task runner puts it (a Dask worker builds its
    encoder once). `n` only names the task run: the texts themselves never appear in names or logs."""
    return encode_in_batches(encoder_for(embed_config_json), texts, batch_size)


@task(cache_policy=NO_CACHE, task_run_name="cluster")
@fails_quietly("cluster the statements")
def cluster(statements: Embedded, config: Config) -> ThemeClusterer:
    settings = config.cluster
    vectors = centre_per_language(statements.vectors, statements.languages)

    def make_clusterer() -> ThemeClusterer:
        return ThemeClusterer(
            min_cluster_size=settings.min_cluster_size,
            reducer=settings.reducer,
            n_components=settings.n_components,
            weak_fit_threshold=settings.weak_fit_threshold,
        )

    return fit_in_context(make_clusterer, vectors, statements.documents, statements.positions, settings.context,
                          settings.context_window, settings.context_weight)


@task(cache_policy=NO_CACHE, task_run_name="describe")
@fails_quietly("describe the themes")
def describe(db: Store, statements: Embedded, clustering: ThemeClusterer, config: Config,
             encoder: BaseEncoder) -> tuple[list[ThemeDescription], list[ThemeDescription]]:
    """Descriptions of the subcategories and of the themes."""
    # Keyword tokens are cut again by jieba's dictionary (language.content_token_forms), which must hold
    # the study's own words even when this run segmented no transcript.
    configure_jieba(None, config.segment.user_dictionary)

    def embed_words(words: list[str]) -> np.ndarray:
        # Candidate keywords come from de-identified statements; cached like statements.
        with db.session() as session:
            vectors, _ = embed_with_cache(session, encoder, words, [text_hash(w) for w in words],
                                          batch_size=config.embed.batch_size)  # the statements' batches
        return vectors

    options = {"n_keywords": config.describe.n_keywords, "n_exemplars": config.describe.n_exemplars,
               "label_keywords": config.describe.label_keywords, "embed_words": embed_words}
    # Cohesion on the statements' own vectors, not those blended with their neighbours for clustering:
    # placement later refreshes it from the stored vectors (pipeline/place.py), and both must agree.
    own = centre_per_language(statements.vectors, statements.languages)
    # Statements reviewers put or kept in a theme stay there whatever cluster this run gives them
    # (pipeline/reconcile.py), so a cluster's keywords come from its other statements: a reviewer's split-off
    # "electronic records" clustered with sickness cover gave the sickness-cover theme their keywords.
    with db.session() as session:
        kept = statements_kept_by_reviewers(session, statements.ids)
    not_core = clustering.outlier_ | np.array([i in kept for i in statements.ids], dtype=bool)
    subcategories = describe_themes(
        clustering.assigned_, not_core, clustering.similarity_, statements.tokens, statements.participants,
        cohesion_similarity=similarity_to_dense_centre(own, clustering.assigned_, clustering.outlier_), **options)
    themes = describe_themes(
        clustering.themes_, not_core, clustering.theme_similarity_, statements.tokens,
        statements.participants,
        cohesion_similarity=similarity_to_dense_centre(own, clustering.themes_, clustering.outlier_), **options)
    return subcategories, themes


@task(cache_policy=NO_CACHE, task_run_name="store suggestions", retry_condition_fn=retry_when_transient,
      **RETRIES)
@fails_quietly("store the suggestions")
def store_suggestions(db: Store, fingerprint: str, encoder_id: str, settings: dict, found: list[tuple],
                      statements: Embedded) -> int:
    """`found`: (question, statement ids, clustering, (subcategory, theme descriptions)) per group.
    Reviewers' decisions carry over (pipeline/reconcile.py); new statements are placed by
    similarity in the space the clusterer saw (each language's mean removed)."""
    with db.session() as session:
        by_id = {s.id: s for s in significant_statements(session)}
        groups = []
        for question, statement_ids, clustering, (subcategories, themes) in found:
            assignments = [
                Assignment(int(k), float(sim), bool(out), bool(weak))
                for k, sim, out, weak in zip(clustering.assigned_, clustering.similarity_, clustering.outlier_,
                                             clustering.weak_fit_)
            ]
            groups.append(ClusteredGroup(question, [by_id[i] for i in statement_ids], assignments, subcategories,
                                         themes, [int(p) for p in clustering.parents_]))
        vectors = centre_per_language(statements.vectors, statements.languages)
        store_theme_set(session, fingerprint, encoder_id, settings, groups, statements.ids, vectors)
        return sum(1 for t in current_themes(session) if t.level == "theme")


@task(cache_policy=NO_CACHE, task_run_name="place new statements", retry_condition_fn=retry_when_transient,
      **RETRIES)
@fails_quietly("place the new statements")
def place_new(db: Store, statements: Embedded, fingerprint: str, encoder_id: str, settings: dict,
              config: Config) -> int | None:
    """Suggest statements no run has placed yet into the current themes (pipeline/place.py);
    how many, or None when the study needs clustering instead (nothing is written then)."""
    with db.session() as session:
        current = current_theme_set(session)
        if current is None or current.encoder_id != encoder_id or current.settings != settings:
            return None
        new_ids = never_placed(session, statements.ids)
        vectors = centre_per_language(statements.vectors, statements.languages)
        placed = place_into_current_themes(session, current, statements.ids, vectors, new_ids, fingerprint,
                                           config.incremental.max_new_share, config.cluster.min_cluster_size)
        return None if placed is None else len(placed)


@task(cache_policy=NO_CACHE, task_run_name="record the run", retry_condition_fn=retry_when_transient, **RETRIES)
@fails_quietly("record the run")
def record_run(db: Store, earlier_transcript_ids: list[int], run_id: str) -> None:
    """The run's summary counts its transcripts and those an earlier unfinished run stored: their marks
    go (run_record.py `STORED_BY_RUN`), so no later run counts them again. Under the lock storing and
    `qualflow withdraw` take: neither changes a transcript under it."""
    with db.exclusive("ingest"), db.session() as session:
        counted(session, earlier_transcript_ids, run_id)


@task(cache_policy=NO_CACHE, task_run_name="report")
@fails_quietly("write the report")
def write_report(db: Store, data_dir: Path) -> Path:
    with db.session() as session:
        text = markdown_report(session)
    path = data_dir / REPORT_FILE
    # Written beside it and then renamed over it: a full disk leaves the last whole report, not half a new one.
    partial = path.with_name(f".{REPORT_FILE}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
