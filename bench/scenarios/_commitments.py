"""Issue 14 incidents: money committed or reserved without a launch call, and a Fargate service
scaled x20. Each runs on its own random stream (`Late.rng`), so adding them leaves every other
record of the account as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from random import Random

from bench.scenarios._context import Account
from bench.scenarios._ids import hex_id, uuid4
from bench.scenarios._model import Label, floor_cents
from bench.scenarios._people import Developer
from bench.scenarios._plan import IncidentPlan
from bench.scenarios._traffic import normal
from pricing import bedrock_model_unit, fargate_task

SP_COMMITMENT = "4.00"  # $/h for a year: $35,040 committed
BEDROCK_MODEL = "amazon.titan-text-express-v1:0:8k"
TASK_VCPU, TASK_GB = 4, 8


@dataclass(frozen=True)
class Late:
    """An issue-14 incident's account (with its own random stream), actor, time and plan."""

    acct: Account
    dev: Developer
    when: datetime
    plan: IncidentPlan

    def label(self, scenario: str, description: str, usd: float) -> Label:
        """The incident label, with this incident's id and category."""
        plan = self.plan
        return Label("incident", scenario, description, usd, plan.incident_id, plan.category)


def savings_plan(late: Late) -> None:
    """A developer buys a $4/h one-year Compute Savings Plan from the console."""
    acct, dev = late.acct, late.dev
    usd = float(SP_COMMITMENT)
    acct.call(
        dev.actor,
        late.when,
        "us-east-1",  # Savings Plans is a global service logged in us-east-1
        "savingsplans.amazonaws.com",
        "CreateSavingsPlan",
        request={
            "commitment": SP_COMMITMENT,
            "savingsPlanOfferingId": uuid4(acct.rng),
            "clientToken": uuid4(acct.rng),
        },
        response={"savingsPlanId": uuid4(acct.rng)},
        label=late.label(
            "savings-plan-purchase-4usd-1y",
            f"{dev.name} buys a ${SP_COMMITMENT}/h Savings Plan ($35,040 over a year)",
            usd,
        ),
    )


def capacity_reservation(late: Late) -> None:
    """An open-ended capacity reservation of 10 x c6i.4xlarge that nobody uses."""
    acct, dev = late.acct, late.dev
    region = acct.home
    usd = floor_cents(acct.prices.ec2("c6i.4xlarge", region), 10, f"c6i.4xlarge in {region}")
    reservation = hex_id(acct.rng, "cr-")
    acct.call(
        dev.actor,
        late.when,
        region,
        "ec2.amazonaws.com",
        "CreateCapacityReservation",
        request={
            "CreateCapacityReservationRequest": {
                "InstanceType": "c6i.4xlarge",
                "InstancePlatform": "Linux/UNIX",
                "InstanceCount": 10,
                "AvailabilityZone": f"{region}a",
                "EndDateType": "unlimited",
                "Tenancy": "default",
            }
        },
        response={
            "CreateCapacityReservationResponse": {
                "capacityReservation": {
                    "capacityReservationId": reservation,
                    "instanceType": "c6i.4xlarge",
                    "instancePlatform": "Linux/UNIX",
                    "totalInstanceCount": 10,
                    "endDateType": "unlimited",
                    "state": "active",
                },
            }
        },
        label=late.label(
            "forgotten-capacity-reservation-10x-c6i.4xlarge",
            f"{dev.name} reserves 10 x c6i.4xlarge for a load test that never runs",
            usd,
        ),
    )


def bedrock_throughput(late: Late) -> None:
    """Two model units of Titan Text Express for a month, bought to try a chatbot."""
    acct, dev = late.acct, late.dev
    region = acct.home
    unit = bedrock_model_unit(BEDROCK_MODEL, region, "1-month").usd
    usd = floor_cents(unit, 2, f"Bedrock {BEDROCK_MODEL} in {region}")
    name = f"{dev.name}-chatbot"
    acct.call(
        dev.actor,
        late.when,
        region,
        "bedrock.amazonaws.com",
        "CreateProvisionedModelThroughput",
        request={
            "modelUnits": 2,
            "provisionedModelName": name,
            "modelId": BEDROCK_MODEL,
            "commitmentDuration": "OneMonth",
        },
        response={
            "provisionedModelArn": f"arn:aws:bedrock:{region}:{acct.id}:provisioned-model/"
            f"{hex_id(acct.rng, '')}"
        },
        label=late.label(
            "bedrock-provisioned-throughput-2mu-1-month",
            f"{dev.name} buys 2 model units of Titan Text Express for a month",
            usd,
        ),
    )


def _task_definition(late: Late, when: datetime, region: str) -> None:
    acct, dev = late.acct, late.dev
    acct.call(
        dev.actor,
        when,
        region,
        "ecs.amazonaws.com",
        "RegisterTaskDefinition",
        request={
            "family": "checkout-worker",
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": str(TASK_VCPU * 1024),
            "memory": str(TASK_GB * 1024),
        },
        response={"taskDefinition": {"family": "checkout-worker", "revision": 1}},
        label=normal("fargate-service", "the checkout worker's task definition"),
    )


def fargate_scaled(late: Late) -> None:
    """A Fargate service of 2 tasks runs for a week, then someone sets desiredCount 40."""
    acct, dev = late.acct, late.dev
    region = acct.home
    created = late.when - timedelta(days=7)
    _task_definition(late, created - timedelta(minutes=5), region)
    request = {
        "cluster": "prod",
        "serviceName": "checkout-worker",
        "taskDefinition": "checkout-worker:1",
        "desiredCount": 2,
        "launchType": "FARGATE",
    }
    acct.call(
        dev.actor,
        created,
        region,
        "ecs.amazonaws.com",
        "CreateService",
        request=request,
        response={"service": {"serviceName": "checkout-worker", "desiredCount": 2}},
        label=normal("fargate-service", "the checkout worker runs 2 Fargate tasks"),
    )
    task = fargate_task(region, TASK_VCPU, TASK_GB).usd
    acct.call(
        dev.actor,
        late.when,
        region,
        "ecs.amazonaws.com",
        "UpdateService",
        request={"cluster": "prod", "service": "checkout-worker", "desiredCount": 40},
        response={"service": {"serviceName": "checkout-worker", "desiredCount": 40}},
        label=late.label(
            "fargate-service-scaled-x20",
            f"{dev.name} sets the checkout worker's desired count 2 -> 40 (meant 4)",
            floor_cents(task, 40, f"Fargate {TASK_VCPU} vCPU / {TASK_GB} GB in {region}"),
        ),
    )


LATE_BUILDERS: dict[str, Callable[[Late], None]] = {
    "savings-plan-purchase": savings_plan,
    "forgotten-capacity-reservation": capacity_reservation,
    "bedrock-provisioned-throughput": bedrock_throughput,
    "fargate-service-scaled-x20": fargate_scaled,
}


def run_late(acct: Account, devs: list[Developer], incident: IncidentPlan, seed: str) -> None:
    """Build one issue-14 incident on its own random stream (the account's stays untouched)."""
    rng = Random(f"{seed}:{incident.incident_id}")
    own = replace(acct, rng=rng)
    veterans = [d for d in devs if d.joined < incident.day] or devs
    when = acct.at(incident.day, incident.hour, rng.randint(0, 59), rng.randint(0, 59))
    LATE_BUILDERS[incident.scenario](Late(own, rng.choice(veterans), when, incident))
