"""One simulated account: its network, its clock and the CloudTrail envelope of every call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any, Literal

from bench.scenarios._identities import Actor
from bench.scenarios._ids import hex_id, lower_alnum, timestamp, uuid4
from bench.scenarios._model import Event, Label, PriceBook, categorised

AccountKind = Literal["mature", "new"]

_DIRECTIONS = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "northeast": "ne",
    "southeast": "se",
}
_VERSIONS = {
    "ec2.amazonaws.com": "1.09",
    "sts.amazonaws.com": "1.08",
    "signin.amazonaws.com": "1.09",
}
_GLOBAL = {"iam.amazonaws.com", "signin.amazonaws.com"}


@dataclass(frozen=True)
class Subnet:
    """A subnet in one availability zone."""

    id: str
    zone: str
    zone_id: str
    prefix: str


@dataclass
class Network:
    """What a region of the account holds: VPC, subnets, security group, AMIs, templates."""

    region: str
    vpc: str
    subnets: tuple[Subnet, ...]
    security_group: str
    amis: dict[str, str]
    templates: dict[str, str] = field(default_factory=dict)

    def private_dns(self, ip: str) -> str:
        """The instance's private DNS name for an IP in this region."""
        host = "ip-" + ip.replace(".", "-")
        if self.region == "us-east-1":
            return f"{host}.ec2.internal"
        return f"{host}.{self.region}.compute.internal"


def zone_id(region: str, index: int) -> str:
    """An AZ id like use1-az4 for a region and AZ number."""
    area, direction, number = region.split("-")
    return f"{area}{_DIRECTIONS.get(direction, direction[0])}{number}-az{index}"


@dataclass
class Account:
    """The state and helpers of one simulated AWS account."""

    index: int
    id: str
    name: str
    kind: AccountKind
    first_day: int
    home: str
    regions: tuple[str, ...]
    rng: Random
    start: datetime
    days: int
    prices: PriceBook
    events: list[Event] = field(default_factory=list)
    humans: list[Actor] = field(default_factory=list)
    roles: dict[str, Actor] = field(default_factory=dict)
    long_lived: list[tuple[str, str]] = field(default_factory=list)
    _networks: dict[str, Network] = field(default_factory=dict)

    def at(self, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
        """The moment `day` days after the dataset start, at the given time of day."""
        return self.start + timedelta(days=day, hours=hour, minutes=minute, seconds=second)

    def jitter(self, when: datetime, low_s: int, high_s: int) -> datetime:
        """`when` plus a random number of seconds in [low_s, high_s]."""
        return when + timedelta(seconds=self.rng.randint(low_s, high_s))

    def net(self, region: str) -> Network:
        """The account's network in `region`, created on first use."""
        if region not in self._networks:
            self._networks[region] = self._new_network(region)
        return self._networks[region]

    def _new_network(self, region: str) -> Network:
        rng = self.rng
        second = rng.randint(0, 200)
        subnets = tuple(
            Subnet(
                hex_id(rng, "subnet-"), f"{region}{letter}", zone_id(region, n), f"10.{second}.{n}."
            )
            for n, letter in ((1, "a"), (2, "b"), (3, "c"))
        )
        amis = {name: hex_id(rng, "ami-") for name in ("linux", "arm", "windows", "gpu")}
        return Network(region, hex_id(rng, "vpc-"), subnets, hex_id(rng, "sg-"), amis)

    def template(self, region: str, name: str) -> str:
        """The id of a launch template, created on first use."""
        templates = self.net(region).templates
        if name not in templates:
            templates[name] = hex_id(self.rng, "lt-")
        return templates[name]

    def emit(
        self,
        when: datetime,
        region: str,
        record: dict[str, Any],
        label: Label | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Add a finished record to the account's log (filling in the label's category)."""
        if label is not None:
            label = categorised(label, str(record.get("eventName", "")))
        self.events.append(Event(when, self.id, region, record, label, actor))

    def call(
        self,
        actor: Actor,
        when: datetime,
        region: str,
        source: str,
        name: str,
        *,
        request: dict[str, Any] | None,
        response: dict[str, Any] | None = None,
        read_only: bool = False,
        label: Label | None = None,
        error: tuple[str, str] | None = None,
        resources: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Record one API call in CloudTrail's envelope and return the record."""
        rng = self.rng
        record: dict[str, Any] = {
            "eventVersion": _VERSIONS.get(source, "1.08"),
            "userIdentity": actor.identity(when, rng),
            "eventTime": timestamp(when),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": actor.source_ip,
            "userAgent": actor.user_agent,
        }
        if error:
            record["errorCode"], record["errorMessage"] = error
        request_id = uuid4(rng)
        if response is not None and "requestId" in response:
            # EC2 echoes the request id inside responseElements; builders leave a placeholder.
            response["requestId"] = request_id
        record["requestParameters"] = request
        record["responseElements"] = response
        record["requestID"] = request_id
        record["eventID"] = uuid4(rng)
        record["readOnly"] = read_only
        if resources:
            record["resources"] = resources
        record["eventType"] = "AwsApiCall"
        record["managementEvent"] = True
        record["recipientAccountId"] = self.id
        record["eventCategory"] = "Management"
        if not actor.is_service:
            record["tlsDetails"] = _tls(source, region)
        if actor.console:
            record["sessionCredentialFromConsole"] = "true"
        self.emit(when, region, record, label, actor)
        return record

    def client_token(self) -> str:
        """An idempotency token as SDKs and the console send them."""
        return uuid4(self.rng) if self.rng.random() < 0.7 else lower_alnum(self.rng, 20)


def _tls(source: str, region: str) -> dict[str, str]:
    prefix = source.split(".", 1)[0]
    host = f"{prefix}.amazonaws.com" if source in _GLOBAL else f"{prefix}.{region}.amazonaws.com"
    return {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": host,
    }
