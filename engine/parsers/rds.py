"""RDS: DB instances and clusters."""

from __future__ import annotations

from engine.models import Action
from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, get_bool, get_int, get_str

DB_INSTANCE = "rds:db-instance"
_STORAGE_KEYS = frozenset({"allocatedStorage", "storageType", "iops"})


def _field(rec: CloudTrailRecord, key: str) -> str | None:
    return get_str(rec.request, key) or get_str(rec.response, key)


def _number(rec: CloudTrailRecord, key: str) -> int | None:
    found = get_int(rec.request, key)
    return found if found is not None else get_int(rec.response, key)


def _storage(rec: CloudTrailRecord) -> dict[str, str | int | float | bool | None]:
    details: dict[str, str | int | float | bool | None] = {
        "allocatedStorageGiB": _number(rec, "allocatedStorage"),
        "storageType": _field(rec, "storageType"),
    }
    iops = _number(rec, "iops")
    if iops is not None:
        details["iops"] = iops
    return details


def instance(rec: CloudTrailRecord, action: Action) -> Draft:
    """A DB instance draft: class, engine, deployment and storage from the request or response."""
    multi_az = get_bool(rec.request, "multiAZ")
    if multi_az is None:
        multi_az = get_bool(rec.response, "multiAZ")
    details = _storage(rec)
    cluster = _field(rec, "dBClusterIdentifier")
    if cluster:
        details["dbClusterIdentifier"] = cluster
    return Draft(
        action=action,
        service="rds",
        resource_type=DB_INSTANCE,
        resource_ids=ids(_field(rec, "dBInstanceIdentifier")),
        size=_field(rec, "dBInstanceClass"),
        engine=_field(rec, "engine"),
        multi_az=bool(multi_az),
        details=details,
        note=None if _field(rec, "dBInstanceClass") else "DB class not in the event",
    )


def create_db_instance(rec: CloudTrailRecord) -> Draft:
    """CreateDBInstance: class x engine x deployment."""
    return instance(rec, "launch")


def restore_db_instance(rec: CloudTrailRecord) -> Draft:
    """RestoreDBInstanceFromDBSnapshot (and point-in-time): a new instance."""
    return instance(rec, "launch")


def modify_db_instance(rec: CloudTrailRecord) -> Draft | NotCost:
    """ModifyDBInstance: a class, Multi-AZ or storage change moves the hourly cost."""
    new_class = get_str(rec.request, "dBInstanceClass")
    request = rec.request or {}
    if (
        not new_class
        and get_bool(rec.request, "multiAZ") is None
        and not _STORAGE_KEYS & set(request)
    ):
        return NotCost("ModifyDBInstance without a class, Multi-AZ or storage change")
    draft = instance(rec, "modify")
    if new_class:
        return draft
    return Draft(
        action="modify",
        service="rds",
        resource_type=DB_INSTANCE,
        resource_ids=draft.resource_ids,
        engine=draft.engine,
        multi_az=draft.multi_az,
        details=draft.details,
        note="DB class not in the event",
    )


def delete_db_instance(rec: CloudTrailRecord) -> Draft:
    """DeleteDBInstance: the instance's spending stops."""
    return Draft(
        action="delete",
        service="rds",
        resource_type=DB_INSTANCE,
        resource_ids=ids(_field(rec, "dBInstanceIdentifier")),
        size=get_str(rec.response, "dBInstanceClass"),
        engine=get_str(rec.response, "engine"),
    )


def create_db_cluster(rec: CloudTrailRecord) -> Draft:
    """CreateDBCluster: Aurora bills its instances; a Multi-AZ DB cluster bills three."""
    instance_class = _field(rec, "dBClusterInstanceClass")
    engine = _field(rec, "engine")
    note = None
    if not instance_class:
        note = "Aurora cluster: billed by its DB instances and storage, priced as they are added"
    return Draft(
        action="launch",
        service="rds",
        resource_type="rds:db-cluster",
        resource_ids=ids(_field(rec, "dBClusterIdentifier")),
        size=instance_class,
        quantity=3 if instance_class else 1,
        engine=engine,
        details=_storage(rec),
        note=note,
    )


PARSERS: dict[tuple[str, str], Parser] = {
    ("rds.amazonaws.com", "CreateDBInstance"): create_db_instance,
    ("rds.amazonaws.com", "CreateDBInstanceReadReplica"): create_db_instance,
    ("rds.amazonaws.com", "RestoreDBInstanceFromDBSnapshot"): restore_db_instance,
    ("rds.amazonaws.com", "RestoreDBInstanceToPointInTime"): restore_db_instance,
    ("rds.amazonaws.com", "ModifyDBInstance"): modify_db_instance,
    ("rds.amazonaws.com", "DeleteDBInstance"): delete_db_instance,
    ("rds.amazonaws.com", "CreateDBCluster"): create_db_cluster,
}
