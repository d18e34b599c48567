"""Prometheus metrics for one app, in a registry of its own.

A private `CollectorRegistry` (not prometheus_client's global one) keeps two
apps in one process, such as tests, from sharing or clashing counters.
Requests are labelled by route rule (`/api/projects/<id>`), never
by raw path, so the number of series stays bounded. Store size and last
write time are read from the store when /metrics is scraped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "(unmatched)"


class _StoreCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info: dict[str, Any] = self.store.info()
        yield GaugeMetricFamily(
            "localapp_store_size_bytes",
            "Size of the data file and its journal in bytes",
            value=info["size_bytes"],
        )
        yield GaugeMetricFamily(
            "localapp_store_last_write_timestamp_seconds",
            "Unix time of the last write to the data file (0: never)",
            value=info["last_write"] or 0,
        )


class Metrics:
    """The counters and histograms of one app."""

    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "localapp_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "localapp_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(store))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
