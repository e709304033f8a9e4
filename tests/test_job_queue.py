"""The job queue of a PostgreSQL store, shared by several processes: claims never overlap, a job whose worker died
is queued again (and failed after its last attempt), a real `kill -9` of a worker mid-import loses and doubles no
post, SIGTERM hands the job in hand back. DuckDB keeps its in-process queue (tests/web/test_jobs.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from civicpulse.runtime.job_queue import QueueRunner, make_runner
from civicpulse.runtime.jobs import Job, JobRunner
from civicpulse.store import open_store
from civicpulse.store.base import Store
from civicpulse.store.locks import try_exclusive

NOOP = {"noop": lambda db, job: {"ran": job.id}}
JOB_STATE = "SELECT status, attempts, owner, error FROM jobs WHERE job_id = ?"


@pytest.fixture
def pg_url(pg_cluster) -> str:
    return pg_cluster.new_database()


@pytest.fixture
def runners(pg_url):
    made: list[QueueRunner] = []

    def runner(**kw) -> QueueRunner:
        made.append(QueueRunner(open_store(pg_url), kw.pop("handlers", NOOP), threads=0, **kw))
        return made[-1]

    yield runner
    for r in made:
        r.store.close()
        r._db.close()


def state(store: Store, job_id: str) -> tuple:
    return store.query(JOB_STATE, [job_id])[0]


def test_concurrent_claims_never_hand_out_a_job_twice(runners) -> None:
    submitter = runners()
    submitted = {submitter.submit("noop", "", "t").id for _ in range(40)}
    claimers = [runners() for _ in range(4)]
    got: dict[int, list[str]] = {i: [] for i in range(4)}
    start = threading.Barrier(4)

    def drain(i: int) -> None:
        start.wait()
        while (job := claimers[i].claim()) is not None:
            got[i].append(job.id)

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    claimed = [job_id for ids in got.values() for job_id in ids]
    assert sorted(claimed) == sorted(submitted)  # every job once, none twice
    for i, ids in got.items():
        for job_id in ids:
            status, attempts, owner, _ = state(submitter.store, job_id)
            assert (status, attempts, owner) == ("running", 1, claimers[i].owner)


def test_an_orphaned_job_is_queued_again_then_failed_after_its_last_attempt(runners, tmp_path: Path) -> None:
    upload = tmp_path / "uploads" / "city" / "r1"
    upload.mkdir(parents=True)
    (upload / "000-a.json").write_text("[]")
    first, second = runners(lease=0.4, max_attempts=2), runners(lease=0.4, max_attempts=2)
    job = first.submit("noop", "city", "t", uploaded=str(upload))
    claimed = first.claim()
    assert claimed is not None and claimed.id == job.id
    assert second.requeue_expired() == []  # the lease is live
    time.sleep(0.6)  # `first` died: it renews nothing
    assert [j.id for j in second.requeue_expired()] == [job.id]
    assert state(second.store, job.id)[:3] == ("queued", 1, None)
    assert first.heartbeat() == set()  # had it come back, `first` would learn it no longer holds the job
    again = second.claim()
    assert again is not None and state(second.store, job.id)[:3] == ("running", 2, second.owner)
    first.run(claimed)  # the old owner finishing late records nothing: the job is second's now
    assert state(second.store, job.id)[:3] == ("running", 2, second.owner)
    time.sleep(0.6)  # `second` dies as well: that was the last attempt
    orphans = first.requeue_expired()
    assert [(j.id, j.status) for j in orphans] == [(job.id, "failed")]
    status, attempts, _, error = state(first.store, job.id)
    assert (status, attempts) == ("failed", 2) and "2 attempts" in error
    assert not upload.exists()  # the raw upload of a job that will not run again is deleted


def test_the_owner_heartbeat_keeps_a_long_job_and_a_finished_job_is_seen_by_every_process(runners) -> None:
    seen: list[Job] = []
    web = runners(on_finish=seen.append, poll=0.1)
    web.start()  # no job threads: a web process whose jobs the workers run
    worker = runners(lease=0.4)
    job = web.submit("noop", "city", "t")
    claimed = worker.claim()
    for _ in range(3):
        time.sleep(0.2)
        assert worker.heartbeat() == {job.id}
    assert web.requeue_expired() == []  # renewed: not orphaned although it ran past its lease
    worker.run(claimed)
    assert web.wait(job, timeout=5).status == "done"
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(j.id, j.status, j.result) for j in seen] == [(job.id, "done", {"ran": job.id})]
    web.stop(1)


def test_locks_are_per_process_on_postgres_and_always_granted_on_duckdb(pg_url, tmp_path: Path) -> None:
    one, other = open_store(pg_url), open_store(pg_url)
    with try_exclusive(one, "collect:s1") as first, try_exclusive(other, "collect:s1") as second, \
            try_exclusive(other, "collect:s2") as third:
        assert (first, second, third) == (True, False, True)
    with try_exclusive(other, "collect:s1") as after:
        assert after
    one.close(), other.close()
    duck = open_store(str(tmp_path / "s.duckdb"))
    assert isinstance(make_runner(duck, NOOP), JobRunner) and not isinstance(make_runner(duck, NOOP), QueueRunner)
    duck.close()


# Real processes ----------------------------------------------------------------------------------------------
def statuses(n: int, prefix: str) -> str:
    return json.dumps([{
        "id": f"{prefix}{i}", "uri": f"https://social.example/users/u{i % 12}/statuses/{prefix}{i}",
        "url": f"https://social.example/@u{i % 12}/{prefix}{i}", "created_at": "2026-11-03T08:00:00.000Z",
        "in_reply_to_id": None, "language": "vi", "content": f"<p>Kẹt xe ở Cầu Giấy lần {i}</p>", "spoiler_text": "",
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "reblog": None,
        "account": {"id": str(i % 12), "username": f"u{i % 12}", "acct": f"u{i % 12}@social.example"}}
        for i in range(n)])


def start_workers(count: int, url: str, tmp_path: Path) -> list[subprocess.Popen]:
    env = {**os.environ, "CIVICPULSE_IMPORT_BATCH": "100"}
    logs = [tmp_path / f"worker{i}.log" for i in range(count)]
    procs = [subprocess.Popen([sys.executable, "-m", "civicpulse", "--db", url, "--keys-dir", str(tmp_path / "keys"),
                               "worker", "--threads", "1", "--lease", "1", "--poll", "0.1", "--grace", "0"],
                              cwd=tmp_path, env=env, stderr=log.open("w")) for log in logs]
    for proc, log in zip(procs, logs, strict=True):  # each worker says when it is ready
        wait_for(lambda p=proc, f=log: "ready" in f.read_text() or p.poll() is not None, timeout=120, every=0.1)
        assert proc.poll() is None, log.read_text()
    return procs


def posts(store: Store, prefix: str) -> tuple[int, int]:
    return store.query("SELECT count(*), count(DISTINCT post_id) FROM posts WHERE workspace = 'city' "
                       "AND post_id LIKE ?", [f"{prefix}%"])[0]


def wait_for(check: Callable[[], object], timeout: float = 30.0, every: float = 0.02) -> object:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)
    return value


def test_worker_processes_share_the_queue_and_a_killed_worker_loses_no_post(runners, pg_url, tmp_path) -> None:
    submitter = runners(handlers={"ingest": None})
    submitter.store.ensure_workspace("city")
    workers = start_workers(2, pg_url, tmp_path)
    try:
        small = []
        for i in range(4):
            (tmp_path / f"small{i}.json").write_text(statuses(40, f"s{i}x"))
            small.append(submitter.submit("ingest", "city", "t", paths=[str(tmp_path / f"small{i}.json")],
                                          analyze=False))
        for job in small:
            assert submitter.wait(job, timeout=60).status == "done"
            assert state(submitter.store, job.id)[:2] == ("done", 1)  # claimed once: by one worker only
        assert [posts(submitter.store, f"s{i}x") for i in range(4)] == [(40, 40)] * 4

        total = 2_500  # 25 batches of 100: a second or more of import, killed after the first ones
        (tmp_path / "big.json").write_text(statuses(total, "b"))
        big = submitter.submit("ingest", "city", "t", paths=[str(tmp_path / "big.json")], analyze=False)
        wait_for(lambda: posts(submitter.store, "b")[0] > 0)  # mid-import: some batches are committed
        status, _, owner, _ = state(submitter.store, big.id)
        victim = next(w for w in workers if owner.split(":")[1] == str(w.pid))
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        stored_before = posts(submitter.store, "b")[0]
        assert status == "running" and 0 < stored_before < total  # killed mid-job, not after it
        finished = submitter.wait(big, timeout=120)
        assert finished.status == "done", finished.error
        assert state(submitter.store, big.id)[:2] == ("done", 2)  # the survivor ran it again
        assert posts(submitter.store, "b") == (total, total)  # nothing lost, nothing doubled
        file = finished.result["files"][0]
        assert file["stored"] + file["unchanged"] == total and file["unchanged"] >= stored_before

        survivor = next(w for w in workers if w is not victim)
        again = submitter.submit("ingest", "city", "t", paths=[str(tmp_path / "big.json")], analyze=False)
        wait_for(lambda: state(submitter.store, again.id)[0] == "running")
        survivor.send_signal(signal.SIGTERM)  # --grace 0: the job in hand goes back to the queue at once
        assert survivor.wait(30) == 0
        assert state(submitter.store, again.id)[:3] == ("queued", 0, None)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(10)
