//! Unseen documentation syncs exactly: a list whose docs say nothing about paging while its
//! next-page token sits two levels deep is corrected by Save & Test (never passed with its
//! first page only), and one failing table does not stop the others.

use crate::churn::{assert_equal_to_source, destination_rows, ledger_with};
use connector_agent_fixture::ledger::{LedgerConfig, LEDGER_PAYOUTS};
use connector_agent_model::{CorrectedField, Pagination};
use connector_agent_sync::app::SyncOptions;
use connector_agent_sync::Error;

#[tokio::test(flavor = "multi_thread")]
async fn a_token_two_levels_deep_is_found_by_save_and_test_and_every_record_synced() {
    let l = ledger_with(
        LedgerConfig {
            records: 130,
            max_page_size: 50,
        },
        None,
        |api| api.set_payouts(true),
    )
    .await;
    let model = l.engine.home().load_model(&l.id).unwrap();
    let payouts = model.endpoint_by_table(LEDGER_PAYOUTS).unwrap();
    assert_eq!(
        payouts.pagination,
        Pagination::None,
        "the docs show no paging"
    );

    let report = l.engine.test(&l.id).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    let check = report
        .checks
        .iter()
        .find(|c| c.name == "table payouts")
        .unwrap();
    assert!(
        check.message.contains("meta.pagination.next_cursor"),
        "{check:?}"
    );
    let all = report.corrections.join("\n");
    assert!(
        all.contains("table `payouts`") && all.contains("pagination"),
        "{all}"
    );
    let model = l.engine.home().load_model(&l.id).unwrap();
    let payouts = model.endpoint_by_table(LEDGER_PAYOUTS).unwrap();
    assert_eq!(
        payouts.pagination,
        Pagination::Cursor {
            cursor_param: "cursor".into(),
            cursor_from_record: None,
            cursor_path: Some(vec![
                "meta".into(),
                "pagination".into(),
                "next_cursor".into()
            ]),
            has_more_path: None,
            limit: None,
        }
    );
    assert!(
        payouts
            .corrections
            .iter()
            .any(|c| c.field == CorrectedField::Pagination && c.evidence.contains("next_cursor")),
        "{:?}",
        payouts.corrections
    );

    let sync = l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    let synced = sync
        .tables
        .iter()
        .find(|t| t.table == LEDGER_PAYOUTS)
        .unwrap();
    assert_eq!(
        synced.rows_total, 130,
        "every payout, not the first page: {sync:?}"
    );
    assert_equal_to_source(&l, "after the corrected sync").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paginator_that_stops_while_the_page_says_more_is_corrected_or_fails_save_and_test() {
    let l = ledger_with(
        LedgerConfig {
            records: 60,
            max_page_size: 50,
        },
        None,
        |_| {},
    )
    .await;
    // A model whose accounts and entries do not page (as if the docs were silent).
    let mut model = l.engine.home().load_model(&l.id).unwrap();
    for e in model.endpoints.iter_mut() {
        if e.table == "accounts" || e.table == "entries" {
            e.pagination = Pagination::None;
        }
    }
    l.engine.import_model(&l.id, model).unwrap();
    tokio::task::block_in_place(|| l.engine.run_setup(&l.id, &|_| {})).unwrap();
    let report = l.engine.test(&l.id).await.unwrap();
    let check = |name: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name}: {:#?}", report.checks))
            .clone()
    };
    // Accounts: one `next_cursor` token, and `cursor` with it reads different records.
    let accounts = check("table accounts");
    assert!(
        accounts.ok && accounts.message.contains("corrected"),
        "{accounts:?}"
    );
    // Entries: only `total` says there is more, nothing to follow: the check fails, saying
    // what the page showed.
    let entries = check("table entries");
    assert!(!entries.ok, "{entries:?}");
    assert!(
        entries
            .message
            .contains("the first page says there is more")
            && entries.message.contains("`total` = 60")
            && entries.message.contains("would stop after it"),
        "{entries:?}"
    );
    assert!(!report.ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_table_does_not_stop_the_others() {
    let l = ledger_with(
        LedgerConfig {
            records: 120,
            max_page_size: 50,
        },
        None,
        |_| {},
    )
    .await;
    l.api.set_failing(Some(("entries", 400)));
    let err = l
        .engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect_err("one table fails");
    let Error::SyncPartial { report, .. } = &err else {
        panic!("not partial: {err}");
    };
    assert_eq!(report.failed_tables.len(), 1, "{report:?}");
    assert_eq!(report.failed_tables[0].table, "entries");
    assert!(
        report.failed_tables[0].cause.contains("400"),
        "{:?}",
        report.failed_tables
    );
    let text = err.to_string();
    assert!(
        text.contains("partial") && text.contains("entries"),
        "{text}"
    );
    let (rows, _) = destination_rows(&l).await;
    for t in ["accounts", "transfers"] {
        assert_eq!(rows[t].len(), 120, "{t} synced in full");
        let source: Vec<_> = l.api.records(t);
        for r in &source {
            assert_eq!(rows[t].get(r["id"].as_str().unwrap()), Some(r), "{t}");
        }
    }
    assert!(rows["entries"].is_empty());
    let history = l.engine.sync_history(&l.id, 1).unwrap();
    assert_eq!(history[0].status, "partial");
    assert!(history[0]
        .error
        .as_deref()
        .unwrap_or("")
        .contains("entries"));

    // Fixed: the next sync reads the failed table too.
    l.api.set_failing(None);
    l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    assert_equal_to_source(&l, "after the failing table recovered").await;
}
