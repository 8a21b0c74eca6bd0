"""Executors: one interface, three ways to run a sweep's batches.

``local`` runs batches in worker processes on this machine (joblib's loky process pool;
all cores by default; one worker runs in this process), ``ray`` on a Ray cluster (an existing
one by address, or a local one bound to 127.0.0.1), ``slurm`` as a SLURM job array through
submitit (``executor.cluster=local`` runs the same jobs as local processes, for tests).
Each yields results as batches finish; the sweep writes them, so the dataset is the same
whichever executor ran it.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from alignment.errors import ConfigError

EXECUTORS = ("local", "ray", "slurm")


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_executor(ex) -> None:
    """Bad executor settings, and a Ray address that does not answer, stop the sweep before anything runs."""
    if ex.name not in EXECUTORS:
        raise ConfigError("executor", ex.name, "unknown executor; known: " + ", ".join(EXECUTORS))
    needs = {"ray": ("ray", "ray"), "slurm": ("submitit", "slurm")}.get(ex.name)
    if needs and importlib.util.find_spec(needs[0]) is None:
        raise ConfigError("executor", ex.name, f"needs the {needs[0]} package: pip install 'alignment[{needs[1]}]'")
    if ex.workers is not None and ex.workers < 1:
        raise ConfigError("executor.workers", ex.workers, "must be >= 1 (or null: every core)")
    if ex.name == "ray" and ex.address and ex.address != "auto":
        check_ray_address(ex.address, ex.connect_timeout_s)
    if ex.name == "slurm":
        if ex.cluster not in ("slurm", "local", "debug"):
            raise ConfigError("executor.cluster", ex.cluster, "allowed: slurm, local (processes on this machine), debug (in this process)")
        for key in ("timeout_min", "cpus_per_task", "array_parallelism"):
            if ex[key] < 1:
                raise ConfigError(f"executor.{key}", ex[key], "must be >= 1")


def check_ray_address(address: str, timeout_s: float) -> None:
    """A TCP connection to the address within ``timeout_s`` seconds, or a one-line error (Ray itself would retry for minutes)."""
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ConfigError("executor.address", address, "expected host:port (the head's GCS port, e.g. 10.0.0.5:6379) or ray://host:port")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConfigError("executor.address", address,
                          f"no Ray cluster answers there within {timeout_s:g} s ({exc.strerror or type(exc).__name__}); "
                          "start one with `ray start --head`, or leave executor.address empty for a local one") from None


@contextmanager
def executor(ex, folder: Path):
    """A function ``map(fn, tasks)`` that yields ``fn(task)`` for every task as they finish, in any order."""
    workers = ex.workers or default_workers()
    if ex.name == "local":
        with _local(workers) as run:
            yield run
    elif ex.name == "ray":
        with _ray(ex, workers) as run:
            yield run
    else:
        yield _slurm(ex, folder)


@contextmanager
def _local(workers: int):
    """One batch at a time per worker process (loky, joblib's process pool), at most two batches queued per worker.

    The pool is the sweep's own (not joblib's shared one) and starts at once, so the workers import the model
    while the sweep is being planned."""
    if workers == 1:
        def run_here(fn, tasks):
            for task in tasks:
                yield fn(task)

        yield run_here
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    from joblib.externals.loky import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers)
    warm = [pool.submit(importlib.import_module, "alignment.sweeps.runner") for _ in range(workers)]

    def run(fn, tasks):
        wait(warm)
        it, pending = iter(tasks), set()
        for task in it:
            pending.add(pool.submit(fn, task))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.add(pool.submit(fn, nxt))

    try:
        yield run
    finally:
        pool.shutdown(wait=True, kill_workers=True)


@contextmanager
def _ray(ex, workers: int):
    import logging

    if not ex.address:
        # a local instance listens on the loopback interface only (Ray's switch for single-machine instances)
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import ray

    logging.getLogger("ray").setLevel(logging.ERROR)  # Ray's start-up notices are not the sweep's business
    started = not ray.is_initialized()
    if started:
        kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING, configure_logging=True)
        if ex.address:
            ray.init(address=ex.address, **kwargs)
        else:
            ray.init(num_cpus=workers, _node_ip_address="127.0.0.1", **kwargs)
    window = 2 * max(1, int(ray.cluster_resources().get("CPU", workers)))

    def run(fn, tasks):
        remote = ray.remote(num_cpus=1)(fn)
        pending, it = [], iter(tasks)
        for task in it:
            pending.append(remote.remote(task))
            if len(pending) >= window:
                break
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
            nxt = next(it, None)
            if nxt is not None:
                pending.append(remote.remote(nxt))

    try:
        yield run
    finally:
        if started:
            ray.shutdown()


def _slurm(ex, folder: Path):
    import submitit

    def run(fn, tasks):
        tasks = list(tasks)
        if not tasks:
            return
        sub = submitit.AutoExecutor(folder=str(folder), cluster=ex.cluster)
        params = dict(timeout_min=int(ex.timeout_min), cpus_per_task=int(ex.cpus_per_task), mem_gb=float(ex.mem_gb),
                      slurm_array_parallelism=int(ex.array_parallelism), name="alignment-sweep")
        if ex.partition:
            params["slurm_partition"] = ex.partition
        sub.update_parameters(**params)
        jobs = sub.map_array(fn, tasks)
        pending = list(jobs)
        while pending:
            still = []
            for job in pending:
                if job.done():
                    yield job.result()
                else:
                    still.append(job)
            pending = still
            if pending:
                time.sleep(ex.poll_s)

    return run
