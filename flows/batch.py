"""The batch flow: a folder of interviews in, candidate themes and a report out.

It reads top to bottom like the data flow in DESIGN.md: ingest (flows/ingesting.py: each file
in its own transaction; a file that cannot be used is reported and quarantined), embed, then
place the new statements into the current themes or cluster them all again, and report.

The task runner is Prefect's default unless `with_task_runner("dask")` chooses a Dask cluster:
then per-file analysis and embedding run in parallel on its workers, with the same results.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.states import State
from prefect.utilities.annotations import quote
from qualflow.flows import run_record, tasks
from qualflow.flows.ingesting import (
    ALREADY_STORED,
    SAME_CONTENT_AS,
    each_result,
    folder_not_read,
    ingest_transcripts,
    ingest_units,
    make_helpers,
    not_in_folder,
    not_in_folder_note,
    record_outcome,
)
from qualflow.flows.progress import progress_bar, progress_with_total_later
from qualflow.models import Store, default_database_url
from qualflow.models.queries import (
    current_theme_set,
    current_themes,
    newest_transcript_id,
    question_order,
    repeated_interviews,
    statement_questions,
    suggestions_after_transcript,
)
from qualflow.models.store import (
    DATABASE_FILE,
    display_url,
    from_parameter,
    study_is_there,
    study_location,
)
from qualflow.pipeline.config import Config, load_config
from qualflow.pipeline.errors import QualflowError
from qualflow.pipeline.ingest import UNIT_EXTENSIONS, discover, other_types_line, source_name, type_label
from qualflow.pipeline.persist import clustering_fingerprint
from qualflow.pipeline.place import never_placed, released


@dataclass
class RunSummary:
    files_seen: int = 0
    transcripts_added: int = 0
    statements_added: int = 0
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # "b.txt: same content as a.txt"
    failed: list[str] = field(default_factory=list)  # one line each: "name: reason"
    # The lines of `failed` for links whose target is missing or unreadable: reported, not quarantined.
    broken_links: list[str] = field(default_factory=list)
    # The lines of `failed` for folders that could not be listed: none of their files is in `files_seen`.
    unreadable_folders: list[str] = field(default_factory=list)
    embedded: int = 0
    themes: int = 0
    reclustered: bool = False
    placed: int = 0  # new statements suggested into the current themes without re-clustering
    # Statements a reviewer released by rejecting their theme, suggested into another theme by the same
    # placement (pipeline/place.py `released`): not new, so not counted in `placed`.
    resuggested: int = 0
    report: str | None = None
    database: str | None = None
    new_suggestions: int = 0  # suggestions for statements of the transcripts this run added
    new_versions: list[str] = field(default_factory=list)  # edited files, stored as their next version
    # New files that are mostly another stored transcript's statements: "b.txt repeats 57 of its 59 …"
    repeated: list[str] = field(default_factory=list)
    # Files left out because their participant withdrew (pipeline/withdraw.py), and turns dropped for that reason.
    withdrawn: list[str] = field(default_factory=list)
    # "old id -> new id" when the study's themes were made with another encoder: every statement is
    # embedded and clustered again (vectors of two encoders are never compared).
    encoder_changed: str | None = None
    had_themes: bool = False  # whether the study had themes before this run (a re-clustering, not the first)
    # Statements in languages the encoder was not trained on (an English-only model on Chinese), by language.
    outside_encoder_languages: dict[str, int] = field(default_factory=dict)
    # Files left out for their type (a .pdf beside the transcripts), by `type_label`: not in `files_seen`.
    other_types: dict[str, int] = field(default_factory=dict)
    # Caveats about files stored (flows/ingesting.py "note"), one content-free line each: "x.txt: 1 byte was not
    # UTF-8 and was read as Windows-1252 (line 42)…", "x.txt (new version): 3 reviewer decisions … not carried over…"
    notes: list[str] = field(default_factory=list)
    # Files (live transcripts) an earlier run stored but stopped before its summary (a bug, a full disk,
    # SIGTERM): unchanged now, and counted by this run, the first finished one since (run_record.STORED_BY_RUN).
    stored_earlier: list[str] = field(default_factory=list)


def why_not_run(source: str, data_dir: str, database_url: str | None, create_study: bool) -> str | None:
    """Why a run must not start (one line), else None. Only looks: nothing is made or opened for writing."""
    inbox = Path(source).absolute()
    if not inbox.exists() or (not create_study and not inbox.is_dir()):
        return f"inbox {inbox} does not exist (or is not a folder); nothing was read or stored"
    if inbox.is_dir():
        try:
            with os.scandir(inbox):
                pass
        except OSError as error:  # a folder this user may not list would look like an empty one
            return f"inbox {inbox} cannot be read ({error.strerror or type(error).__name__}); nothing was read or stored"
    if create_study:
        return None
    data = Path(data_dir).absolute()
    url = from_parameter(database_url)
    if not data.is_dir():
        why = f"the study's data folder {data} is not there (moved, deleted, or on a share that is not mounted)"
    elif url is None and not study_is_there(default_database_url(data)):
        why = f"the study database {data / DATABASE_FILE} is not there (moved or deleted)"
    elif url is not None and not _study_is_there_if_reachable(url):
        why = f"the database {study_location(url)} holds no qualflow study (emptied, or another database)"
    else:
        return None
    return (f"{why}; a scheduled run never starts a new study, so this one stopped and made nothing: put the "
            "study back, or start `qualflow serve` again to begin a new study there")


def _study_is_there_if_reachable(url: str) -> bool:
    """`study_is_there`, or True when the server cannot be asked: opening the store then says what is wrong."""
    try:
        return study_is_there(url)
    except Exception:
        return True


def _groups_by_question(db: Store, statement_ids: list[int]) -> list[tuple[str | None, list[int]]]:
    """Survey units with a question column are clustered per question; everything else together."""
    with db.session() as session:
        question_of = statement_questions(session)
        rank = question_order(session)
    groups: dict[str | None, list[int]] = {}
    for index, statement_id in enumerate(statement_ids):
        groups.setdefault(question_of.get(statement_id), []).append(index)
    # Interview statements first, then the questions in the order the study first asks them (Q1, Q2…).
    return sorted(groups.items(), key=lambda item: (item[0] is not None, rank.get(item[0], len(rank)), item[0] or ""))


class RunRefused(QualflowError):
    """A run that must not start: its inbox is not there, or (a scheduled run) its study is not. It
    read, made and stored nothing; the CLI prints it as one line, a served run fails with it."""


def _refused(message: str) -> State:
    """The flow run's end for a `RunRefused`: Failed in one line, no traceback (`failed_quietly`).
    Called directly (`qualflow run`), the flow raises the RunRefused."""
    return tasks.failed_quietly(message, RunRefused(message))


@flow(name="qualflow-batch")
def code_interviews(source: str, data_dir: str, config_file: str | None = None, units: bool = False,
                    database_url: str | None = None, recluster: bool = False, task_runner: str = "default",
                    dask_address: str | None = None, create_study: bool = True) -> RunSummary:
    """Ingest new interviews under `source` (or, with `units`, tables of pre-cut units), then
    place the new statements into the current themes or, when that will not do (see
    pipeline/place.py) or `recluster` asks for it, cluster all significant statements again.
    `task_runner` "dask" runs per-file analysis and embedding on a Dask cluster: the scheduler
    at `dask_address`, or a temporary local one.

    With `create_study` false (the runs `qualflow serve` schedules: flows/serve.py) the data folder
    and the study database must already be there: a run whose study has gone (a folder moved, a
    share not mounted, a database emptied) fails instead of starting a new, empty study beside the
    reviewers' one. Whatever it is, a run whose `source` is not there fails too, before it makes
    anything: an inbox that is gone is not a night with no new interviews. A run of a deployment never
    makes a study, whatever its parameters say: Prefect's UI lets anyone change them for one run.

    A served run in which some files failed ends Failed, with everything else stored (`_finished`)."""
    from prefect.runtime import deployment

    create_study = create_study and deployment.id is None
    given = run_record.source_from_parameter(source)  # a file's real path (`qualflow run FILE`)
    refusal = why_not_run(given, data_dir, database_url, create_study)
    if refusal:
        return _refused(refusal)
    if task_runner != "default" and not _runs_tasks_elsewhere():
        # Prefect fixes a flow's task runner before the flow starts, and a scheduled run starts
        # from the deployment's entrypoint: so the flow runs itself again, as a subflow on the
        # chosen runner. `qualflow run` and `qualflow serve` both come this way.
        try:
            return _finished(with_task_runner(task_runner, dask_address)(
                source, data_dir, config_file, units, database_url, recluster, task_runner, dask_address, create_study))
        except QualflowError as error:  # the subflow failed in one line: so does this run, without a traceback
            failure = error
    else:
        try:
            return _finished(_ingest_and_place(given, data_dir, config_file, units, database_url, recluster))
        except QualflowError as error:
            # A step that failed (`tasks.fails_quietly`), a database that failed while storing, a lost
            # connection or lock: one line, as `qualflow run` prints it; raised, Prefect would log its traceback
            # (and the errors chained to it, which may quote a transcript) to its API and `qualflow serve`'s
            # terminal.
            failure = error
    # Out of the except block: a log handler failing while the line is logged would print the error's chain.
    return tasks.flow_failed(failure)


def _finished(summary: RunSummary) -> RunSummary | State:
    """The flow's end once its work is done. A served run in which files failed (quarantined, a broken link,
    a folder that could not be listed) ends Failed, so that Prefect's UI, automations and alerts on Failed
    runs see it: what could be stored is stored and the artifact is written all the same, and the line
    names no file (run_record.prefect_names: file names may hold a participant's name). Called directly
    (`qualflow run`, a script) or as the Dask subflow, the flow returns the summary: `run` exits 1 on it,
    and the outer run decides its own end."""
    from prefect.context import FlowRunContext
    from prefect.runtime import deployment

    context = FlowRunContext.get()
    subflow = context is not None and context.flow_run is not None and context.flow_run.parent_task_run_id
    if not summary.failed or deployment.id is None or subflow:
        return summary
    return tasks.failed_quietly(files_failed_line(summary), tasks.RunFailed(files_failed_line(summary)))


def files_failed_line(summary: RunSummary) -> str:
    """A served run's end when files failed, in one content-free line: counts, where to look, what to do."""
    failed, seen = len(summary.failed), summary.files_seen + len(summary.unreadable_folders)
    what = "files and folders" if summary.unreadable_folders else "files"
    return (f"{failed} of {seen} {what} could not be used (the run's artifact and the data folder's quarantine/ say "
            f"which, and why); everything else was stored and the run's summary written. Fix or remove "
            f"{'that file' if failed == 1 else 'those files'} in the inbox: qualflow never moves them, so an "
            "unchanged one fails again on the next run")


def _ingest_and_place(source: str, data_dir: str, config_file: str | None, units: bool, database_url: str | None,
                      recluster: bool) -> RunSummary:
    """The flow's work, once it may start (see code_interviews)."""
    logger = get_run_logger()
    config = load_config(config_file)
    data = Path(data_dir)
    # A new study's folder is its owner's only: it holds the key map, raw quarantined files, reports.
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = Store(from_parameter(database_url) or default_database_url(data))
    summary = RunSummary(database=display_url(db.url))
    helpers = make_helpers(config, data)
    parallel = _runs_tasks_elsewhere()
    run_id = run_record.this_run()
    with db.session() as session:
        last_transcript_before = newest_transcript_id(session)
        unfinished = run_record.stored_by_unfinished_runs(session, run_id)

    source_path = Path(source)
    unreadable: list[tuple[Path, str]] = []  # folders that could not be listed, and why
    other_types = Counter()
    other_files: list[Path] = []  # in the folder, but of a type this run does not read

    def of_other_type(path: Path) -> None:
        other_types.update([type_label(path)])
        other_files.append(path)

    paths = list(discover(source_path, UNIT_EXTENSIONS if units else config.ingest.extensions, skip=data,
                          unreadable_folder=lambda folder, why: unreadable.append((folder, why)),
                          other_type=of_other_type))
    summary.files_seen, summary.other_types = len(paths), dict(other_types)
    if other_types:
        logger.info("skipped %s", other_types_line(summary.other_types, "--units" if units else "qualflow"))

    def record(path: Path, outcome) -> None:
        record_outcome(summary, path, source_path, data, config, outcome, logger)

    for folder, why in unreadable:
        record(folder, folder_not_read(folder, source_path, why))
    with progress_bar("files", len(paths)) as advance:
        if units:
            for path in paths:
                for outcome in ingest_units(path, source_path, db, helpers):
                    record(path, outcome)
                advance(1)
        else:
            ingest_transcripts(paths, source_path, db, helpers, parallel, record, advance)
    with db.session() as session:  # after ingest: a file this run stored a new version of counts as that
        stored_earlier = run_record.live_files(session, unfinished)
    summary.stored_earlier = [name for _, name in stored_earlier]
    logger.info("%d files: %d new, %d new versions of stored ones, %d unchanged, %d duplicates, %d withdrawn, %d failed; "
                "%d stored by an earlier unfinished run", summary.files_seen, summary.transcripts_added,
                len(summary.new_versions), len(summary.unchanged), len(summary.duplicates), len(summary.withdrawn),
                len(summary.failed), len(summary.stored_earlier))
    if source_path.is_dir():  # a run given one file knows nothing of the folder's other files
        _note_documents_not_in_folder(db, summary, source_path, paths + other_files,
                                      [folder for folder, _ in unreadable], units, logger)
    with db.session() as session:
        summary.repeated = [f"{new} repeats {shared} of its {total} statements from {old}: both are clustered, so "
                            "the interview counts twice; if it is the same interview under a new name, keep one file"
                            for new, old, shared, total in repeated_interviews(session, last_transcript_before)]
        # The key map now holds this run's names too; what goes to Prefect shows file names through it.
        for_prefect = run_record.prefect_names(session, [source_name(p, source_path)
                                                         for p in paths + [folder for folder, _ in unreadable]],
                                               tasks.people_finder(config, str(helpers.cache_dir)))
    for line in summary.repeated:
        logger.warning("%s", for_prefect(line))

    encoder = tasks.encoder_for(config.embed.model_dump_json())
    with progress_with_total_later("embedding") as advance:
        if parallel:
            # Called as a plain function: a task submitted from inside another task would carry
            # that task's context (the store, the progress bar) to the workers, which cannot be sent.
            embedded = tasks.outcome(tasks.embed.fn(db, encoder, config.embed.batch_size, advance,
                                                    *_encode_elsewhere(config)))
        else:
            embedded = tasks.outcome(tasks.embed(db, encoder, config.embed.batch_size, advance, return_state=True))
    statement_ids, summary.embedded = embedded.ids, embedded.computed
    if encoder.languages is not None:
        summary.outside_encoder_languages = dict(Counter(
            language for language in embedded.languages if language not in encoder.languages))
        if summary.outside_encoder_languages:
            logger.warning("%d statements are in languages the encoder %s was not trained on (%s): their themes "
                           "will be poor; a multilingual encoder (embed.backend use or e5) reads them",
                           sum(summary.outside_encoder_languages.values()), encoder.id,
                           ", ".join(sorted(summary.outside_encoder_languages)))
    _place_or_cluster(db, embedded, encoder, config, recluster, summary, logger)
    if statement_ids:
        summary.report = str(tasks.outcome(tasks.write_report(db, data, return_state=True)))
    with db.session() as session:
        summary.new_suggestions = suggestions_after_transcript(
            session, last_transcript_before, also=[transcript_id for transcript_id, _ in stored_earlier])
    # Counted by this summary: later runs do not count them again. A run that fails before here leaves
    # its transcripts (and the earlier ones) for the next finished run to count.
    if unfinished or summary.transcripts_added or summary.new_versions:
        tasks.outcome(tasks.record_run(db, unfinished, run_id, return_state=True))
    try:
        run_record.publish(summary, for_prefect)
    except Exception as error:  # the work is done and stored; a lost artifact must not fail the run
        logger.warning("could not attach the run's artifact (%s)", type(error).__name__)
    db.dispose()
    return summary


def _note_documents_not_in_folder(db: Store, summary: RunSummary, source: Path, found: list[Path],
                                  unread_folders: list[Path], units: bool, logger) -> None:
    """One `note` line when documents in the study are not in the folder this run read (a file deleted or
    moved out of the inbox): they stay in the study; nothing is deleted because a file went."""
    with db.session() as session:
        missing = not_in_folder(session, {source_name(path, source) for path in found},
                                [source_name(folder, source) for folder in unread_folders], units)
    # A file renamed: its content is here under the new name ("b.txt: same content as a.txt, already stored"),
    # which says all; a.txt is not gone, and withdrawing anyone is not the question.
    renamed = {line.split(SAME_CONTENT_AS, 1)[1].rsplit(ALREADY_STORED, 1)[0]
               for line in summary.duplicates if SAME_CONTENT_AS in line}
    missing = [name for name in missing if name not in renamed]
    if missing:
        summary.notes.append(not_in_folder_note(missing, units))
        logger.warning("%d documents in the study are not in the folder this run read (the run's summary names "
                       "them); they stay in the study", len(missing))


def _place_or_cluster(db: Store, embedded: tasks.Embedded, encoder, config: Config, recluster: bool,
                      summary: RunSummary, logger) -> None:
    """Suggest the new statements into the current themes, or cluster every statement again."""
    statement_ids = embedded.ids
    settings = config.model_dump(mode="json", include={"cluster", "describe"})
    fingerprint = clustering_fingerprint(embedded.ids, embedded.text_hashes, encoder.id, settings)
    # Two runs at once take turns here: the second sees the first one's themes and reconciles with them.
    # Large values (vectors, token lists) go to tasks quoted: Prefect would otherwise walk every
    # element of them looking for futures (seconds per task at 4,000 statements).
    with db.exclusive("cluster"):
        with db.session() as session:
            current = current_theme_set(session)
            # Statements released by a rejected theme wait for a run to suggest them elsewhere, even when
            # nothing else changed (pipeline/place.py `released`).
            unchanged = current is not None and current.fingerprint == fingerprint \
                and not released(session, statement_ids)
            summary.themes = sum(1 for t in current_themes(session) if t.level == "theme")
            summary.had_themes = current is not None
        if current is not None and current.encoder_id != encoder.id and statement_ids:
            summary.encoder_changed = f"{current.encoder_id} -> {encoder.id}"
            logger.info("the encoder changed (%s): every statement is embedded and clustered again; reviewers' "
                        "decisions are carried over", summary.encoder_changed)
        placed = None
        if statement_ids and not unchanged and not recluster and config.incremental.place_new == "auto":
            with db.session() as session:
                new_ids = never_placed(session, statement_ids)
            placed = tasks.outcome(tasks.place_new(db, quote(embedded), fingerprint, encoder.id, settings, config,
                                                   return_state=True))
        if placed is not None:
            with db.session() as session:
                # The placement also suggests statements released by a rejected theme elsewhere: those are
                # not new. A new statement that could not be placed has no suggestion still.
                summary.placed = len(new_ids) - len(never_placed(session, new_ids))
                summary.resuggested = placed - summary.placed
                summary.themes = sum(1 for t in current_themes(session) if t.level == "theme")
            logger.info("%d new statements placed into the current themes without re-clustering%s", summary.placed,
                        f"; {summary.resuggested} statements of rejected themes suggested elsewhere"
                        if summary.resuggested else "")
        elif statement_ids and (recluster or not unchanged):
            found = []
            for question, indices in _groups_by_question(db, statement_ids):
                group = embedded.subset(indices)
                clustering = tasks.outcome(tasks.cluster(quote(group), config, return_state=True))
                found.append((question, group.ids, clustering, tasks.outcome(
                    tasks.describe(db, quote(group), quote(clustering), config, encoder, return_state=True))))
            summary.themes = tasks.outcome(tasks.store_suggestions(db, fingerprint, encoder.id, settings, quote(found),
                                                                   quote(embedded), return_state=True))
            summary.reclustered = True
            logger.info("%d statements clustered; %d themes after reconciling with reviews", len(statement_ids),
                        summary.themes)


def _runs_tasks_elsewhere() -> bool:
    """Whether the flow's task runner runs tasks in other processes (Dask), where per-file and
    embedding work is worth submitting. Prefect's default thread pool would run spaCy and the
    encoder from several threads at once, which they do not promise to support: there the
    tasks run one after another in the flow's own thread."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    context = FlowRunContext.get()
    return context is not None and not isinstance(context.task_runner, ThreadPoolTaskRunner)


# Statements per embedding task on a cluster: big enough that a task's overhead is small next to
# its work, small enough that a killed run loses little and the workers share the load.
CHUNK_BATCHES = 8


def _encode_elsewhere(config: Config) -> tuple:
    """(encode_chunks, chunk_batches) for tasks.embed: chunks go to the task runner as `tasks.encode` runs."""
    settings, batch_size = config.embed.model_dump_json(), config.embed.batch_size

    def encode_chunks(chunks):
        calls = [(chunk, len(chunk), settings, batch_size) for chunk in chunks]
        for result in each_result(tasks.encode, calls, parallel=True):
            if isinstance(result, Exception):
                raise result
            yield result

    return encode_chunks, CHUNK_BATCHES



TASK_RUNNERS = ("default", "dask")


def with_task_runner(name: str = "default", dask_address: str | None = None):
    """The batch flow with the chosen task runner. "dask" with an address uses that running
    scheduler; without one, a temporary local cluster of one single-threaded worker process per
    core (spaCy and the encoders are not shared between threads), listening on loopback only."""
    if name == "default":
        return code_interviews
    if name != "dask":
        raise ValueError(f"unknown task runner '{name}' (choose from {', '.join(TASK_RUNNERS)})")
    import os

    from prefect_dask import DaskTaskRunner

    if dask_address:
        runner = DaskTaskRunner(address=dask_address)
    else:
        runner = DaskTaskRunner(cluster_kwargs={"n_workers": max(1, os.cpu_count() or 1), "threads_per_worker": 1,
                                                "processes": True, "host": "127.0.0.1",
                                                "dashboard_address": "127.0.0.1:0"})
    return code_interviews.with_options(task_runner=runner)
