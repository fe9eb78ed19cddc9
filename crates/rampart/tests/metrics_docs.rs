//! docs/metrics.md is what `rampart docs metrics` prints from the metrics the operator
//! registers (the operator's own tests check that table against the live registry).

mod common;
use common::{rampart, stdout};

#[test]
fn committed_metric_docs_are_current() {
    let generated = stdout(&rampart(&["docs", "metrics"]));
    assert!(generated.contains("## rampart_findings\n"), "{generated}");
    rampart_testkit::repo::assert_current(
        "docs/metrics.md",
        &generated,
        "cargo run -p rampart -- docs metrics --output docs/metrics.md",
    );
}
