"""Normal pipeline traffic: preview environments, Lambda deploys, platform services, sandbox."""

from __future__ import annotations

from datetime import timedelta

from bench.scenarios._databases import (
    Database,
    create_db_instance,
    create_replication_group,
    delete_db_instance,
)
from bench.scenarios._ec2 import Launch, change_state, run_instances
from bench.scenarios._identities import Actor
from bench.scenarios._services import (
    Function,
    create_function,
    create_nodegroup,
    put_provisioned_concurrency,
    update_function_memory,
)
from bench.scenarios._traffic import Workload, normal, pipeline

SERVICES = ("orders-api", "invoice-worker", "thumbnailer", "webhook-relay", "report-builder")
RUNTIMES = ("python3.12", "nodejs20.x", "python3.11", "java21")


def preview_database(work: Workload, day: int) -> None:
    """Now and then a preview environment gets a database of the team's usual class."""
    acct, rng = work.acct, work.acct.rng
    if rng.random() > 0.12:
        return
    pr = rng.randint(1000, 4999)
    db = Database(
        f"pr-{pr}-db",
        work.profile.db_class,
        rng.choice(("postgres", "mysql")),
        storage_gib=rng.choice((20, 50, 100)),
    )
    deployer = pipeline(work)
    when = acct.at(day, rng.randint(14, 20), rng.randint(0, 59), rng.randint(0, 59))
    create_db_instance(
        acct,
        deployer,
        when,
        acct.home,
        db,
        normal(
            "rds-preview-db",
            f"preview environment PR {pr} gets a {db.db_class} {db.engine} database",
        ),
    )
    gone = when + timedelta(hours=rng.randint(20, 70))
    delete_db_instance(
        acct,
        deployer,
        gone,
        acct.home,
        db,
        normal("rds-preview-db-delete", f"preview environment PR {pr} is torn down"),
    )


def lambda_day(work: Workload, day: int) -> None:
    """Deploys create preview functions; sometimes memory or provisioned concurrency changes."""
    acct, rng = work.acct, work.acct.rng
    when = acct.at(day, rng.randint(13, 21), rng.randint(0, 59), rng.randint(0, 59))
    deployer = pipeline(work)
    if rng.random() < 0.4:
        fn = Function(
            f"pr-{rng.randint(1000, 4999)}-{rng.choice(SERVICES)}",
            rng.choice(RUNTIMES),
            rng.choice((128, 256, 512, 1024)),
            rng.choice(("arm64", "x86_64")),
        )
        create_function(
            acct,
            deployer,
            when,
            acct.home,
            fn,
            normal(
                "lambda-deploy", f"deploy creates function {fn.name} ({fn.memory_mb} MB, {fn.arch})"
            ),
        )
        work.functions.append(fn)
    elif work.functions and rng.random() < 0.35:
        old = rng.choice(work.functions)
        fn = Function(old.name, old.runtime, min(old.memory_mb * 2, 3008), old.arch)
        update_function_memory(
            acct,
            deployer,
            when,
            acct.home,
            fn,
            normal("lambda-config-update", f"deploy raises {fn.name} memory to {fn.memory_mb} MB"),
        )
    elif rng.random() < 0.06:
        name, count = rng.choice(SERVICES), rng.randint(2, 10)
        put_provisioned_concurrency(
            acct,
            deployer,
            when,
            acct.home,
            name,
            count,
            normal(
                "lambda-provisioned-concurrency", f"{name}:live keeps {count} environments warm"
            ),
        )


def platform_services(work: Workload, day: int) -> None:
    """The platform team's one-off EKS node group and Redis replication group."""
    acct, rng = work.acct, work.acct.rng
    if not work.profile.platform:
        return
    deployer = pipeline(work)
    if day == min(3, acct.days - 1):
        when = acct.at(day, 15, rng.randint(0, 59), rng.randint(0, 59))
        create_nodegroup(
            acct,
            deployer,
            when,
            acct.home,
            "general",
            "m6i.large",
            3,
            normal("eks-nodegroup", "platform creates EKS node group general (3 x m6i.large)"),
        )
    if day == min(5, acct.days - 1):
        when = acct.at(day, 16, rng.randint(0, 59), rng.randint(0, 59))
        create_replication_group(
            acct,
            deployer,
            when,
            acct.home,
            "sessions",
            "cache.r6g.large",
            2,
            normal(
                "elasticache-replication-group",
                "platform creates Redis sessions (2 x cache.r6g.large)",
            ),
        )


def sandbox_day(work: Workload, admin: Actor, day: int) -> None:
    """A new account after its first day: an admin tries small instances now and then."""
    acct, rng = work.acct, work.acct.rng
    if rng.random() > 0.45:
        return
    itype = rng.choice(("t3.micro", "t3.small", "t3.medium"))
    when = acct.at(day, rng.randint(13, 20), rng.randint(0, 59), rng.randint(0, 59))
    ids = run_instances(
        acct,
        admin,
        when,
        acct.home,
        Launch(itype, 1, name_tag="sandbox-test"),
        normal("sandbox-small-instance", f"sandbox admin launches 1 x {itype}"),
    )
    done = when + timedelta(minutes=rng.randint(30, 300))
    change_state(
        acct,
        admin,
        done,
        acct.home,
        "TerminateInstances",
        ids,
        normal("sandbox-cleanup", "sandbox admin terminates the test instance"),
    )
