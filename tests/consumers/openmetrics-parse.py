"""Parses a report with both of prometheus_client's parsers: the Prometheus text format
(`prometheus_client.parser`) and OpenMetrics (`prometheus_client.openmetrics.parser`).
Exits non-zero if either refuses it, a series is repeated, a type is other than gauge or
counter, a sample has a timestamp or a name lacks the `patlint_` prefix. Prints the
series it read, one JSON object per line."""

import json
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as prometheus_families

text = open(sys.argv[1], encoding="utf-8").read()
problems = []
series = {}
for parser, families in (
    ("prometheus", prometheus_families),
    ("openmetrics", openmetrics_families),
):
    seen = set()
    try:
        parsed = list(families(text))
    except Exception as e:  # the parsers raise ValueError and others
        problems.append(f"{parser} parser refused the report: {e!r}")
        continue
    for family in parsed:
        if family.type not in ("gauge", "counter"):
            problems.append(f"{parser}: {family.name} is a {family.type}")
        if not family.name.startswith("patlint_"):
            problems.append(f"{parser}: {family.name} lacks the patlint_ prefix")
        for s in family.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                problems.append(f"{parser}: series repeated: {key}")
            seen.add(key)
            if s.timestamp is not None:
                problems.append(f"{parser}: {s.name} has a timestamp")
            series[key] = s.value
for problem in problems:
    print(problem, file=sys.stderr)
for (name, labels), value in sorted(series.items()):
    print(json.dumps({"name": name, "labels": dict(labels), "value": value}))
sys.exit(1 if problems else 0)
