//! The host's memory for a sync is bounded: a fan-out over parents with large children holds
//! at most one batch's budget of response bodies, and a batch that could never fit fails
//! with the budget named.

use crate::support::{connection, db};
use connector_agent_fixture::{FixtureConfig, FixtureServer};
use connector_agent_runtime::bindings::types::{HttpError, HttpRequest};
use connector_agent_runtime::{AllowList, BatchBudget, Credentials, HttpContext};
use sqlx::Row;

/// 200 parents, each with one invoice of a 2 MB body (an undocumented `memo`): the `sync
/// --json` process's peak RSS stays far below the 400 MB of child bodies, and every invoice
/// arrives.
#[tokio::test(flavor = "multi_thread")]
async fn fan_out_over_large_children_stays_within_the_memory_bound() {
    let parents = 200;
    let s = connection(FixtureConfig {
        customers: parents,
        invoices_per_customer: 1,
        invoice_memo_bytes: 2 << 20,
        ..FixtureConfig::default()
    })
    .await;
    s.engine
        .select(&s.id, &["invoices".to_string()], &[], &[])
        .unwrap();
    tokio::task::block_in_place(|| s.engine.run_setup(&s.id, &|_| {})).unwrap();
    // The memo is dropped inside the connector, so what is measured is the fan-out's
    // buffering of response bodies, not the rows waiting for their checkpoint (see README).
    s.engine
        .customize(&s.id, |c| {
            c.blocked_columns
                .entry("invoices".into())
                .or_default()
                .insert("memo".into());
        })
        .unwrap();
    let out = tokio::task::block_in_place(|| {
        crate::cli::cli(s._home.path())
            .args(["--json", "sync", &s.id, "--force"])
            .output()
            .unwrap()
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let peak = report["peak_rss_mb"].as_f64().expect("peak_rss_mb");
    assert!(
        peak < 300.0,
        "peak RSS {peak} MB for {parents} children of 2 MB"
    );
    let mut c = db(&s).await;
    let n: i64 = sqlx::query("SELECT count(*) FROM invoices")
        .fetch_one(&mut c)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, parents as i64);
}

/// A batch whose bodies together exceed the budget fails with the budget named; the same
/// requests in batches that fit succeed.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_over_the_budget_fails_naming_it() {
    let fixture = FixtureServer::start(FixtureConfig {
        customers: 8,
        invoices_per_customer: 1,
        invoice_memo_bytes: 600 << 10,
        ..FixtureConfig::default()
    })
    .await
    .unwrap();
    let base = fixture.base_url();
    let mut http = HttpContext::new(
        AllowList::new([AllowList::entry_for(&base).unwrap()]),
        Credentials::Bearer("test-token".into()),
    );
    http.batch_budget_bytes = 2 << 20;
    let request = |i: usize| HttpRequest {
        method: "GET".into(),
        url: format!("{base}/v1/customers/cus_{i:06}/invoices"),
        headers: vec![],
        body: None,
    };
    // 8 × 600 KB never fit in 2 MB.
    let budget = BatchBudget::new(http.batch_budget_bytes, 8);
    let mut errors = Vec::new();
    for i in 1..=8 {
        if let Err(e) = http.send_in_batch(request(i), &budget).await {
            errors.push(e);
        }
    }
    assert!(budget.exceeded());
    assert!(!errors.is_empty());
    let HttpError::Network(text) = &errors[0] else {
        panic!("{:?}", errors[0])
    };
    assert!(text.contains("memory budget of 2 MB per batch"), "{text}");
    // Three at a time fit.
    for chunk in [1..=3, 4..=6, 7..=8] {
        let budget = BatchBudget::new(http.batch_budget_bytes, 3);
        for i in chunk {
            let resp = http.send_in_batch(request(i), &budget).await.unwrap();
            assert_eq!(resp.status, 200);
            assert!(resp.body.len() > 600 << 10);
        }
        assert!(!budget.exceeded());
    }
}
