"""The nightly job: a Prefect deployment that processes what is new or changed in an inbox folder.

`qualflow serve --inbox DIR --cron "0 2 * * *"` registers the batch flow as a deployment on the
Prefect server named by PREFECT_API_URL (start one with `prefect server start`; its UI shows every
run) and stays up to run it on schedule, or when someone presses "Run" in the UI. Each run is the
same flow as `qualflow run`: unchanged files are recognised by content hash and skipped, so a run
only does the new work. At most one run at a time works on a study.
"""

from __future__ import annotations

from pathlib import Path

DEPLOYMENT_NAME = "qualflow-inbox"


def deployment_parameters(inbox: Path, data: Path, config: str | None, database_url: str | None = None,
                          task_runner: str = "default", dask_address: str | None = None) -> dict:
    """The flow's parameters, as absolute paths: the served run starts in a process of its own."""
    parameters = {"source": str(inbox.resolve()), "data_dir": str(data.resolve()), "config_file": config}
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


def serve_inbox(inbox: Path, data: Path, config: str | None = None, cron: str | None = None,
                interval: int | None = None, name: str = DEPLOYMENT_NAME, database_url: str | None = None,
                task_runner: str = "default", dask_address: str | None = None) -> None:
    """Serve the batch flow as a deployment until interrupted (Ctrl-C pauses its schedule)."""
    import os

    from prefect.deployments.runner import EntrypointType
    from qualflow.flows.batch import code_interviews

    if database_url:  # the runs this process starts read the password here: the parameters hold none
        os.environ["QUALFLOW_DB"] = database_url
    code_interviews.serve(
        name=name,
        cron=cron,
        interval=interval,
        parameters=deployment_parameters(inbox, data, config, database_url, task_runner, dask_address),
        description=f"Code new or changed interviews in {inbox.resolve()}",
        tags=["qualflow"],
        global_limit=1,  # two runs at once on one study would only wait for each other
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
