"""Every IAM action dd0c performs with the customer's assumed `dd0c-cost-readonly` role.

The role's permissions are written once, in `cloudformation/dd0c-cost-readonly.yaml`;
`tests/cloudformation/test_readonly_template.py` checks that each action below is allowed
there and that the template grants nothing broader than read-only. Code that calls AWS with
the assumed role (zombie scan, enrichment, connection validation) adds its actions here, keeping
each set a plain sorted literal, then to the template if the test says it is not granted yet.
"""

from __future__ import annotations

# The usage watch (hourly CloudWatch metrics) and the daily reconciliation (Cost Explorer):
# `usage/` (issue 18). Read actions only; ce:GetCostAndUsage is billed per request by AWS.
USAGE_ACTIONS: frozenset[str] = frozenset(
    {
        "ce:GetCostAndUsage",
        "cloudwatch:GetMetricData",
        "cloudwatch:ListMetrics",
        "lambda:ListFunctions",
    }
)

ASSUMED_ROLE_ACTIONS: frozenset[str] = USAGE_ACTIONS | frozenset(
    {
        "cloudwatch:GetMetricData",
        "ec2:DescribeAddresses",
        "ec2:DescribeInstances",
        "ec2:DescribeRegions",
        "ec2:DescribeSnapshots",
        "ec2:DescribeVolumes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "rds:DescribeDBInstances",
        "sts:GetCallerIdentity",
    }
)

# Calls every AWS identity may make whatever its policies say: the template need not grant them.
NO_PERMISSION_NEEDED: frozenset[str] = frozenset(
    {
        "sts:GetCallerIdentity",
    }
)
