//! `rampart_findings` and `rampart_findings_last_detected_timestamp_seconds`, served from
//! compact maps.
//!
//! A gauge vector keeps a child per series with its own description (name, help text,
//! label names) and label pairs as owned strings: about 2 KB a series, and a large cluster
//! has one per rule, severity and namespace with open findings, tens of thousands. These
//! collectors hold each series as four references (three static, the namespace the
//! engine's shared copy) and a value, and build the family only when `/metrics` is read.

use crate::placement::OpenSeries;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{Gauge, LabelPair, Metric, MetricFamily, MetricType};
use rampart_rules::Shared;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// One series' label values: rule, severity, category and namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Labels {
    pub rule: &'static str,
    pub severity: &'static str,
    pub category: &'static str,
    pub namespace: Shared,
}

impl Labels {
    pub(super) fn of(series: &OpenSeries) -> Labels {
        Labels {
            rule: series.rule,
            severity: series.severity.as_str(),
            category: series.category.as_str(),
            namespace: series.namespace.clone(),
        }
    }

    fn values(&self) -> [&str; 4] {
        [self.rule, self.severity, self.category, &self.namespace]
    }
}

/// Each series' value, by its labels.
pub(super) type Values = BTreeMap<Labels, f64>;

/// A gauge family whose series are the entries of a shared map. Without the namespace
/// label (three label names) the entries that differ only by namespace add up to one
/// series.
#[derive(Clone)]
pub(super) struct SeriesGauge {
    desc: Desc,
    values: Arc<Mutex<Values>>,
}

impl SeriesGauge {
    pub(super) fn new(
        name: &str,
        help: &str,
        labels: &[&str],
        values: Arc<Mutex<Values>>,
    ) -> Result<SeriesGauge, prometheus::Error> {
        let labels = labels.iter().map(|l| (*l).to_owned()).collect();
        let desc = Desc::new(name.to_owned(), help.to_owned(), labels, HashMap::new())?;
        Ok(SeriesGauge { desc, values })
    }

    fn metric(&self, values: &[&str], value: f64) -> Metric {
        let mut pairs: Vec<LabelPair> = self
            .desc
            .variable_labels
            .iter()
            .zip(values)
            .map(|(name, value)| {
                let mut pair = LabelPair::default();
                pair.set_name(name.clone());
                pair.set_value((*value).to_owned());
                pair
            })
            .collect();
        // By name, as the library's own vectors give them.
        pairs.sort_by(|a, b| a.name().cmp(b.name()));
        let mut gauge = Gauge::default();
        gauge.set_value(value);
        let mut metric = Metric::default();
        metric.set_label(pairs);
        metric.set_gauge(gauge);
        metric
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
        let Ok(values) = self.values.lock() else {
            return vec![family];
        };
        let metrics = if self.desc.variable_labels.len() >= 4 {
            values
                .iter()
                .map(|(labels, v)| self.metric(&labels.values(), *v))
                .collect()
        } else {
            let mut sums: BTreeMap<[&str; 3], f64> = BTreeMap::new();
            for (l, v) in values.iter() {
                *sums.entry([l.rule, l.severity, l.category]).or_default() += v;
            }
            sums.into_iter()
                .map(|(labels, v)| self.metric(&labels, v))
                .collect()
        };
        family.set_metric(metrics);
        vec![family]
    }
}
