"""Every IAM action dd0c performs with the customer's assumed `dd0c-cost-readonly` role.

Each feature declares the actions it calls in `FEATURE_ACTIONS` (one sorted literal per feature;
a new feature is one new entry). The role's policy in `cloudformation/dd0c-cost-readonly.yaml`
grants exactly `GRANTED_ACTIONS`, with no wildcard: `tests/cloudformation/test_readonly_template.py`
compares the two sets, and the tests that drive each feature against moto check that every call
it makes is in its feature's list. The permission table in `cloudformation/README.md` gives each
action its reason.
"""

from __future__ import annotations

FEATURE_ACTIONS: dict[str, frozenset[str]] = {
    # onboarding.validation: who the role is, and a harmless read it must allow
    "validation": frozenset({"ec2:DescribeRegions", "sts:GetCallerIdentity"}),
    # onboarding.zombies: idle, still-billed resources in every enabled region
    "zombie-scan": frozenset(
        {
            "ec2:DescribeAddresses",
            "ec2:DescribeInstances",
            "ec2:DescribeRegions",
            "ec2:DescribeSnapshots",
            "ec2:DescribeVolumes",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        }
    ),
    # onboarding.coverage: every enabled region forwards events (rules present, instances seen)
    "coverage": frozenset({"ec2:DescribeInstances", "ec2:DescribeRegions", "events:ListRules"}),
}

ASSUMED_ROLE_ACTIONS: frozenset[str] = frozenset().union(*FEATURE_ACTIONS.values())

# Calls every AWS identity may make whatever its policies say: the template need not grant them.
NO_PERMISSION_NEEDED: frozenset[str] = frozenset(
    {
        "sts:GetCallerIdentity",
    }
)

# Exactly what the role's policy grants.
GRANTED_ACTIONS: frozenset[str] = ASSUMED_ROLE_ACTIONS - NO_PERMISSION_NEEDED
