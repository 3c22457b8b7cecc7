//! Paging under a hostile or endless API: a cursor that cycles ends the list instead of
//! looping, and the per-table page cap stops a sync that the next one continues.

use crate::churn::{destination_rows, ledger};
use connector_agent_fixture::ledger::LedgerConfig;
use connector_agent_sync::app::SyncOptions;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_that_cycles_ends_the_list_instead_of_looping() {
    let l = ledger(
        LedgerConfig {
            records: 500,
            max_page_size: 50,
        },
        None,
    )
    .await;
    l.api.set_cursor_cycle(true);
    let sync = l.engine.sync(&l.id, SyncOptions::default());
    let report = tokio::time::timeout(Duration::from_secs(120), sync)
        .await
        .expect("the sync ends instead of looping")
        .expect("the sync completes");
    let accounts = report
        .tables
        .iter()
        .find(|t| t.table == "accounts")
        .unwrap();
    // Pages 1, 2 and 3 are read; page 3 leads back to page 2, which is not read again.
    assert_eq!(accounts.rows_synced, 150, "{report:?}");
    assert!(l.api.requests() < 40, "{} requests", l.api.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_cap_stops_a_table_and_the_next_sync_continues_from_there() {
    let l = ledger(
        LedgerConfig {
            records: 500,
            max_page_size: 50,
        },
        None,
    )
    .await;
    l.engine
        .customize(&l.id, |c| c.max_pages = Some(4))
        .unwrap();
    let err = l
        .engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect_err("the cap stops the sync")
        .to_string();
    assert!(
        err.contains("stopped after 4 pages") && err.contains("--max-pages"),
        "{err}"
    );
    let (rows, _) = destination_rows(&l).await;
    assert_eq!(
        rows["accounts"].len(),
        200,
        "the 4 pages read are committed"
    );
    l.engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect_err("capped again");
    let (rows, _) = destination_rows(&l).await;
    assert_eq!(
        rows["accounts"].len(),
        400,
        "the next sync continued where the cap stopped"
    );
    l.engine.customize(&l.id, |c| c.max_pages = None).unwrap();
    l.engine
        .sync(&l.id, SyncOptions::default())
        .await
        .expect("without the cap it completes");
    crate::churn::assert_equal_to_source(&l, "after capped syncs").await;
}
