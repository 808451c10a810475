"""RDS storage in the estimate, and start/modify events typed from the inventory (issue 13)."""

from __future__ import annotations

import pytest

from engine import CostEvent, Inventory, normalize_record
from pricing import load_catalogue
from tests.fixtures import load

CATALOGUE = load_catalogue()
HOURS = 730.0


def _priced(name: str, inventory: Inventory | None = None) -> CostEvent:
    result = normalize_record(load(f"cloudtrail/{name}"), CATALOGUE, inventory)
    assert isinstance(result, CostEvent), result
    if inventory is not None:
        inventory.remember(result)
    return result


def test_rds_instance_includes_its_allocated_storage() -> None:
    event = _priced("rds/create_db_instance_mysql.json")  # db.t3.micro, 20 GiB gp2, us-east-1
    instance = CATALOGUE.rds("db.t3.micro", "us-east-1", "mysql").usd
    gp2 = CATALOGUE.rds_storage("gp2", "us-east-1").usd
    assert instance is not None and gp2 is not None
    assert event.estimated_hourly_cost == pytest.approx(instance + 20 * gp2 / HOURS, abs=1e-6)
    assert "20 GiB gp2 storage" in (event.cost_note or "")
    assert "backups and I/O not counted" in (event.cost_note or "")


def test_storage_only_modify_is_priced_from_the_instance_seen_before() -> None:
    inventory = Inventory()
    _priced("rds/start_db_instance.json", inventory)  # the same instance: db.t3.micro MySQL
    event = _priced("rds/modify_db_instance_storage_only.json", inventory)
    instance = CATALOGUE.rds("db.t3.micro", "us-east-1", "mysql").usd
    io1 = CATALOGUE.rds_storage("io1", "us-east-1").usd
    iops = CATALOGUE.rds_storage("iops-io1", "us-east-1").usd
    assert instance is not None and io1 is not None and iops is not None
    expected = instance + (100 * io1 + 3000 * iops) / HOURS
    assert event.size == "db.t3.micro"
    assert event.estimated_hourly_cost == pytest.approx(expected, abs=1e-6)


def test_start_db_instance_and_resume_cluster_use_what_was_launched() -> None:
    inventory = Inventory()
    _priced("redshift/create_cluster_awsdocs.json", inventory)
    resumed = _priced("redshift/resume_cluster.json", inventory)
    assert (resumed.size, resumed.quantity) == ("dc1.large", 1)
    started = _priced("rds/start_db_instance.json")
    assert started.action == "start" and started.estimated_hourly_cost


def test_legacy_elasticsearch_types_are_priced() -> None:
    quote = CATALOGUE.opensearch("t2.small.elasticsearch", "us-east-1")
    assert quote.usd == CATALOGUE.opensearch("t2.small.search", "us-east-1").usd
    assert quote.note and "legacy Elasticsearch" in quote.note


def test_sagemaker_endpoint_is_priced_from_its_endpoint_config() -> None:
    inventory = Inventory()
    config = _priced("sagemaker/create_endpoint_config.json", inventory)
    assert config.action == "configure" and config.estimated_hourly_cost is None
    endpoint = _priced("sagemaker/create_endpoint_awsdocs.json", inventory)
    rate = CATALOGUE.sagemaker("ml.m5.xlarge", "us-west-2").usd
    assert rate is not None
    assert (endpoint.size, endpoint.quantity) == ("ml.m5.xlarge", 2)
    assert endpoint.estimated_hourly_cost == pytest.approx(2 * rate)
    # Unknown configuration: still unpriced, and it says why.
    alone = _priced("sagemaker/create_endpoint_awsdocs.json", Inventory())
    assert alone.estimated_hourly_cost is None and alone.cost_note


def test_auto_scaling_group_on_a_launch_template_is_priced_from_the_template() -> None:
    inventory = Inventory()
    _priced("ec2/create_launch_template_eks_nodegroup.json", inventory)
    group = _priced("autoscaling/create_auto_scaling_group_eks_nodegroup.json", inventory)
    rate = CATALOGUE.ec2("t3.medium", "eu-west-1").usd
    assert rate is not None
    assert (group.size, group.quantity) == ("t3.medium", 2)
    assert group.estimated_hourly_cost == pytest.approx(2 * rate)
    assert "launch template lt-0c2d2c87b6de105f8" in (group.cost_note or "")


def test_nat_gateway_london_is_priced_and_unpublished_regions_stay_unknown() -> None:
    assert CATALOGUE.nat_gateway("eu-west-2").usd == 0.05
    unknown = CATALOGUE.nat_gateway("eu-north-1")
    assert unknown.usd is None and unknown.reason


def test_a_wrapped_delete_names_its_resource() -> None:
    record = load("cloudtrail/ec2/create_traffic_mirror_session.json")
    record = {
        **record,
        "eventName": "DeleteTrafficMirrorSession",
        "requestParameters": {
            "DeleteTrafficMirrorSessionRequest": {"TrafficMirrorSessionId": "tms-0d1e2f3a4b5c6d7e8"}
        },
        "responseElements": None,
    }
    result = normalize_record(record, CATALOGUE)
    assert isinstance(result, CostEvent)
    assert (result.action, result.resource_ids) == ("delete", ("tms-0d1e2f3a4b5c6d7e8",))


def test_cache_cluster_resize_keeps_the_node_type_seen_before() -> None:
    inventory = Inventory()
    created = _priced("elasticache/create_cache_cluster_memcached_awsdocs.json", inventory)
    resized = {
        **load("cloudtrail/elasticache/create_cache_cluster_memcached_awsdocs.json"),
        "eventName": "ModifyCacheCluster",
        "requestParameters": {"cacheClusterId": "test-memcached", "numCacheNodes": 4},
    }
    result = normalize_record(resized, CATALOGUE, inventory)
    assert isinstance(result, CostEvent)
    assert (result.action, result.size, result.quantity) == ("modify", created.size, 4)
    if created.unit_hourly_cost is not None:
        assert result.estimated_hourly_cost == pytest.approx(4 * created.unit_hourly_cost)
