"""The nightly job: a Prefect deployment that processes what is new or changed in an inbox folder.

`qualflow serve --inbox DIR --cron "0 2 * * *"` registers the batch flow as a deployment on the
Prefect server named by PREFECT_API_URL (start one with `prefect server start`; its UI shows every
run) and stays up to run it on schedule, or when someone presses "Run" in the UI. Each run is the
same flow as `qualflow run`: unchanged files are recognised by content hash and skipped, so a run
only does the new work. At most one run at a time works on a study.

The study is made once, by `serve` itself when it starts on a data folder (or an empty database)
with none yet; the runs it schedules never make one (`create_study=False`): a run whose study has
gone (the data folder moved, its share not mounted, the database emptied) fails in one line rather
than start a new, empty study beside the reviewers' one. So does a run whose inbox has gone.

A cron expression is read in the machine's time zone (or `--timezone`'s), not in UTC.
"""

from __future__ import annotations

from pathlib import Path

DEPLOYMENT_NAME = "qualflow-inbox"


def deployment_parameters(inbox: Path, data: Path, config: str | None, database_url: str | None = None,
                          task_runner: str = "default", dask_address: str | None = None) -> dict:
    """The flow's parameters, as absolute paths: the served run starts in a process of its own."""
    parameters = {"source": str(inbox.resolve()), "data_dir": str(data.resolve()), "config_file": config,
                  "create_study": False}  # made by `serve` when it starts (`make_study`), never by a run
    if task_runner != "default":
        parameters["task_runner"] = task_runner
        parameters["dask_address"] = dask_address
    if config and Path(config).is_file():
        parameters["config_file"] = str(Path(config).resolve())
    if database_url:  # without its password, which Prefect would keep and show (models/store.py)
        from qualflow.models.store import as_parameter

        parameters["database_url"] = as_parameter(database_url)
    return parameters


# A served deployment's runner polls the server every few seconds (PREFECT_RUNNER_POLL_FREQUENCY, 10 s);
# one not polled for this long has no `qualflow serve` behind it any more.
LIVE_WITHIN_SECONDS = 90


def _study(parameters: dict) -> str | None:
    return parameters.get("database_url") or parameters.get("data_dir")


def schedule_in_the_way(name: str, parameters: dict, flow_name: str = "qualflow-batch") -> str | None:
    """Another `qualflow serve` still serving this deployment, or a schedule on the same inbox or study:
    a message saying which, else None. Serving a second time would re-register the deployment under
    the first one (its runs would then code the second inbox, and stopping either would pause both),
    and two schedules on one study would run at once."""
    from datetime import UTC, datetime

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    now = datetime.now(UTC)
    with get_client(sync_client=True) as client:
        deployments = client.read_deployments(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))
    for deployment in deployments:
        polled = deployment.last_polled
        live = (not deployment.paused and polled is not None
                and (now - polled).total_seconds() < LIVE_WITHIN_SECONDS)
        if not live:
            continue
        served = deployment.parameters or {}
        where = f"inbox {served.get('source')}"
        if deployment.name == name:
            return (f"the deployment '{name}' is already being served ({where}) by another `qualflow serve`: "
                    "stop that one first (Ctrl-C), or give this schedule its own --name")
        if served.get("source") == parameters["source"]:
            return (f"the inbox {parameters['source']} is already on a schedule (deployment '{deployment.name}'): "
                    "stop that `qualflow serve` first")
        if _study(served) == _study(parameters):
            return (f"this study is already on a schedule (deployment '{deployment.name}', {where}); two "
                    "schedules on one study would run at once: stop that `qualflow serve` first")
    return None


def local_timezone() -> str:
    """The machine's time zone as an IANA name (what Prefect's cron schedules take): $TZ when it names
    one, else the zone /etc/localtime links to, else /etc/timezone's, else UTC."""
    import os

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(os.path.realpath("/etc/localtime"))
    except OSError:
        pass
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError):
        pass
    zones = _zones()
    for candidate in candidates:
        name = candidate.split("/zoneinfo/", 1)[-1]  # /usr/share/zoneinfo/Asia/Shanghai
        if name in zones:
            return name
    return "UTC"


def _zones() -> set[str]:
    from zoneinfo import available_timezones

    return available_timezones() - {"localtime"}  # the names Prefect accepts


def schedule_timezone(timezone: str | None) -> str:
    """The time zone a cron schedule is read in: `timezone` (an IANA name), else the machine's."""
    if timezone is None:
        return local_timezone()
    if timezone not in _zones():
        raise ValueError(f"--timezone: unknown time zone {timezone!r}; give an IANA name such as Europe/London, "
                         "America/New_York or Asia/Shanghai (the default is this machine's)")
    return timezone


def when(cron: str | None, interval: int | None, timezone: str) -> str:
    """The schedule as the start-up line says it, with the next run for a cron expression."""
    if cron is None:
        return f"every {interval} s"
    try:  # the server's own reckoning of the schedule
        import asyncio

        from prefect.server.schemas.schedules import CronSchedule

        upcoming = asyncio.run(CronSchedule(cron=cron, timezone=timezone).get_dates(n=1))
        following = f"; next run {upcoming[0].strftime('%Y-%m-%d %H:%M %Z')}" if upcoming else ""
    except Exception:  # only the message would lose it
        following = ""
    return f'"{cron}" in the time zone {timezone}{following}'


def make_study(data: Path, database_url: str | None) -> str | None:
    """Make the study when `serve` starts on a data folder (or a database) that has none yet, so that
    its runs never have to: what was made (for the start-up message), or None when it was there."""
    from qualflow.flows.batch import study_is_there
    from qualflow.models import Store, default_database_url
    from qualflow.models.store import study_location

    url = database_url or default_database_url(data)
    if study_is_there(url):
        return None
    Store(url).dispose()  # creates the schema
    return study_location(url)


def serve_inbox(inbox: Path, data: Path, config: str | None = None, cron: str | None = None,
                interval: int | None = None, name: str = DEPLOYMENT_NAME, database_url: str | None = None,
                task_runner: str = "default", dask_address: str | None = None, timezone: str | None = None) -> None:
    """Serve the batch flow as a deployment until interrupted (Ctrl-C pauses its schedule). A cron
    expression is read in `timezone` (an IANA name), by default the machine's time zone."""
    import os

    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron
    from qualflow.flows.batch import code_interviews

    if database_url:  # the runs this process starts read the password here: the parameters hold none
        os.environ["QUALFLOW_DB"] = database_url
    made = make_study(data, database_url)
    if made:
        print(f"qualflow: started a new, empty study: {made}; scheduled runs use this one and fail if it goes "
              "missing", flush=True)
    timezone = schedule_timezone(timezone)
    print(f"qualflow: deployment '{name}' codes what is new in {inbox.resolve()}, {when(cron, interval, timezone)}",
          flush=True)
    code_interviews.serve(
        name=name,
        schedules=[Cron(cron, timezone=timezone)] if cron is not None else None,
        interval=interval,
        parameters=deployment_parameters(inbox, data, config, database_url, task_runner, dask_address),
        description=f"Code new or changed interviews in {inbox.resolve()}",
        tags=["qualflow"],
        global_limit=1,  # two runs at once on one study would only wait for each other
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
