#!/usr/bin/env python3
"""
The peer route beside the dispatch bench (issue 14): Celery with psycopg2 doing a run's database writes, measured
the same way as bench/dispatch.bench.ts (runs per second from the first start to the last finished_at).

A start INSERTs the run and queues a task; the task, in a Celery worker of 2 prefork processes, UPDATEs the run to
running, INSERTs a log line and UPDATEs it to succeeded, each its own commit. Broker: Redis. It is not part of
`npm run bench` (a clone has no Python); on Debian: `apt-get install python3-celery python3-psycopg2 python3-redis`,
then `python3 bench/peers/celery_dispatch.py` with PostgreSQL and Redis on 127.0.0.1 (PEER_DATABASE_URL,
PEER_REDIS_URL, PEER_RUNS to change them). It empties the Redis database it uses and makes its own tables.
"""
import os
import subprocess
import sys
import time

import psycopg2
from celery import Celery

DATABASE_URL = os.environ.get('PEER_DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/postgres')
REDIS_URL = os.environ.get('PEER_REDIS_URL', 'redis://127.0.0.1:6379/9')

app = Celery('celery_dispatch', broker=REDIS_URL)
app.conf.update(task_ignore_result=True, broker_connection_retry_on_startup=True)

_connection = None


def connection():
    """One connection per worker process, opened at its first task."""
    global _connection
    if _connection is None:
        _connection = psycopg2.connect(DATABASE_URL)
    return _connection


@app.task(name='peer_run')
def peer_run(run_id):
    db = connection()
    with db, db.cursor() as cursor:
        cursor.execute("UPDATE peer_runs SET state = 'running', started_at = now() WHERE id = %s", (run_id,))
    with db, db.cursor() as cursor:
        cursor.execute('INSERT INTO peer_log_lines (run_id, text) VALUES (%s, %s)', (run_id, 'Running the no-op pipeline'))
    with db, db.cursor() as cursor:
        cursor.execute("UPDATE peer_runs SET state = 'succeeded', finished_at = now() WHERE id = %s", (run_id,))


def start_runs(db, count):
    ids = []
    for _ in range(count):
        with db, db.cursor() as cursor:
            cursor.execute("INSERT INTO peer_runs (state) VALUES ('queued') RETURNING id")
            run_id = cursor.fetchone()[0]
        peer_run.delay(run_id)
        ids.append(run_id)
    return ids


def wait_for(db, ids):
    while True:
        with db, db.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM peer_runs WHERE id = ANY(%s) AND state = 'succeeded'", (ids,))
            if cursor.fetchone()[0] == len(ids):
                cursor.execute('SELECT max(finished_at) FROM peer_runs WHERE id = ANY(%s)', (ids,))
                return cursor.fetchone()[0]
        time.sleep(0.2)


def main():
    runs = int(os.environ.get('PEER_RUNS', '3000'))
    db = psycopg2.connect(DATABASE_URL)
    with db, db.cursor() as cursor:
        cursor.execute('DROP TABLE IF EXISTS peer_log_lines, peer_runs')
        cursor.execute('CREATE TABLE peer_runs (id serial PRIMARY KEY, state varchar(20) NOT NULL, started_at timestamptz, finished_at timestamptz)')
        cursor.execute('CREATE TABLE peer_log_lines (id bigserial PRIMARY KEY, run_id int NOT NULL REFERENCES peer_runs (id), time timestamptz NOT NULL DEFAULT now(), text text NOT NULL)')
    app.connection().default_channel.client.flushdb()
    here = os.path.dirname(os.path.abspath(__file__))
    worker = subprocess.Popen(
        [sys.executable, '-m', 'celery', '-A', 'celery_dispatch', 'worker', '--pool', 'prefork', '--concurrency', '2', '--loglevel', 'WARNING', '--without-gossip', '--without-mingle'],
        cwd=here,
    )
    try:
        while not app.control.ping(timeout=1):
            time.sleep(0.5)
        wait_for(db, start_runs(db, 20))  # warm-up, not counted
        started = time.time()
        with db, db.cursor() as cursor:
            cursor.execute('SELECT now()')
            t0 = cursor.fetchone()[0]
        ids = start_runs(db, runs)
        starts_seconds = time.time() - started
        last = wait_for(db, ids)
        seconds = (last - t0).total_seconds()
        print(f'Celery peer: {runs} runs, {runs / seconds:.0f} runs/s (first start to last finished_at), starts {runs / starts_seconds:.0f}/s, 2 prefork worker processes')
    finally:
        worker.terminate()
        worker.wait(30)
        with db, db.cursor() as cursor:
            cursor.execute('DROP TABLE IF EXISTS peer_log_lines, peer_runs')


if __name__ == '__main__':
    main()
