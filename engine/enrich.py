"""Fill in what an event names but does not describe, from a ResourceContext."""

from __future__ import annotations

from dataclasses import replace

from engine.context import KnownResource, ResourceContext
from engine.parsers import Draft


def _instances(draft: Draft, found: list[KnownResource]) -> Draft:
    sizes = {k.size for k in found if k.size}
    if not sizes:
        return draft
    windows = any(k.os == "windows" for k in found)
    note = None
    if len(found) < len(draft.resource_ids):
        note = f"type known for {len(found)} of {len(draft.resource_ids)} instances"
    if len(sizes) > 1:
        note = f"mixed types {', '.join(sorted(sizes))}: priced at the first"
    return draft.resized(
        sorted(sizes)[0], len(draft.resource_ids), "windows" if windows else draft.os,
        note or draft.note,
    )  # fmt: skip


def _lookup_all(
    draft: Draft, account: str, region: str, context: ResourceContext, resource_type: str
) -> list[KnownResource]:
    found = (context.lookup(account, region, resource_type, rid) for rid in draft.resource_ids)
    return [k for k in found if k is not None]


def _function(draft: Draft, account: str, region: str, context: ResourceContext) -> Draft:
    name = draft.details.get("functionName")
    if not isinstance(name, str):
        return draft
    known = context.lookup(account, region, "lambda:function", name)
    if known is None:
        return draft
    details = {**draft.details, "memoryMb": known.memory_mb, "architecture": known.architecture}
    return replace(draft, details=details)


def _group(draft: Draft, account: str, region: str, context: ResourceContext) -> Draft:
    if draft.size or not draft.resource_ids:
        return draft
    known = context.lookup(account, region, "autoscaling:group", draft.resource_ids[0])
    if known and known.size:
        return replace(draft, size=known.size)
    template = draft.details.get("launchTemplate")
    if not isinstance(template, str):
        return draft
    known = context.lookup(account, region, "ec2:launch-template", template)
    if known is None or not known.size:
        return draft
    note = f"instance type from launch template {template} (its newest version seen)"
    return replace(draft, size=known.size, note=note)


def _endpoint(draft: Draft, account: str, region: str, context: ResourceContext) -> Draft:
    config = draft.details.get("endpointConfigName")
    if draft.size or not isinstance(config, str):
        return draft
    known = context.lookup(account, region, "sagemaker:endpoint-config", config)
    if known is None or not known.size:
        return draft
    return replace(draft, size=known.size, quantity=known.quantity or 1, note=None)


def _definition(
    reference: object, account: str, region: str, context: ResourceContext
) -> KnownResource | None:
    if not isinstance(reference, str):
        return None
    family = reference.split(":", 1)[0]
    for key in dict.fromkeys((reference, family)):
        known = context.lookup(account, region, "ecs:task-definition", key)
        if known is not None and known.size:
            return known
    return None


def _ecs(draft: Draft, account: str, region: str, context: ResourceContext) -> Draft:
    """A Fargate service or task sized from its task definition (or the service seen before)."""
    if draft.size:
        return draft
    known = _definition(draft.details.get("taskDefinition"), account, region, context)
    quantity = draft.quantity
    if known is None and draft.resource_type == "ecs:service" and draft.resource_ids:
        known = context.lookup(account, region, "ecs:service", draft.resource_ids[0])
        if known is not None and draft.details.get("countUnchanged") and known.quantity:
            quantity = known.quantity
    if known is None or not known.size:
        return draft
    if known.os == "ec2" and draft.details.get("launchType") is None:
        return replace(draft, note="EC2 launch type: billed through the cluster's instances")
    details = {**draft.details, "architecture": known.architecture or "x86_64"}
    return replace(draft, size=known.size, quantity=quantity, details=details, note=None)


# Resources whose start, resume or resize names them without their type or count.
_REMEMBERED = frozenset(
    {
        "rds:db-cluster",
        "redshift:cluster",
        "opensearch:domain",
        "sagemaker:notebook-instance",
        "eks:nodegroup",
        "elasticache:cache-cluster",
        "elasticache:replication-group",
    }
)


def _remembered(draft: Draft, account: str, region: str, context: ResourceContext) -> Draft:
    if not draft.resource_ids or (draft.size and not draft.details.get("countUnchanged")):
        return draft
    known = context.lookup(account, region, draft.resource_type, draft.resource_ids[0])
    if known is None:
        return draft
    same_count = draft.details.get("countUnchanged") and known.quantity is not None
    return replace(
        draft,
        size=draft.size or known.size,
        engine=draft.engine or known.engine,
        quantity=known.quantity if same_count and known.quantity is not None else draft.quantity,
        note=None if known.size else draft.note,
    )


def resolve(draft: Draft, account: str, region: str, context: ResourceContext | None) -> Draft:
    """The draft with sizes and memory filled from earlier events, where the context knows."""
    if context is None:
        return draft
    if draft.resource_type == "ec2:instance" and draft.size is None:
        return _instances(draft, _lookup_all(draft, account, region, context, "ec2:instance"))
    if draft.resource_type == "rds:db-instance" and draft.size is None:
        found = _lookup_all(draft, account, region, context, "rds:db-instance")
        if found and found[0].size:
            engine = draft.engine or found[0].engine
            return replace(draft, size=found[0].size, engine=engine)
        return draft
    if draft.resource_type == "lambda:provisioned-concurrency":
        return _function(draft, account, region, context)
    if draft.resource_type == "autoscaling:group":
        return _group(draft, account, region, context)
    if draft.resource_type == "sagemaker:endpoint":
        return _endpoint(draft, account, region, context)
    if draft.resource_type in ("ecs:service", "ecs:task"):
        return _ecs(draft, account, region, context)
    if draft.resource_type in _REMEMBERED:
        return _remembered(draft, account, region, context)
    return draft
