"""RDS: DB instances and clusters."""

from __future__ import annotations

from engine.models import Action
from engine.parsers._draft import Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, get_bool, get_int, get_str

DB_INSTANCE = "rds:db-instance"


def _field(rec: CloudTrailRecord, key: str) -> str | None:
    return get_str(rec.request, key) or get_str(rec.response, key)


def _storage(rec: CloudTrailRecord) -> dict[str, str | int | float | bool | None]:
    return {
        "allocatedStorageGiB": get_int(rec.request, "allocatedStorage")
        or get_int(rec.response, "allocatedStorage"),
        "storageType": _field(rec, "storageType"),
    }


def _instance(rec: CloudTrailRecord, action: Action) -> Draft:
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
    return _instance(rec, "launch")


def restore_db_instance(rec: CloudTrailRecord) -> Draft:
    """RestoreDBInstanceFromDBSnapshot (and point-in-time): a new instance."""
    return _instance(rec, "launch")


def modify_db_instance(rec: CloudTrailRecord) -> Draft | NotCost:
    """ModifyDBInstance: a class or Multi-AZ change moves the hourly cost."""
    new_class = get_str(rec.request, "dBInstanceClass")
    if not new_class and get_bool(rec.request, "multiAZ") is None:
        return NotCost("ModifyDBInstance without a class or Multi-AZ change")
    draft = _instance(rec, "modify")
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
