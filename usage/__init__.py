"""Spend no API call announces: the hourly usage watch (CloudWatch) and the daily reconciliation.

`metrics` (ListMetrics, batched GetMetricData), `watch` (one account, every region it uses →
`UsageReport`), `anomalies` (spikes → the ordinary anomaly path), `reconcile` (Cost Explorer's
billed day beside our estimate), `service` (what the scheduler calls).
"""
