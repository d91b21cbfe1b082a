//! `GET /metrics`: what an operator watches, in Prometheus' text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;

use crate::store::StoreGauges;

/// Counters kept since the server started.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Answers by status class: 1xx to 5xx.
    answers: [AtomicU64; 5],
    pushes: AtomicU64,
    stored: AtomicU64,
}

impl Metrics {
    /// An answer went out with `status`.
    pub(crate) fn answered(&self, status: StatusCode) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.answers[class].fetch_add(1, Ordering::Relaxed);
    }

    /// A push was stored, with `stored` new events.
    pub(crate) fn pushed(&self, stored: usize) {
        self.pushes.fetch_add(1, Ordering::Relaxed);
        self.stored.fetch_add(stored as u64, Ordering::Relaxed);
    }

    /// Every figure, with the gauges read now.
    pub(crate) fn render(&self, listeners: usize, store: StoreGauges) -> String {
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let answers: Vec<(String, u64)> =
            (0..5).map(|i| (format!("{{status=\"{}xx\"}}", i + 1), self.answers[i].load(Ordering::Relaxed))).collect();
        let answers: Vec<(&str, u64)> = answers.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        family("chronicle_requests_total", "counter", "Requests answered, by status class.", &answers);
        family("chronicle_pushes_total", "counter", "Pushes stored.", &[("", self.pushes.load(Ordering::Relaxed))]);
        family(
            "chronicle_events_stored_total",
            "counter",
            "New events stored (a retried event counts once).",
            &[("", self.stored.load(Ordering::Relaxed))],
        );
        family("chronicle_live_listeners", "gauge", "Live listeners connected now.", &[("", listeners as u64)]);
        family("chronicle_store_queued", "gauge", "Writes waiting for the store now.", &[("", store.queued as u64)]);
        family(
            "chronicle_store_connections",
            "gauge",
            "Database connections open, and of those idle.",
            &[("{state=\"open\"}", store.connections as u64), ("{state=\"idle\"}", store.idle as u64)],
        );
        out
    }
}
