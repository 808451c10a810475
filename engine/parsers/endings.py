"""Calls that stop spending on a resource, read from one table (for the live inventory)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.models import Action
from engine.parsers._draft import Draft, Parser, ids
from engine.records import CloudTrailRecord, dig, get_str


@dataclass(frozen=True, slots=True)
class _Ending:
    service: str
    resource_type: str
    id_key: str
    action: Action = "delete"


_ENDINGS: dict[tuple[str, str], _Ending] = {
    ("ec2.amazonaws.com", "DeleteVolume"): _Ending("ec2", "ec2:volume", "volumeId"),
    ("ec2.amazonaws.com", "DeleteNatGateway"): _Ending("ec2", "ec2:natgateway", "natGatewayId"),
    ("ec2.amazonaws.com", "ReleaseAddress"): _Ending("ec2", "ec2:elastic-ip", "allocationId"),
    ("rds.amazonaws.com", "StopDBInstance"): _Ending(
        "rds", "rds:db-instance", "dBInstanceIdentifier", "stop"
    ),
    ("rds.amazonaws.com", "DeleteDBCluster"): _Ending(
        "rds", "rds:db-cluster", "dBClusterIdentifier"
    ),
    ("lambda.amazonaws.com", "DeleteProvisionedConcurrencyConfig"): _Ending(
        "lambda", "lambda:provisioned-concurrency", "functionName"
    ),
    ("lambda.amazonaws.com", "DeleteFunction20150331"): _Ending(
        "lambda", "lambda:function", "functionName"
    ),
    ("lambda.amazonaws.com", "DeleteFunction"): _Ending(
        "lambda", "lambda:function", "functionName"
    ),
    ("autoscaling.amazonaws.com", "DeleteAutoScalingGroup"): _Ending(
        "autoscaling", "autoscaling:group", "autoScalingGroupName"
    ),
    ("eks.amazonaws.com", "DeleteCluster"): _Ending("eks", "eks:cluster", "name"),
    ("eks.amazonaws.com", "DeleteNodegroup"): _Ending("eks", "eks:nodegroup", "nodegroupName"),
    ("redshift.amazonaws.com", "DeleteCluster"): _Ending(
        "redshift", "redshift:cluster", "clusterIdentifier"
    ),
    ("elasticache.amazonaws.com", "DeleteCacheCluster"): _Ending(
        "elasticache", "elasticache:cache-cluster", "cacheClusterId"
    ),
    ("elasticache.amazonaws.com", "DeleteReplicationGroup"): _Ending(
        "elasticache", "elasticache:replication-group", "replicationGroupId"
    ),
    ("sagemaker.amazonaws.com", "StopNotebookInstance"): _Ending(
        "sagemaker", "sagemaker:notebook-instance", "notebookInstanceName", "stop"
    ),
    ("sagemaker.amazonaws.com", "DeleteNotebookInstance"): _Ending(
        "sagemaker", "sagemaker:notebook-instance", "notebookInstanceName"
    ),
    ("sagemaker.amazonaws.com", "DeleteEndpoint"): _Ending(
        "sagemaker", "sagemaker:endpoint", "endpointName"
    ),
    ("es.amazonaws.com", "DeleteDomain"): _Ending("opensearch", "opensearch:domain", "domainName"),
    ("es.amazonaws.com", "DeleteElasticsearchDomain"): _Ending(
        "opensearch", "opensearch:domain", "domainName"
    ),
    ("rds.amazonaws.com", "StopDBCluster"): _Ending(
        "rds", "rds:db-cluster", "dBClusterIdentifier", "stop"
    ),
    ("redshift.amazonaws.com", "PauseCluster"): _Ending(
        "redshift", "redshift:cluster", "clusterIdentifier", "stop"
    ),
    ("ec2.amazonaws.com", "DeleteTrafficMirrorSession"): _Ending(
        "ec2", "ec2:traffic-mirror-session", "trafficMirrorSessionId"
    ),
    ("elasticloadbalancing.amazonaws.com", "DeleteLoadBalancer"): _Ending(
        "elb", "elb:load-balancer", "loadBalancerArn"
    ),
}


_SIZE_KEYS = ("dBInstanceClass", "instanceType", "nodeType", "cacheNodeType")


def _first(response: object, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = get_str(response, key)
        if value:
            return value
    return None


def _parser(ending: _Ending) -> Parser:
    capitalised = ending.id_key[0].upper() + ending.id_key[1:]

    def parse(rec: CloudTrailRecord) -> Draft:
        # Newer EC2 APIs log {"<EventName>Request": {"TrafficMirrorSessionId": ...}}.
        wrapped = dig(rec.request, f"{rec.event_name}Request")
        found = ids(get_str(rec.request, ending.id_key), get_str(wrapped, capitalised))
        if ending.id_key == "loadBalancerArn" and not found:
            found = ids(get_str(rec.request, "loadBalancerName"))
        return Draft(
            action=ending.action,
            service=ending.service,
            resource_type=ending.resource_type,
            resource_ids=found,
            size=_first(rec.response, _SIZE_KEYS),
            engine=get_str(rec.response, "engine"),
        )

    return parse


PARSERS: dict[tuple[str, str], Parser] = {key: _parser(e) for key, e in _ENDINGS.items()}
