"""Data services in CloudTrail's shape: RDS instances, Redshift clusters, ElastiCache groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.scenarios._context import Account
from bench.scenarios._identities import Actor
from bench.scenarios._ids import human_time, lower_alnum, uuid4
from bench.scenarios._model import Label

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_ENGINE_VERSIONS = {"postgres": "16.4", "mysql": "8.0.39"}
_LICENSES = {"postgres": "postgresql-license", "mysql": "general-public-license"}


@dataclass(frozen=True)
class Database:
    """What a CreateDBInstance asks for."""

    identifier: str
    db_class: str
    engine: str = "postgres"
    multi_az: bool = False
    storage_gib: int = 100


def create_db_instance(
    acct: Account, actor: Actor, when: datetime, region: str, db: Database, label: Label
) -> None:
    """Log a CreateDBInstance with the request and the created instance."""
    request: dict[str, Any] = {
        "dBInstanceIdentifier": db.identifier,
        "allocatedStorage": db.storage_gib,
        "dBInstanceClass": db.db_class,
        "engine": db.engine,
        "masterUsername": "app_admin",
        "masterUserPassword": HIDDEN,
        "dBSubnetGroupName": f"{acct.name}-db",
        "multiAZ": db.multi_az,
        "engineVersion": _ENGINE_VERSIONS[db.engine],
        "publiclyAccessible": False,
        "storageType": "gp3",
        "storageEncrypted": True,
        "backupRetentionPeriod": 7,
        "deletionProtection": False,
    }
    arn = f"arn:aws:rds:{region}:{acct.id}:db:{db.identifier}"
    response: dict[str, Any] = {
        "dBInstanceIdentifier": db.identifier,
        "dBInstanceClass": db.db_class,
        "engine": db.engine,
        "dBInstanceStatus": "creating",
        "masterUsername": "app_admin",
        "allocatedStorage": db.storage_gib,
        "preferredBackupWindow": "06:13-06:43",
        "backupRetentionPeriod": 7,
        "dBSecurityGroups": [],
        "vpcSecurityGroups": [
            {"vpcSecurityGroupId": acct.net(region).security_group, "status": "active"}
        ],
        "dBParameterGroups": [
            {"dBParameterGroupName": f"default.{db.engine}16", "parameterApplyStatus": "in-sync"}
        ],
        "preferredMaintenanceWindow": "sun:08:01-sun:08:31",
        "pendingModifiedValues": {"masterUserPassword": "****"},
        "multiAZ": db.multi_az,
        "engineVersion": _ENGINE_VERSIONS[db.engine],
        "autoMinorVersionUpgrade": True,
        "readReplicaDBInstanceIdentifiers": [],
        "licenseModel": _LICENSES[db.engine],
        "publiclyAccessible": False,
        "storageType": "gp3",
        "storageThroughput": 125,
        "dbInstancePort": 0,
        "storageEncrypted": True,
        "dbiResourceId": "db-" + lower_alnum(acct.rng, 26).upper(),
        "cACertificateIdentifier": "rds-ca-rsa2048-g1",
        "copyTagsToSnapshot": False,
        "monitoringInterval": 0,
        "dBInstanceArn": arn,
        "iAMDatabaseAuthenticationEnabled": False,
        "performanceInsightsEnabled": False,
        "deletionProtection": False,
        "tagList": [],
        "networkType": "IPV4",
    }
    acct.call(
        actor,
        when,
        region,
        "rds.amazonaws.com",
        "CreateDBInstance",
        request=request,
        response=response,
        label=label,
    )


def delete_db_instance(
    acct: Account, actor: Actor, when: datetime, region: str, db: Database, label: Label
) -> None:
    """Log a DeleteDBInstance without a final snapshot."""
    request = {
        "dBInstanceIdentifier": db.identifier,
        "skipFinalSnapshot": True,
        "deleteAutomatedBackups": True,
    }
    response = {
        "dBInstanceIdentifier": db.identifier,
        "dBInstanceClass": db.db_class,
        "engine": db.engine,
        "dBInstanceStatus": "deleting",
        "multiAZ": db.multi_az,
        "dBInstanceArn": f"arn:aws:rds:{region}:{acct.id}:db:{db.identifier}",
    }
    acct.call(
        actor,
        when,
        region,
        "rds.amazonaws.com",
        "DeleteDBInstance",
        request=request,
        response=response,
        label=label,
    )


def create_redshift_cluster(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    name: str,
    node_type: str,
    nodes: int,
    label: Label,
) -> None:
    """Log Redshift CreateCluster (multi-node)."""
    request = {
        "clusterIdentifier": name,
        "nodeType": node_type,
        "masterUsername": "awsuser",
        "masterUserPassword": "****",
        "clusterType": "multi-node",
        "numberOfNodes": nodes,
        "encrypted": True,
        "publiclyAccessible": False,
    }
    response = {
        "clusterIdentifier": name,
        "nodeType": node_type,
        "clusterStatus": "creating",
        "clusterAvailabilityStatus": "Modifying",
        "masterUsername": "awsuser",
        "dBName": "dev",
        "automatedSnapshotRetentionPeriod": 1,
        "manualSnapshotRetentionPeriod": -1,
        "vpcId": acct.net(region).vpc,
        "pendingModifiedValues": {"masterUserPassword": "****"},
        "clusterVersion": "1.0",
        "allowVersionUpgrade": True,
        "numberOfNodes": nodes,
        "publiclyAccessible": False,
        "encrypted": True,
        "enhancedVpcRouting": False,
        "maintenanceTrackName": "current",
        "clusterNamespaceArn": f"arn:aws:redshift:{region}:{acct.id}:namespace:{uuid4(acct.rng)}",
    }
    acct.call(
        actor,
        when,
        region,
        "redshift.amazonaws.com",
        "CreateCluster",
        request=request,
        response=response,
        label=label,
    )


def create_replication_group(
    acct: Account,
    actor: Actor,
    when: datetime,
    region: str,
    name: str,
    node_type: str,
    nodes: int,
    label: Label,
) -> None:
    """Log ElastiCache CreateReplicationGroup (Redis OSS, cluster mode disabled)."""
    request = {
        "replicationGroupId": name,
        "replicationGroupDescription": f"{name} cache",
        "automaticFailoverEnabled": nodes > 1,
        "multiAZEnabled": nodes > 1,
        "numCacheClusters": nodes,
        "cacheNodeType": node_type,
        "engine": "redis",
        "engineVersion": "7.1",
        "cacheSubnetGroupName": f"{acct.name}-cache",
        "securityGroupIds": [acct.net(region).security_group],
        "atRestEncryptionEnabled": True,
        "transitEncryptionEnabled": True,
    }
    members = [f"{name}-{i:03d}" for i in range(1, nodes + 1)]
    response = {
        "replicationGroupId": name,
        "description": f"{name} cache",
        "status": "creating",
        "pendingModifiedValues": {},
        "memberClusters": members,
        "automaticFailover": "enabling" if nodes > 1 else "disabled",
        "multiAZ": "enabled" if nodes > 1 else "disabled",
        "snapshotRetentionLimit": 0,
        "clusterEnabled": False,
        "cacheNodeType": node_type,
        "transitEncryptionEnabled": True,
        "atRestEncryptionEnabled": True,
        "aRN": f"arn:aws:elasticache:{region}:{acct.id}:replicationgroup:{name}",
        "replicationGroupCreateTime": human_time(when),
        "dataTiering": "disabled",
        "autoMinorVersionUpgrade": True,
        "networkType": "ipv4",
        "ipDiscovery": "ipv4",
        "clusterMode": "disabled",
        "engine": "redis",
    }
    acct.call(
        actor,
        when,
        region,
        "elasticache.amazonaws.com",
        "CreateReplicationGroup",
        request=request,
        response=response,
        label=label,
    )
