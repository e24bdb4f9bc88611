//! Prometheus metrics (`GET /metrics`): what an operator graphs and alerts on — requests and
//! their latency by route template and status, the database pool, the job queue, the build.
//!
//! Labels are route *templates* (`/api/v1/workers/{id}`), never paths: a path carries ids (and
//! could carry personal data), and one series per id would grow without bound. Requests that
//! match no route share the template `unmatched`. The pool and the queue are read when scraped,
//! so several instances each report their own pool and the same (shared) queue.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A request's series: method, route template, status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// A latency series: method and route template (the status would multiply the buckets).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
    database: String,
}

/// The label of a request that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// This process's metrics. Recording is lock-free per series once it exists.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_connections: Family<StatusLabel, Gauge>,
    jobs: Family<StatusLabel, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// The metrics of a process running `version` on `database` (`postgres` or `sqlite`).
    pub fn new(version: &str, database: &str) -> Self {
        let mut registry = Registry::with_prefix("siji");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        // 1 ms to about 33 s.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response, by method and route template",
            latency.clone(),
        );
        let pool_connections = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this process's pools (the one opened at start and each HTTP worker's): in_use, idle, and max (the ceiling)",
            pool_connections.clone(),
        );
        let jobs = Family::<StatusLabel, Gauge>::default();
        registry.register(
            "jobs",
            "Jobs by status (queued, running, succeeded, failed), shared by every instance",
            jobs.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: version.to_owned(),
                database: database.to_owned(),
            })
            .set(1);
        registry.register(
            "build_info",
            "The running version and database kind (always 1)",
            build,
        );
        Self {
            registry,
            requests,
            latency,
            pool_connections,
            jobs,
        }
    }

    /// One request answered.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The pool as it is now.
    pub fn set_pool(&self, in_use: i64, idle: i64, max: i64) {
        for (status, value) in [("in_use", in_use), ("idle", idle), ("max", max)] {
            self.pool_connections
                .get_or_create(&StatusLabel {
                    status: status.to_owned(),
                })
                .set(value);
        }
    }

    /// The queue as it is now: every status reported, a status with no job at 0.
    pub fn set_jobs(&self, counts: &[(String, i64)]) {
        for status in ["queued", "running", "succeeded", "failed"] {
            let value = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.jobs
                .get_or_create(&StatusLabel {
                    status: status.to_owned(),
                })
                .set(value);
        }
    }

    /// The text exposition format (OpenMetrics).
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The media type of [`Metrics::encode`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_by_route_template_and_the_queue_reports_every_status() {
        let m = Metrics::new("0.1.0", "sqlite");
        m.observe("GET", "/api/v1/workers/{id}", 200, Duration::from_millis(3));
        m.observe("GET", "/api/v1/workers/{id}", 200, Duration::from_millis(5));
        m.set_jobs(&[("queued".into(), 4)]);
        m.set_pool(1, 4, 10);
        let text = m.encode().unwrap_or_default();
        assert!(
            text.contains(
                r#"siji_http_requests_total{method="GET",route="/api/v1/workers/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"siji_jobs{status="queued"} 4"#), "{text}");
        assert!(text.contains(r#"siji_jobs{status="failed"} 0"#), "{text}");
        assert!(
            text.contains(r#"siji_db_pool_connections{status="max"} 10"#),
            "{text}"
        );
        assert!(
            text.contains(r#"siji_build_info{version="0.1.0",database="sqlite"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
