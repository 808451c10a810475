"""RDS instance-hour prices from aws-price-watcher `processed/rds-<engine>-ondemand.json`.

A label (or, for grouped rows, its `[set name]`) reads like
`Database Instance PostgreSQL No license required db m5.large General purpose Single-AZ ...`:
edition, licence, the Aurora I/O-Optimized flag and the deployment come from it; the DB class and
the location come from the location key `"<display name> (Instance Type: db.m5.large, ...)"`.

Left out on purpose: labels made of hashes (storage and other metrics), "Multi-AZ readable
standbys" (Multi-AZ DB clusters: three instances, priced per cluster), Db2 "Marketplace" rows
(the RDS part only, the same as BYOL; IBM's licence fee is billed separately), and a single
"Oracle Standard" (SE1, retired) row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pricing._parse_common import Table, attribute_of, location_of, parse_price, store_in
from pricing._sources import Processed

# edition -> licence -> deployment -> region -> class -> price
RdsTable = dict[str, dict[str, dict[str, Table]]]

IO_OPTIMIZED_SUFFIX = "-io-optimized"

_EDITIONS = {
    "MySQL": "mysql",
    "PostgreSQL": "postgres",
    "MariaDB": "mariadb",
    "Aurora MySQL": "aurora-mysql",
    "Aurora PostgreSQL": "aurora-postgresql",
    "SQL Server Enterprise": "sqlserver-ee",
    "SQL Server Standard": "sqlserver-se",
    "SQL Server Express": "sqlserver-ex",
    "SQL Server Web": "sqlserver-web",
    "Oracle Enterprise": "oracle-ee",
    "Oracle Standard Two": "oracle-se2",
    "Db2": "db2",
}
_LICENCES = {
    "No license required": "none",
    "License included": "license-included",
    "Bring your own license": "bring-your-own-license",
}
_DEPLOYMENTS = {"Single-AZ": "single", "Multi-AZ": "multi"}
_DESCRIPTOR = re.compile(
    r"^Database Instance (?P<edition>.+?) "
    r"(?P<licence>No license required|License included|Bring your own license|Marketplace) "
    r"(?P<rest>.*)$"
)
_DEPLOYMENT = re.compile(r" (Single-AZ|Multi-AZ readable standbys|Multi-AZ) ")
_IO_FLAG = "Aurora IO Optimization Mode"
_LOCATION_MARK = " (Instance Type: "


def _descriptor(label: str) -> str:
    """The text that carries edition/licence/deployment: the set name when there is one."""
    if label.startswith("["):
        return label[1 : label.find("]")]
    return label


def parse_label(label: str) -> tuple[str, str, str] | None:
    """(edition, licence, deployment) keys for an instance label, None for rows left out."""
    match = _DESCRIPTOR.match(_descriptor(label))
    if match is None:
        return None
    deployment = _DEPLOYMENT.search(f" {match['rest']} ")
    edition = _EDITIONS.get(match["edition"])
    licence = _LICENCES.get(match["licence"])
    if deployment is None or edition is None or licence is None:
        return None
    kept = _DEPLOYMENTS.get(deployment.group(1))
    if kept is None:
        return None
    if _IO_FLAG in match["rest"]:
        edition += IO_OPTIMIZED_SUFFIX
    return edition, licence, kept


def _add_rows(
    table: Table, locations: Mapping[str, str], names: Mapping[str, str], where: str
) -> None:
    for key, text in locations.items():
        code = names.get(location_of(key, _LOCATION_MARK))
        db_class = attribute_of(key, "Instance Type")
        price = parse_price(text, where)
        if code is not None and db_class is not None and price is not None:
            store_in(table, code, db_class, price, where)


def rds_prices(files: Mapping[str, Processed], names: Mapping[str, str]) -> RdsTable:
    """Instance-hour prices for every edition, licence and deployment the files hold."""
    result: RdsTable = {}
    for stem, labels in sorted(files.items()):
        where = f"aws-price-watcher/processed/rds-{stem}-ondemand.json"
        for label, locations in labels.items():
            keys = parse_label(label)
            if keys is None:
                continue
            edition, licence, deployment = keys
            table = (
                result.setdefault(edition, {}).setdefault(licence, {}).setdefault(deployment, {})
            )
            _add_rows(table, locations, names, where)
    return result
