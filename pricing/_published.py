"""Prices no source file has, entered by hand from AWS's published pricing pages.

NAT gateway: none of the committed public datasets carries NAT gateway prices (SOURCES.md, "Known
gaps"). These are the per-hour rates of the AWS VPC pricing page
(https://aws.amazon.com/vpc/pricing/, section "NAT Gateway pricing"), entered on 2026-11-26 for
the regions whose rate we are sure of; the page's own worked example (US East (Ohio), $0.045 per
hour) was also seen in a copy of the page taken on 2026-09-20. Regions not listed here get an
unknown price with a reason, never a guess. The per-GB data-processing charge is not included.

eu-west-2 (London) comes from AWS's Price List offer file instead: AmazonEC2, publication date
2026-09-04T23:11:17Z, SKU D8BXG95NJW6MV3B3, usage type `EUW2-NatGateway-Hours`, OnDemand
0.0500000000 USD per Hrs, as quoted verbatim in the test data of github.com/mooncitizen/togen
(`TestScanOfferPicksThePlainNatGatewayHourWithOrWithoutARegionPrefix`; the same slice gives
us-east-1's `NatGateway-Hours` as 0.045, matching the table). Found 2026-12-04 for issue 13;
no other region's rate was found in a source AWS published, so the others stay unknown.

NAT gateway data processing (per GB, both directions; issue 18's usage watch): the AWS VPC pricing
page lists a per-GB "data processed" charge beside each hourly rate. Entered 2026-12-05 only where
two independent copies of the page's figures agreed: US East (N. Virginia) and US East (Ohio)
$0.045/GB (hub.pointfive.co "excessive NAT gateway data processing charges", knbrlo.com "NAT
Gateway data processing", basavytix.com "AWS NAT Gateway pricing") and Asia Pacific (Singapore)
$0.059/GB (basavytix.com, quoting the VPC pricing page). Every other region: unknown, with a reason.
"""

from __future__ import annotations

NAT_GATEWAY_SOURCE = (
    "AWS VPC pricing page, 'NAT Gateway pricing' (https://aws.amazon.com/vpc/pricing/), "
    "hand-entered 2026-11-26; eu-west-2 from the AWS Price List offer file AmazonEC2 of "
    "2026-09-04 (SKU D8BXG95NJW6MV3B3)"
)

NAT_GATEWAY_HOURLY: dict[str, float] = {
    "us-east-1": 0.045,
    "us-east-2": 0.045,
    "us-west-1": 0.048,
    "us-west-2": 0.045,
    "eu-west-1": 0.048,
    "eu-west-2": 0.05,
    "eu-central-1": 0.052,
    "ap-northeast-1": 0.062,
    "ap-southeast-1": 0.059,
    "ap-southeast-2": 0.059,
}

NAT_GATEWAY_DATA_SOURCE = (
    "AWS VPC pricing page, 'NAT Gateway pricing', per GB data processed "
    "(https://aws.amazon.com/vpc/pricing/), hand-entered 2026-12-05 from copies of its figures"
)

NAT_GATEWAY_PER_GB: dict[str, float] = {
    "us-east-1": 0.045,
    "us-east-2": 0.045,
    "ap-southeast-1": 0.059,
}
# --- Issue 14: Fargate and Bedrock provisioned throughput ------------------------------------
# Neither is in the vendored price data (SOURCES.md lists its services). Entered 2026-12-05 from
# AWS's published pricing pages, for the regions and models whose rate we are sure of; anything
# else is an unknown price with the reason, never a guess.

FARGATE_SOURCE = (
    "AWS Fargate pricing page (https://aws.amazon.com/fargate/pricing/), Linux, per vCPU-hour "
    "and per GB-hour, hand-entered 2026-12-05; us-east-1's x86 rates ($0.04048, $0.004445) are "
    "also quoted verbatim in public cost calculators in the search index (e.g. 'Pricing (US East "
    "1, 2026) ECS_FARGATE_PER_VCPU = 0.04048, ECS_FARGATE_PER_GB = 0.004445')"
)

# region -> architecture -> (USD per vCPU-hour, USD per GB-hour)
FARGATE_HOURLY: dict[str, dict[str, tuple[float, float]]] = {
    region: {"x86_64": (0.04048, 0.004445), "arm64": (0.03238, 0.00356)}
    for region in ("us-east-1", "us-east-2", "us-west-2")
}
FARGATE_EPHEMERAL_GB_HOUR = 0.000111
"""Ephemeral storage above the 20 GiB every task gets free (us-east-1 rate)."""
FARGATE_FREE_EPHEMERAL_GIB = 20

BEDROCK_SOURCE = (
    "Amazon Bedrock pricing page (https://aws.amazon.com/bedrock/pricing/), 'Provisioned "
    "Throughput', price per model unit per hour (us-east-1, us-west-2), hand-entered 2026-12-05 "
    "(not checked against a stored copy of the page: re-verify before relying on it)"
)

# model id prefix -> commitment ("1-month" | "6-month") -> USD per model unit per hour. No rate
# without a commitment: the Bedrock User Guide ("Provisioned Throughput", prov-throughput.html, as
# stored in the search index) says no-commitment throughput is available for custom models only,
# whose ids (custom-model ARNs) this table cannot know, so they stay unknown with the reason.
BEDROCK_MODEL_UNIT_HOURLY: dict[str, dict[str, float]] = {
    "amazon.titan-text-express": {"1-month": 18.40, "6-month": 14.80},
    "amazon.titan-text-lite": {"1-month": 6.40, "6-month": 5.10},
    "anthropic.claude-instant": {"1-month": 44.00, "6-month": 22.00},
    "anthropic.claude-v2": {"1-month": 63.00, "6-month": 35.00},
}
BEDROCK_REGIONS = frozenset({"us-east-1", "us-west-2"})
