"""Managed clusters and endpoints: EKS, Redshift, ElastiCache, SageMaker, EMR, OpenSearch, ELB."""

from __future__ import annotations

from typing import Any

from engine.parsers._draft import Draft, Parser, ids
from engine.records import CloudTrailRecord, dig, get_bool, get_int, get_list, get_str


def eks_cluster(rec: CloudTrailRecord) -> Draft:
    """EKS CreateCluster: the control plane's cluster-hour."""
    name = (
        get_str(rec.request, "name")
        or get_str(rec.request, "clusterName")
        or get_str(rec.response, "cluster", "name")
    )
    return Draft(
        action="launch", service="eks", resource_type="eks:cluster", resource_ids=ids(name)
    )


def eks_nodegroup(rec: CloudTrailRecord) -> Draft:
    """EKS CreateNodegroup: desired size x instance type (EKS defaults to t3.medium)."""
    types = get_list(rec.request, "instanceTypes")
    capacity = (get_str(rec.request, "capacityType") or "ON_DEMAND").upper()
    name = get_str(rec.request, "nodegroupName")
    # CloudTrail logs the cluster as `name` (the URI's /clusters/{name}/node-groups).
    cluster = (
        get_str(rec.request, "name")
        or get_str(rec.request, "clusterName")
        or get_str(rec.response, "nodegroup", "clusterName")
    )
    return Draft(
        action="launch",
        service="eks",
        resource_type="eks:nodegroup",
        resource_ids=ids(name),
        size=str(types[0]) if types else "t3.medium",
        quantity=get_int(rec.request, "scalingConfig", "desiredSize") or 1,
        model="spot" if capacity == "SPOT" else "on-demand",
        os="linux",
        details={"clusterName": cluster},
        note=None if types else "no instanceTypes given: EKS's default t3.medium",
    )


def redshift_cluster(rec: CloudTrailRecord) -> Draft:
    """Redshift CreateCluster: nodes x node type."""
    single = (get_str(rec.request, "clusterType") or "").lower() == "single-node"
    nodes = 1 if single else get_int(rec.request, "numberOfNodes") or 1
    return Draft(
        action="launch",
        service="redshift",
        resource_type="redshift:cluster",
        resource_ids=ids(get_str(rec.request, "clusterIdentifier")),
        size=get_str(rec.request, "nodeType"),
        quantity=nodes,
    )


def cache_cluster(rec: CloudTrailRecord) -> Draft:
    """ElastiCache CreateCacheCluster: nodes x node type x engine."""
    return Draft(
        action="launch",
        service="elasticache",
        resource_type="elasticache:cache-cluster",
        resource_ids=ids(get_str(rec.request, "cacheClusterId")),
        size=get_str(rec.request, "cacheNodeType"),
        quantity=get_int(rec.request, "numCacheNodes") or 1,
        engine=(get_str(rec.request, "engine") or "redis").lower(),
    )


def _replication_nodes(request: Any) -> int:
    clusters = get_int(request, "numCacheClusters")
    if clusters:
        return clusters
    shards = get_int(request, "numNodeGroups") or 1
    replicas = get_int(request, "replicasPerNodeGroup")
    return shards * ((replicas if replicas is not None else 1) + 1)


def replication_group(rec: CloudTrailRecord) -> Draft:
    """ElastiCache CreateReplicationGroup: shards x (replicas + 1) nodes."""
    return Draft(
        action="launch",
        service="elasticache",
        resource_type="elasticache:replication-group",
        resource_ids=ids(get_str(rec.request, "replicationGroupId")),
        size=get_str(rec.request, "cacheNodeType"),
        quantity=_replication_nodes(rec.request),
        engine=(get_str(rec.request, "engine") or "redis").lower(),
        multi_az=bool(get_bool(rec.request, "multiAZEnabled")),
    )


def notebook_instance(rec: CloudTrailRecord) -> Draft:
    """SageMaker CreateNotebookInstance: one ml.* instance."""
    return Draft(
        action="launch",
        service="sagemaker",
        resource_type="sagemaker:notebook-instance",
        resource_ids=ids(get_str(rec.request, "notebookInstanceName")),
        size=get_str(rec.request, "instanceType"),
    )


def endpoint(rec: CloudTrailRecord) -> Draft:
    """SageMaker CreateEndpoint: its instances live in the endpoint config, not in this event."""
    return Draft(
        action="launch",
        service="sagemaker",
        resource_type="sagemaker:endpoint",
        resource_ids=ids(get_str(rec.request, "endpointName")),
        details={"endpointConfigName": get_str(rec.request, "endpointConfigName")},
        note="instance type and count are in the endpoint configuration, not in this event",
    )


def _emr_groups(request: Any) -> list[tuple[str, int]]:
    instances = dig(request, "instances")
    groups: list[tuple[str, int]] = []
    for group in get_list(instances, "instanceGroups"):
        size = get_str(group, "instanceType")
        if size:
            groups.append((size, get_int(group, "instanceCount") or 1))
    if groups:
        return groups
    master = get_str(instances, "masterInstanceType")
    workers = get_str(instances, "slaveInstanceType")
    total = get_int(instances, "instanceCount") or 1
    if master:
        groups.append((master, 1))
    if workers and total > 1:
        groups.append((workers, total - 1))
    return groups


def emr_cluster(rec: CloudTrailRecord) -> Draft:
    """EMR RunJobFlow: the instance groups' EC2 instances."""
    groups = _emr_groups(rec.request)
    main_size = max(groups, key=lambda g: g[1])[0] if groups else None
    return Draft(
        action="launch",
        service="emr",
        resource_type="emr:cluster",
        resource_ids=ids(get_str(rec.response, "jobFlowId") or get_str(rec.request, "name")),
        size=main_size,
        quantity=sum(count for _, count in groups) or 1,
        details={f"group{i}": f"{count}x{size}" for i, (size, count) in enumerate(groups)},
        note="EC2 rate only; the EMR per-instance charge is not in the price data",
    )


def opensearch_domain(rec: CloudTrailRecord) -> Draft:
    """OpenSearch CreateDomain: data nodes (+ dedicated masters) x instance type."""
    config = dig(rec.request, "clusterConfig") or dig(rec.request, "elasticsearchClusterConfig")
    details: dict[str, str | int | float | bool | None] = {}
    if get_bool(config, "dedicatedMasterEnabled"):
        details["masterType"] = get_str(config, "dedicatedMasterType")
        details["masterCount"] = get_int(config, "dedicatedMasterCount") or 3
    return Draft(
        action="launch",
        service="opensearch",
        resource_type="opensearch:domain",
        resource_ids=ids(get_str(rec.request, "domainName")),
        size=get_str(config, "instanceType") or "r5.large.search",
        quantity=get_int(config, "instanceCount") or 1,
        details=details,
        note=None if get_str(config, "instanceType") else "no instance type: OpenSearch's default",
    )


def load_balancer(rec: CloudTrailRecord) -> Draft:
    """ELB CreateLoadBalancer: the hourly charge by kind (capacity units are extra)."""
    kind = (get_str(rec.request, "type") or "").lower()
    if not kind:
        kind = (
            "classic"
            if rec.api_version == "2012-06-01" or "listeners" in (rec.request or {})
            else "application"
        )
    balancers = get_list(rec.response, "loadBalancers")
    arn = get_str(balancers[0], "loadBalancerArn") if balancers else None
    return Draft(
        action="launch",
        service="elb",
        resource_type="elb:load-balancer",
        resource_ids=ids(
            arn, get_str(rec.request, "loadBalancerName"), get_str(rec.request, "name")
        ),
        details={"kind": kind},
    )


PARSERS: dict[tuple[str, str], Parser] = {
    ("eks.amazonaws.com", "CreateCluster"): eks_cluster,
    ("eks.amazonaws.com", "CreateNodegroup"): eks_nodegroup,
    ("redshift.amazonaws.com", "CreateCluster"): redshift_cluster,
    ("elasticache.amazonaws.com", "CreateCacheCluster"): cache_cluster,
    ("elasticache.amazonaws.com", "CreateReplicationGroup"): replication_group,
    ("sagemaker.amazonaws.com", "CreateNotebookInstance"): notebook_instance,
    ("sagemaker.amazonaws.com", "CreateEndpoint"): endpoint,
    ("elasticmapreduce.amazonaws.com", "RunJobFlow"): emr_cluster,
    ("es.amazonaws.com", "CreateDomain"): opensearch_domain,
    ("es.amazonaws.com", "CreateElasticsearchDomain"): opensearch_domain,
    ("elasticloadbalancing.amazonaws.com", "CreateLoadBalancer"): load_balancer,
}
