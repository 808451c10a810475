"""The AWS CLI commands an alert suggests, by resource type: one table, safe recipes first.

dd0c never runs these (V1 changes nothing in a customer's account); the card shows them to copy.
Ids come from `StoredAnomaly.resource_ids` as the parsers in `engine/parsers/` build them:
"function:qualifier" for provisioned concurrency, an allocation id and the public IP for an
Elastic IP, a load balancer's ARN and/or name, an EMR cluster's id (or its name when the
response had none). An EKS node group is stored by name only, so its cluster is a placeholder
unless the id reads "cluster/nodegroup". Every id is shell-quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.blocks._recipes import (
    ARN,
    COMMAND_MAX,
    EMR_ID,
    FLEET,
    INSTANCE,
    SPOT,
    Placeholder,
    Recipe,
    Suggestion,
    bare_nodegroups,
    cluster_nodegroup,
    emr_names,
    fit,
    function_qualifier,
    starting,
    unless_any,
)


def _cluster_service(resource_id: str) -> Mapping[str, str]:
    """Cluster and service of "cluster/service"; a bare name gets CLUSTER_NAME."""
    found = cluster_nodegroup(resource_id)
    return {"cluster": found["cluster"], "service": found["nodegroup"]}


def _reservations(ids: Sequence[str]) -> list[str]:
    """Capacity reservations (cr-…), not the fleets (crf-…) some ids name."""
    return [i for i in ids if not i.startswith("crf-")]


def _task_cluster(resource_id: str) -> Mapping[str, str]:
    """A task ARN ("…:task/cluster/id") with its cluster; anything else gets CLUSTER_NAME."""
    _, marker, tail = resource_id.partition(":task/")
    cluster, slash, _ = tail.partition("/")
    if marker and slash and cluster:
        return {"cluster": cluster, "task": resource_id}
    return {"cluster": Placeholder("CLUSTER_NAME"), "task": resource_id}


# Commitments cannot be stopped: the card says so (engine/commitments.py) and shows what can be
# done instead. Shown, never run.
_COMMITMENT_COMMANDS: Mapping[str, tuple[Recipe, ...]] = {
    "ec2:reserved-instances": (
        Recipe(
            "A purchase cannot be stopped or cancelled; check what was bought",
            "aws ec2 describe-reserved-instances --reserved-instances-ids {ids}",
        ),
        Recipe(
            "Sell the remaining term on the Reserved Instance Marketplace (set the count and "
            "an upfront price per remaining month; AWS charges a 12% fee)",
            "aws ec2 create-reserved-instances-listing --reserved-instances-id {id} "
            "--instance-count COUNT --price-schedules CurrencyCode=USD,Price=PRICE,Term=MONTHS "
            "--client-token {id}-listing",
        ),
    ),
    "rds:reserved-db-instances": (
        Recipe(
            "RDS reservations cannot be cancelled or resold; check what was bought, then ask "
            "AWS Support (a case in the Support Center) if it was a mistake",
            "aws rds describe-reserved-db-instances --reserved-db-instance-id {id}",
        ),
    ),
    "savingsplans:savings-plan": (
        Recipe(
            "A Savings Plan cannot be stopped; one of up to $100/h bought in the last 7 days "
            "and this calendar month can be returned (Billing console, or a support case): "
            "check it now",
            "aws savingsplans describe-savings-plans --savings-plan-ids {ids}",
        ),
    ),
    "ec2:host-reservation": (
        Recipe(
            "A host reservation cannot be stopped or cancelled; check what was bought, then "
            "ask AWS Support (a case in the Support Center) if it was a mistake",
            "aws ec2 describe-host-reservations --host-reservation-id-set {ids}",
        ),
    ),
}

_CAPACITY_COMMANDS: Mapping[str, tuple[Recipe, ...]] = {
    "ec2:capacity-reservation": (
        Recipe(
            "Cancel the capacity reservation (billing stops; instances in it keep running "
            "as on-demand)",
            "aws ec2 cancel-capacity-reservation --capacity-reservation-id {id}",
            choose=_reservations,
        ),
        Recipe(
            "Cancel the capacity reservation fleet and its reservations",
            "aws ec2 cancel-capacity-reservation-fleets --capacity-reservation-fleet-ids {ids}",
            choose=starting("crf-"),
        ),
    ),
    "ec2:dedicated-host": (
        Recipe(
            "Release the Dedicated Hosts (stop or move their instances first)",
            "aws ec2 release-hosts --host-ids {ids}",
            destructive=True,
        ),
    ),
    "bedrock:provisioned-throughput": (
        Recipe(
            "Delete the provisioned throughput (billing stops only without a commitment term; "
            "a 1- or 6-month term is billed to its end)",
            "aws bedrock delete-provisioned-model-throughput --provisioned-model-id {id}",
            destructive=True,
        ),
    ),
    "sagemaker:training-job": (
        Recipe(
            "Stop the training job (billing stops; its last checkpoint is kept)",
            "aws sagemaker stop-training-job --training-job-name {id}",
        ),
    ),
}

_CONTAINER_COMMANDS: Mapping[str, tuple[Recipe, ...]] = {
    "ecs:task-definition": (
        Recipe(
            "Deregister the task definition (tasks and services already using it keep running)",
            "aws ecs deregister-task-definition --task-definition {id}",
        ),
    ),
    "ecs:service": (
        Recipe(
            "Scale the service to zero tasks (it is kept, and Fargate bills nothing)",
            "aws ecs update-service --cluster {cluster} --service {service} --desired-count 0",
            split=_cluster_service,
        ),
        Recipe(
            "Delete the service and stop its tasks",
            "aws ecs delete-service --cluster {cluster} --service {service} --force",
            destructive=True,
            split=_cluster_service,
        ),
    ),
    "ecs:task": (
        Recipe(
            "Stop the tasks (a service would start them again: scale it instead)",
            "aws ecs stop-task --cluster {cluster} --task {task}",
            split=_task_cluster,
        ),
    ),
}

__all__ = ["COMMANDS", "COMMAND_MAX", "Recipe", "Suggestion", "console_hint", "suggestions"]

COMMANDS: Mapping[str, tuple[Recipe, ...]] = {
    "ec2:instance": (
        Recipe(
            "Stop the instances (their EBS volumes are kept, and still billed)",
            "aws ec2 stop-instances --instance-ids {ids}",
            choose=INSTANCE,
        ),
        Recipe(
            "Terminate the instances (deletes them and their delete-on-termination volumes)",
            "aws ec2 terminate-instances --instance-ids {ids}",
            destructive=True,
            choose=INSTANCE,
        ),
        Recipe(
            "Cancel the Spot requests (instances already running keep running)",
            "aws ec2 cancel-spot-instance-requests --spot-instance-request-ids {ids}",
            choose=SPOT,
        ),
        Recipe(
            "List the Spot requests' instances, to stop or terminate them",
            "aws ec2 describe-spot-instance-requests --spot-instance-request-ids {ids} "
            "--query 'SpotInstanceRequests[].InstanceId' --output text",
            choose=SPOT,
        ),
        Recipe(
            "Delete the fleets and terminate their instances",
            "aws ec2 delete-fleets --fleet-ids {ids} --terminate-instances",
            destructive=True,
            choose=FLEET,
        ),
    ),
    "ec2:volume": (
        Recipe(
            "Snapshot the volume first (keeps its data)", "aws ec2 create-snapshot --volume-id {id}"
        ),
        Recipe("Delete the volume", "aws ec2 delete-volume --volume-id {id}", destructive=True),
    ),
    "ec2:natgateway": (
        Recipe(
            "Delete the NAT gateway (there is no stop; private subnets lose internet access)",
            "aws ec2 delete-nat-gateway --nat-gateway-id {id}",
            destructive=True,
        ),
    ),
    "ec2:elastic-ip": (
        Recipe(
            "Release the address (the IP cannot be got back)",
            "aws ec2 release-address --allocation-id {id}",
            destructive=True,
            choose=starting("eipalloc-"),
        ),
        Recipe(
            "Release the address (the IP cannot be got back)",
            "aws ec2 release-address --public-ip {id}",
            destructive=True,
            choose=unless_any("eipalloc-"),
        ),
    ),
    "ec2:traffic-mirror-session": (
        Recipe(
            "Delete the Traffic Mirroring session (mirrored traffic stops)",
            "aws ec2 delete-traffic-mirror-session --traffic-mirror-session-id {id}",
            destructive=True,
        ),
    ),
    "ec2:launch-template": (
        Recipe(
            "Delete the launch template (instances already launched keep running)",
            "aws ec2 delete-launch-template --launch-template-id {id}",
            destructive=True,
            choose=starting("lt-"),
        ),
        Recipe(
            "Delete the launch template (instances already launched keep running)",
            "aws ec2 delete-launch-template --launch-template-name {id}",
            destructive=True,
            choose=unless_any("lt-"),
        ),
    ),
    "sagemaker:endpoint-config": (
        Recipe(
            "Delete the endpoint configuration (endpoints using it keep running)",
            "aws sagemaker delete-endpoint-config --endpoint-config-name {id}",
            destructive=True,
        ),
    ),
    "rds:db-instance": (
        Recipe(
            "Stop the DB instance (AWS starts it again after 7 days)",
            "aws rds stop-db-instance --db-instance-identifier {id}",
        ),
        Recipe(
            "Delete the DB instance, keeping a final snapshot",
            "aws rds delete-db-instance --db-instance-identifier {id} "
            "--final-db-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "rds:db-cluster": (
        Recipe(
            "Stop the DB cluster (AWS starts it again after 7 days)",
            "aws rds stop-db-cluster --db-cluster-identifier {id}",
        ),
        Recipe(
            "Delete the DB cluster, keeping a final snapshot (Aurora: delete its instances first)",
            "aws rds delete-db-cluster --db-cluster-identifier {id} "
            "--final-db-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "lambda:function": (
        Recipe(
            "Throttle the function to zero (undo with delete-function-concurrency)",
            "aws lambda put-function-concurrency --function-name {id} "
            "--reserved-concurrent-executions 0",
        ),
        Recipe(
            "Delete the function",
            "aws lambda delete-function --function-name {id}",
            destructive=True,
        ),
    ),
    "lambda:provisioned-concurrency": (
        Recipe(
            "Remove the provisioned concurrency (the function keeps working, on demand)",
            "aws lambda delete-provisioned-concurrency-config --function-name {function} "
            "--qualifier {qualifier}",
            split=function_qualifier,
        ),
    ),
    "autoscaling:group": (
        Recipe(
            "Scale the group to zero (its instances are terminated; the group stays)",
            "aws autoscaling update-auto-scaling-group --auto-scaling-group-name {id} "
            "--min-size 0 --desired-capacity 0",
        ),
        Recipe(
            "Delete the group and its instances",
            "aws autoscaling delete-auto-scaling-group --auto-scaling-group-name {id} "
            "--force-delete",
            destructive=True,
        ),
    ),
    "eks:cluster": (
        Recipe(
            "Delete the cluster (there is no stop; delete its node groups first)",
            "aws eks delete-cluster --name {id}",
            destructive=True,
        ),
    ),
    "eks:nodegroup": (
        Recipe(
            "Find the node group's cluster, to replace CLUSTER_NAME below",
            "aws eks list-clusters",
            choose=bare_nodegroups,
        ),
        Recipe(
            "Scale the node group to zero (the node group stays)",
            "aws eks update-nodegroup-config --cluster-name {cluster} --nodegroup-name {nodegroup} "
            "--scaling-config minSize=0,desiredSize=0",
            split=cluster_nodegroup,
        ),
        Recipe(
            "Delete the node group",
            "aws eks delete-nodegroup --cluster-name {cluster} --nodegroup-name {nodegroup}",
            destructive=True,
            split=cluster_nodegroup,
        ),
    ),
    "redshift:cluster": (
        Recipe("Pause the cluster", "aws redshift pause-cluster --cluster-identifier {id}"),
        Recipe(
            "Delete the cluster, keeping a final snapshot",
            "aws redshift delete-cluster --cluster-identifier {id} "
            "--final-cluster-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "elasticache:cache-cluster": (
        Recipe(
            "Delete the cluster, keeping a final snapshot (there is no stop; for Memcached "
            "leave out --final-snapshot-identifier)",
            "aws elasticache delete-cache-cluster --cache-cluster-id {id} "
            "--final-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "elasticache:replication-group": (
        Recipe(
            "Delete the replication group, keeping a final snapshot (there is no stop)",
            "aws elasticache delete-replication-group --replication-group-id {id} "
            "--final-snapshot-identifier {id}-final",
            destructive=True,
        ),
    ),
    "sagemaker:notebook-instance": (
        Recipe(
            "Stop the notebook instance (its storage is kept)",
            "aws sagemaker stop-notebook-instance --notebook-instance-name {id}",
        ),
        Recipe(
            "Delete the notebook instance (stop it first)",
            "aws sagemaker delete-notebook-instance --notebook-instance-name {id}",
            destructive=True,
        ),
    ),
    "sagemaker:endpoint": (
        Recipe(
            "Delete the endpoint (there is no stop; its configuration and model are kept)",
            "aws sagemaker delete-endpoint --endpoint-name {id}",
            destructive=True,
        ),
    ),
    "emr:cluster": (
        Recipe(
            "Find the cluster's id (j-…), to terminate it",
            "aws emr list-clusters --active",
            choose=emr_names,
        ),
        Recipe(
            "Terminate the clusters (there is no stop; HDFS data is lost)",
            "aws emr terminate-clusters --cluster-ids {ids}",
            destructive=True,
            choose=EMR_ID,
        ),
    ),
    "opensearch:domain": (
        Recipe(
            "Delete the domain and its data (there is no stop)",
            "aws opensearch delete-domain --domain-name {id}",
            destructive=True,
        ),
    ),
    "elb:load-balancer": (
        Recipe(
            "Delete the load balancer (there is no stop)",
            "aws elbv2 delete-load-balancer --load-balancer-arn {id}",
            destructive=True,
            choose=ARN,
        ),
        Recipe(
            "Delete the Classic Load Balancer (there is no stop)",
            "aws elb delete-load-balancer --load-balancer-name {id}",
            destructive=True,
            choose=unless_any("arn:"),
        ),
    ),
    **_COMMITMENT_COMMANDS,
    **_CAPACITY_COMMANDS,
    **_CONTAINER_COMMANDS,
}


def console_hint(resource_type: str, region: str, *, known_type: bool) -> Suggestion:
    """The generic line: find the resource in the AWS console."""
    reason = "The event named no resource id" if known_type else f"No command for {resource_type}"
    return Suggestion(
        f"{reason}: find it in the AWS console ({region}) and stop or delete it there", None
    )


# Resource types whose ids are "parent/name" when the event's `details` names the parent.
PARENTS = {"eks:nodegroup": "clusterName", "ecs:service": "cluster"}


def qualified(
    resource_type: str, resource_ids: Sequence[str], details: Mapping[str, object]
) -> list[str]:
    """The ids, "cluster/nodegroup" where the event named the cluster (no placeholder then)."""
    parent = details.get(PARENTS.get(resource_type, ""))
    if not isinstance(parent, str) or not parent:
        return list(resource_ids)
    return [i if "/" in i else f"{parent}/{i}" for i in resource_ids]


def suggestions(
    resource_type: str,
    resource_ids: Sequence[str],
    region: str,
    *,
    budget: int = COMMAND_MAX,
    details: Mapping[str, object] | None = None,
) -> tuple[Suggestion, ...]:
    """The commands that stop or remove the resources, safe ones before destructive ones."""
    recipes = COMMANDS.get(resource_type)
    if recipes is None:
        return (console_hint(resource_type, region, known_type=False),)
    resource_ids = qualified(resource_type, resource_ids, details or {})
    found: list[Suggestion] = []
    for recipe in recipes:
        chosen = recipe.choose(resource_ids)
        if not chosen:
            continue
        command, hidden = fit(recipe, chosen, region, budget)
        found.append(Suggestion(recipe.label, command, recipe.destructive, hidden))
    if not found:
        return (console_hint(resource_type, region, known_type=True),)
    found.sort(key=lambda s: s.destructive)
    return tuple(found)
