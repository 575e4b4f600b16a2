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
    if database_url:
        parameters["database_url"] = database_url
    return parameters


def serve_inbox(inbox: Path, data: Path, config: str | None = None, cron: str | None = None,
                interval: int | None = None, name: str = DEPLOYMENT_NAME, database_url: str | None = None,
                task_runner: str = "default", dask_address: str | None = None) -> None:
    """Serve the batch flow as a deployment until interrupted (Ctrl-C pauses its schedule)."""
    from prefect.deployments.runner import EntrypointType
    from qualflow.flows.batch import code_interviews

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
