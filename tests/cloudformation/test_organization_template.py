"""The organisation path: one service-managed StackSet deploys the customer stack everywhere.

`cloudformation/dd0c-cost-organization.yaml`, launched in the management account, must deploy
the very same `dd0c-cost-readonly.yaml` (its URL a parameter) with the same parameters and
constraints, to every account of the chosen units and to accounts that join later, in one region
per account (the stack itself covers every enabled region), without one refused account stopping
the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cloudformation.templates import load_template, resources_of
from tests.cloudformation.test_readonly_template import READONLY

ORGANIZATION = Path(READONLY).with_name("dd0c-cost-organization.yaml")


@pytest.fixture(scope="module")
def organization() -> dict[str, Any]:
    return load_template(ORGANIZATION)


@pytest.fixture(scope="module")
def readonly() -> dict[str, Any]:
    return load_template(READONLY)


def _stack_set(template: dict[str, Any]) -> dict[str, Any]:
    [stack_set] = resources_of(template, "AWS::CloudFormation::StackSet").values()
    properties: dict[str, Any] = stack_set["Properties"]
    return properties


def test_a_service_managed_stack_set_that_follows_the_organisation(
    organization: dict[str, Any],
) -> None:
    stack_set = _stack_set(organization)
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]  # the role has a fixed name
    assert stack_set["TemplateURL"] == {"Ref": "TemplateUrl"}
    [group] = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {"OrganizationalUnitIds": {"Ref": "OrganizationalUnitIds"}}
    assert group["Regions"] == [{"Ref": "StackRegion"}]  # one region: the stack covers them all
    # a workspace on the free tier refuses its second account: the others still deploy
    assert stack_set["OperationPreferences"]["FailureTolerancePercentage"] == 100


def test_member_stacks_get_every_parameter_of_the_customer_stack_unchanged(
    organization: dict[str, Any], readonly: dict[str, Any]
) -> None:
    passed = {
        p["ParameterKey"]: p["ParameterValue"] for p in _stack_set(organization)["Parameters"]
    }
    assert set(passed) == set(readonly["Parameters"])
    assert all(value == {"Ref": key} for key, value in passed.items())
    for key, definition in readonly["Parameters"].items():
        assert organization["Parameters"][key] == definition, key
