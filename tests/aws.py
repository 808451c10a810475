"""moto's SQS server over real HTTP for the tests: the helpers live in `bench/local_aws.py`.

The benchmarks use them too, and bench never imports tests (import-linter contract), so their home
is bench; this module keeps the tests' imports short.
"""

from __future__ import annotations

from bench.local_aws import (
    HOST,
    REGION,
    MotoServer,
    QueueUrls,
    _free_port,
    counts,
    create_queues,
    eventually,
    moto_process,
    reset,
    running_moto,
    send,
    sqs_client,
    unique_name,
)

__all__ = [
    "HOST",
    "REGION",
    "MotoServer",
    "QueueUrls",
    "_free_port",
    "counts",
    "create_queues",
    "eventually",
    "moto_process",
    "reset",
    "running_moto",
    "send",
    "sqs_client",
    "unique_name",
]
