"""Lookups over the hand-entered published rates (`pricing/_published.py`): Fargate tasks and
Bedrock model units. Pure; every miss is an unknown `Quote` with the reason."""

from __future__ import annotations

from pricing._published import (
    BEDROCK_MODEL_UNIT_HOURLY,
    BEDROCK_REGIONS,
    BEDROCK_SOURCE,
    FARGATE_EPHEMERAL_GB_HOUR,
    FARGATE_FREE_EPHEMERAL_GIB,
    FARGATE_HOURLY,
    FARGATE_SOURCE,
)
from pricing.catalogue import HOUR, Quote

_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "x86": "x86_64", "arm64": "arm64"}
_FARGATE_NOTE = "Fargate vCPU and memory rates from the AWS pricing page (hand-entered)"


def fargate_task(
    region: str, vcpu: float, memory_gb: float, arch: str = "x86_64", ephemeral_gib: int = 0
) -> Quote:
    """Hourly price of one Linux Fargate task of `vcpu` and `memory_gb` (and extra storage)."""
    rates = FARGATE_HOURLY.get(region)
    if rates is None:
        why = "the price data has no Fargate rates and the hand-entered table does not cover it"
        return Quote(None, HOUR, reason=f"no Fargate price for {region}: {why}")
    pair = rates.get(_ARCH.get(arch.lower(), arch.lower()))
    if pair is None:
        return Quote(None, HOUR, reason=f"unknown Fargate CPU architecture '{arch}'")
    extra = max(ephemeral_gib - FARGATE_FREE_EPHEMERAL_GIB, 0) * FARGATE_EPHEMERAL_GB_HOUR
    usd = vcpu * pair[0] + memory_gb * pair[1] + extra
    return Quote(round(usd, 6), HOUR, note=_FARGATE_NOTE, source=FARGATE_SOURCE)


def _model_rates(model_id: str) -> dict[str, float] | None:
    # "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k" -> id
    name = model_id.rsplit("/", 1)[-1]
    for prefix, rates in BEDROCK_MODEL_UNIT_HOURLY.items():
        if name.startswith(prefix):
            return rates
    return None


def bedrock_model_unit(model_id: str, region: str, commitment: str = "none") -> Quote:
    """Hourly price of one Bedrock provisioned-throughput model unit for `commitment`."""
    if region not in BEDROCK_REGIONS:
        return Quote(None, HOUR, reason=f"no Bedrock provisioned-throughput rates for {region}")
    rates = _model_rates(model_id)
    if rates is None:
        why = "the hand-entered table covers a few Amazon Titan and Anthropic Claude models"
        return Quote(None, HOUR, reason=f"no provisioned-throughput rate for {model_id}: {why}")
    usd = rates.get(commitment)
    if usd is None:
        offered = ", ".join(sorted(rates))
        return Quote(
            None, HOUR, reason=f"{model_id} is not offered with commitment {commitment}: {offered}"
        )
    return Quote(usd, HOUR, source=BEDROCK_SOURCE)
