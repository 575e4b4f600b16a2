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

# Who serves a deployment: `serve` writes a record (its pid, host, pid namespace and process start time) under
# PREFECT_HOME while it serves, and removes it when it stops. A serve killed with SIGKILL (kill -9, the OOM
# killer, a reboot) leaves its record, and its deployment's last poll stays recent for LIVE_WITHIN_SECONDS:
# the record tells at once that this machine's serve is gone, so starting it again (systemd's Restart=) is
# not refused. A record from another machine (a shared home folder) or container says nothing about its
# process, and with no record (a serve by an older qualflow) the last poll alone decides, as before.
RECORD_FOLDER = "qualflow-serve"


def _study(parameters: dict) -> str | None:
    return parameters.get("database_url") or parameters.get("data_dir")


def _pid_namespace() -> str | None:
    """This process's pid namespace ("pid:[4026531836]"): a pid means something only inside its own."""
    import os

    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux
        return None


def serve_record_path(name: str, api_url: str | None = None, home: str | None = None) -> Path:
    """The record of who serves the deployment `name` on the Prefect server at `api_url` (by default
    PREFECT_API_URL's), under `home` (by default PREFECT_HOME)."""
    import hashlib

    from prefect.settings import get_current_settings

    settings = get_current_settings()
    api_url = str(api_url or settings.api.url or "").rstrip("/")
    key = hashlib.sha256(f"{api_url}\n{name}".encode()).hexdigest()[:24]
    return Path(home or settings.home).expanduser() / RECORD_FOLDER / f"{key}.json"


def write_serve_record(name: str, parameters: dict, pid: int | None = None) -> Path:
    """Record that process `pid` (this one) of this machine serves the deployment `name`: the record's path."""
    import json
    import os
    import socket

    import psutil

    pid = pid or os.getpid()
    try:
        started = psutil.Process(pid).create_time()
    except psutil.Error:  # a process already gone (only the tests name one)
        started = None
    path = serve_record_path(name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    record = {"deployment": name, "pid": pid, "host": socket.gethostname(), "pid_namespace": _pid_namespace(),
              "started": started, "source": parameters.get("source"), "study": _study(parameters)}
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, path)
    return path


def _read_record(path: Path) -> dict | None:
    import json

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def remove_serve_record(path: Path) -> None:
    """Remove the record at `path` if it is still this process's (a later serve may have written its own)."""
    import os
    import socket

    record = _read_record(path)
    if record and record["pid"] == os.getpid() and record.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)


def serve_is_gone(record: dict) -> bool:
    """Whether the serve a record names is certainly gone: it ran on this machine (same host, same pid
    namespace) and its pid is free, a zombie, or another process's (a start time not the record's). False
    when that cannot be told (another machine, a process this user may not read): the last poll decides."""
    import socket

    import psutil

    if record.get("host") != socket.gethostname() or record.get("pid_namespace") != _pid_namespace():
        return False
    try:
        process = psutil.Process(record["pid"])
        if process.status() == psutil.STATUS_ZOMBIE:  # killed, not yet reaped by its parent
            return True
        started = record.get("started")
        return started is not None and abs(process.create_time() - float(started)) > 1.0
    except psutil.NoSuchProcess:  # also a zombie on some systems
        return True
    except (psutil.Error, TypeError, ValueError):
        return False


def _gone_serve(deployment) -> dict | None:
    """The record of the serve of `deployment` if that serve ran on this machine and is gone, else None. The
    record must be about this deployment as served now (its inbox and study), not an older registration."""
    record = _read_record(serve_record_path(deployment.name))
    if record is None:
        return None
    served = deployment.parameters or {}
    if record.get("source") != served.get("source") or record.get("study") != _study(served):
        return None
    return record if serve_is_gone(record) else None


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
    notes = []
    for deployment in deployments:
        polled = deployment.last_polled
        live = (not deployment.paused and polled is not None
                and (now - polled).total_seconds() < LIVE_WITHIN_SECONDS)
        if not live:
            continue
        gone = _gone_serve(deployment)
        if gone is not None:  # polled a moment ago by a serve of this machine that has since been killed
            notes.append(f"qualflow: note: the previous `qualflow serve` of '{deployment.name}' (pid {gone['pid']}) "
                         "on this machine is gone (killed or crashed)"
                         + ("; this one takes over" if deployment.name == name else "; its schedule is not in the way"))
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
    for note in notes:  # only when this serve goes ahead
        print(note, flush=True)
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
    from qualflow.models.store import study_is_there
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
    parameters = deployment_parameters(inbox, data, config, database_url, task_runner, dask_address)
    record = write_serve_record(name, parameters)  # who serves it, until this process stops
    try:
        code_interviews.serve(
            name=name,
            schedules=[Cron(cron, timezone=timezone)] if cron is not None else None,
            interval=interval,
            parameters=parameters,
            description=f"Code new or changed interviews in {inbox.resolve()}",
            tags=["qualflow"],
            global_limit=1,  # two runs at once on one study would only wait for each other
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    finally:  # SIGKILL leaves it, and the next serve here sees that its process is gone
        remove_serve_record(record)
