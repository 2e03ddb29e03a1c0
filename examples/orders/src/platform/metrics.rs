//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Prometheus metrics, served as text on the admin listener's `GET /metrics`.
//!
//! Requests are counted by method, route *pattern* (`/users/{id}`, never the path a client
//! chose: every distinct label value is a new series in Prometheus) and status class; their
//! latency goes into a histogram whose buckets suit a service answering in milliseconds.
//! Process metrics (memory, CPU, file descriptors, start time) are read from /proc at scrape.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, web};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use std::time::Duration;

/// Upper bounds in seconds: 100 µs to 5 s, dense where a healthy request lands.
const LATENCY_BUCKETS: [f64; 15] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The route label of a request no route matched: its path is the client's choice, so it is
/// never a label.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The service's metrics; one per `Application`, shared by its workers.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered."),
            &["method", "route", "status_class"],
        )
        .expect("a valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to having its response ready.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )
        .expect("a valid metric");
        let in_flight = IntGauge::new(
            "http_requests_in_flight",
            "HTTP requests received and not answered yet.",
        )
        .expect("a valid metric");
        let metrics = Self {
            registry: Registry::new(),
            requests,
            duration,
            in_flight,
        };
        metrics.register(Box::new(metrics.requests.clone()));
        metrics.register(Box::new(metrics.duration.clone()));
        metrics.register(Box::new(metrics.in_flight.clone()));
        metrics.register(Box::new(ProcessCollector::new()));
        metrics
    }

    /// Adds a collector (the database pool's, for one) to what `/metrics` serves.
    pub fn register(&self, collector: Box<dyn Collector>) {
        self.registry
            .register(collector)
            .expect("every metric name is registered once");
    }

    /// Counts a request in flight until the returned guard is dropped.
    pub fn track_in_flight(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    /// Counts an answered request and its latency.
    pub fn observe(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .with_label_values(&[method, route, status_class(status)])
            .inc();
        self.duration
            .with_label_values(&[method, route])
            .observe(elapsed.as_secs_f64());
    }

    /// Everything registered, in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .expect("encoding to memory cannot fail");
        String::from_utf8(text).expect("the text format is UTF-8")
    }
}

/// Decrements the in-flight gauge when the request ends, answered or dropped.
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `GET /metrics`.
pub async fn serve(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(TextEncoder::new().format_type())
        .body(metrics.render())
}

/// The standard methods by name; any other method is one label, so clients cannot mint series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The `process_*` metrics Prometheus client libraries export, read from /proc/self at scrape
/// time; nothing on systems without /proc.
struct ProcessCollector {
    descs: Vec<Desc>,
}

/// /proc/self/stat counts CPU time and start time in USER_HZ ticks, which the kernel fixes at
/// 100 per second for user space on every architecture Linux containers run on.
const TICKS_PER_SECOND: f64 = 100.0;

impl ProcessCollector {
    const METRICS: [(&'static str, &'static str); 6] = [
        (
            "process_cpu_seconds_total",
            "User and system CPU time spent, in seconds.",
        ),
        (
            "process_resident_memory_bytes",
            "Resident memory size, in bytes.",
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size, in bytes.",
        ),
        ("process_open_fds", "Open file descriptors."),
        ("process_max_fds", "The limit on open file descriptors."),
        (
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.",
        ),
    ];

    fn new() -> Self {
        let descs = Self::METRICS
            .iter()
            .map(|(name, help)| {
                Desc::new(
                    (*name).to_owned(),
                    (*help).to_owned(),
                    Vec::new(),
                    Default::default(),
                )
                .expect("a valid metric")
            })
            .collect();
        Self { descs }
    }
}

impl Collector for ProcessCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let Some(process) = read_process() else {
            return Vec::new();
        };
        let values = [
            process.cpu_seconds,
            process.resident_bytes,
            process.virtual_bytes,
            process.open_fds,
            process.max_fds,
            process.start_time_seconds,
        ];
        Self::METRICS
            .iter()
            .zip(values)
            .map(|((name, help), value)| {
                let family = if name.ends_with("_total") {
                    let counter = prometheus::Counter::new(*name, *help).expect("a valid metric");
                    counter.inc_by(value);
                    counter.collect()
                } else {
                    let gauge = prometheus::Gauge::new(*name, *help).expect("a valid metric");
                    gauge.set(value);
                    gauge.collect()
                };
                family.into_iter().next().expect("one family per metric")
            })
            .collect()
    }
}

struct Process {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    open_fds: f64,
    max_fds: f64,
    start_time_seconds: f64,
}

fn read_process() -> Option<Process> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields count from
    // after its closing parenthesis, where field 3 (state) is at index 0.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let field = |number: usize| -> Option<f64> { fields.get(number - 3)?.parse().ok() };
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = |key: &str| -> Option<f64> {
        let line = status.lines().find(|line| line.starts_with(key))?;
        let value: f64 = line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(value * 1024.0)
    };
    let boot_time: f64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let max_fds: f64 = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(Process {
        cpu_seconds: (field(14)? + field(15)?) / TICKS_PER_SECOND,
        resident_bytes: kib("VmRSS:")?,
        virtual_bytes: kib("VmSize:")?,
        open_fds: std::fs::read_dir("/proc/self/fd").ok()?.count() as f64,
        max_fds,
        start_time_seconds: boot_time + field(22)? / TICKS_PER_SECOND,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_method_route_pattern_and_status_class() {
        let metrics = Metrics::new();
        for status in [200, 200, 404, 503] {
            metrics.observe(
                &Method::GET,
                "/users/{id}",
                StatusCode::from_u16(status).unwrap(),
                Duration::from_micros(300),
            );
        }
        metrics.observe(
            &Method::from_bytes(b"BREW").unwrap(),
            UNMATCHED_ROUTE,
            StatusCode::METHOD_NOT_ALLOWED,
            Duration::from_millis(2),
        );

        let text = metrics.render();

        for line in [
            r#"http_requests_total{method="GET",route="/users/{id}",status_class="2xx"} 2"#,
            r#"http_requests_total{method="GET",route="/users/{id}",status_class="4xx"} 1"#,
            r#"http_requests_total{method="GET",route="/users/{id}",status_class="5xx"} 1"#,
            r#"http_requests_total{method="other",route="unmatched",status_class="4xx"} 1"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/users/{id}",le="0.00025"} 0"#,
            r#"http_request_duration_seconds_bucket{method="GET",route="/users/{id}",le="0.0005"} 4"#,
            r#"http_request_duration_seconds_count{method="GET",route="/users/{id}"} 4"#,
            "http_requests_in_flight 0",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn the_in_flight_gauge_follows_its_guards() {
        let metrics = Metrics::new();
        let first = metrics.track_in_flight();
        let second = metrics.track_in_flight();

        assert!(metrics.render().contains("\nhttp_requests_in_flight 2\n"));
        drop(first);
        drop(second);
        assert!(metrics.render().contains("\nhttp_requests_in_flight 0\n"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_metrics_are_read_from_proc() {
        let text = Metrics::new().render();
        let value = |name: &str| -> f64 {
            let line = text
                .lines()
                .find(|line| line.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} in\n{text}"));
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();

        assert!(value("process_resident_memory_bytes") > 1024.0 * 1024.0);
        assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
        assert!(value("process_open_fds") >= 3.0);
        assert!(value("process_max_fds") >= value("process_open_fds"));
        assert!(value("process_cpu_seconds_total") >= 0.0);
        let started = value("process_start_time_seconds");
        assert!(
            started <= now + 1.0 && started > now - 24.0 * 3600.0,
            "{started}"
        );
    }
}
