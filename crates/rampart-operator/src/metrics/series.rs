//! `rampart_findings`, served from the counts the operator keeps anyway.
//!
//! A gauge vector keeps a child per series with its own description (name, help text,
//! label names) and label pairs: about 2 KB a series, and a large cluster has one per
//! rule, severity and namespace with open findings, tens of thousands. This collector
//! holds each series as its label values and count, once, and builds the family only when
//! `/metrics` is read.

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Series by label values.
pub(super) type Counts = BTreeMap<Vec<String>, i64>;

/// A gauge family whose series are the entries of a shared map.
#[derive(Clone)]
pub(super) struct SeriesGauge {
    desc: Desc,
    counts: Arc<Mutex<Counts>>,
}

impl SeriesGauge {
    pub(super) fn new(
        name: &str,
        help: &str,
        labels: &[&str],
        counts: Arc<Mutex<Counts>>,
    ) -> Result<SeriesGauge, prometheus::Error> {
        let labels = labels.iter().map(|l| (*l).to_owned()).collect();
        let desc = Desc::new(name.to_owned(), help.to_owned(), labels, HashMap::new())?;
        Ok(SeriesGauge { desc, counts })
    }
}

impl Collector for SeriesGauge {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut family = MetricFamily::default();
        family.set_name(self.desc.fq_name.clone());
        family.set_help(self.desc.help.clone());
        family.set_field_type(MetricType::GAUGE);
        let Ok(counts) = self.counts.lock() else {
            return vec![family];
        };
        let metrics = counts
            .iter()
            .map(|(values, n)| {
                let mut pairs: Vec<LabelPair> = self
                    .desc
                    .variable_labels
                    .iter()
                    .zip(values)
                    .map(|(name, value)| {
                        let mut pair = LabelPair::default();
                        pair.set_name(name.clone());
                        pair.set_value(value.clone());
                        pair
                    })
                    .collect();
                // By name, as the library's own vectors give them.
                pairs.sort_by(|a, b| a.name().cmp(b.name()));
                let mut gauge = Gauge::default();
                gauge.set_value(*n as f64);
                let mut metric = Metric::default();
                metric.set_label(pairs);
                metric.set_gauge(gauge);
                metric
            })
            .collect();
        family.set_metric(metrics);
        vec![family]
    }
}
