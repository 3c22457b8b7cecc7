//! Unseen documentation syncs exactly: a list whose docs say nothing about paging while its
//! next-page token sits two levels deep is corrected by Save & Test (never passed with its
//! first page only), and one failing table does not stop the others.

use std::collections::BTreeMap;

use crate::churn::{assert_equal_to_source, destination_rows, ledger_with};
use connector_agent_fixture::ledger::{
    JsonApi, LedgerConfig, LedgerServer, LEDGER_PAYOUTS, LEDGER_RESOURCES,
};
use connector_agent_model::{ColumnType, CorrectedField, Pagination, RecordLayout};
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

/// Syncs `l`, which must end partial with `entries` the only failed table, its cause
/// holding `cause`; the error.
async fn only_entries_fail(l: &crate::churn::Ledger, cause: &str) -> Error {
    let (err, report, failed) = crate::support::partial_sync(&l.engine, &l.id).await;
    assert_eq!(failed, ["entries"], "{report:?}");
    assert!(
        report.failed_tables[0].cause.contains(cause),
        "{:?}",
        report.failed_tables
    );
    err
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
    let err = only_entries_fail(&l, "400").await;
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

/// The `account_id` column of `table` in the ledger's SQLite destination, by row id.
async fn account_ids(l: &crate::churn::Ledger, table: &str) -> BTreeMap<String, String> {
    use sqlx::Connection;
    let conn = l.engine.home().load(&l.id).unwrap();
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", conn.describe_destination()))
        .await
        .expect("open destination");
    sqlx::query_as::<_, (String, String)>(&format!("SELECT id, account_id FROM \"{table}\""))
        .fetch_all(&mut c)
        .await
        .expect("an account_id column")
        .into_iter()
        .collect()
}

/// Records served as JSON:API resource objects (`application/vnd.api+json` only, every field
/// under `attributes`, the account as a relationship) and documented as such: each table's
/// columns are the attributes and the relationship's id, typed, with the key and the filter's
/// cursor among them; the rows equal the API's after a first sync and after changes, and the
/// second sync reads only what changed.
#[tokio::test(flavor = "multi_thread")]
async fn json_api_resources_sync_as_typed_columns_and_incrementally() {
    let l = ledger_with(
        LedgerConfig {
            records: 130,
            max_page_size: 50,
        },
        None,
        |api| api.set_json_api(JsonApi::Documented),
    )
    .await;
    let model = l.engine.home().load_model(&l.id).unwrap();
    for t in LEDGER_RESOURCES {
        let e = model.endpoint_by_table(t).unwrap();
        assert_eq!(e.layout, RecordLayout::JsonApi, "{t}");
        let columns: Vec<(&str, ColumnType)> =
            e.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
        for want in [
            ("id", ColumnType::String),
            ("label", ColumnType::String),
            ("amount", ColumnType::Integer),
            ("updated_at", ColumnType::Timestamp),
        ] {
            assert!(columns.contains(&want), "{t}: {columns:?}");
        }
        assert!(
            !columns
                .iter()
                .any(|(c, _)| *c == "attributes" || *c == "relationships"),
            "{t}: {columns:?}"
        );
        assert_eq!(
            columns.iter().any(|(c, _)| *c == "account_id"),
            t != "accounts",
            "{t}: {columns:?}"
        );
        assert_eq!(e.primary_key, ["id"], "{t}");
        assert_eq!(
            e.incremental.as_ref().map(|i| i.cursor_field.as_str()),
            Some("updated_at"),
            "{t}"
        );
    }
    let report = l.engine.test(&l.id).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);

    l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    assert_equal_to_source(&l, "first sync of JSON:API resources").await;
    for t in ["entries", "transfers"] {
        assert_eq!(account_ids(&l, t).await, l.api.accounts_of(t), "{t}");
    }

    let changed = l.api.touch_random(12);
    assert!(changed > 0);
    let before = l.api.requests();
    let sync = l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    assert_equal_to_source(&l, "after changes").await;
    let read: u64 = sync.tables.iter().map(|t| t.rows_synced).sum();
    assert!(
        read < 3 * 130 / 2,
        "the second sync reads what changed, not every record: {sync:?}"
    );
    assert!(
        l.api.requests() - before <= 9,
        "{} requests",
        l.api.requests() - before
    );
}

/// The same resources from docs that say only "an array of objects": Save & Test sees JSON:API
/// resource objects on the first page, corrects the record layout (with its evidence) and
/// learns the attributes as columns; the sync then equals the API.
#[tokio::test(flavor = "multi_thread")]
async fn json_api_resources_the_docs_do_not_describe_are_recognised_by_save_and_test() {
    json_api_undescribed(JsonApi::Undocumented).await;
}

/// As above, from docs that also say `application/json` (the API answers 406 to it): Save &
/// Test asks for `application/vnd.api+json` after the 406 and keeps that header, with its
/// evidence.
#[tokio::test(flavor = "multi_thread")]
async fn json_api_media_the_docs_do_not_name_is_found_by_save_and_test_after_a_406() {
    let l = json_api_undescribed(JsonApi::Unannounced).await;
    let model = l.engine.home().load_model(&l.id).unwrap();
    for t in LEDGER_RESOURCES {
        let e = model.endpoint_by_table(t).unwrap();
        let accept: Vec<&str> = e
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("accept"))
            .map(|h| h.value.as_str())
            .collect();
        assert_eq!(accept, ["application/vnd.api+json"], "{t}");
        assert!(
            e.corrections
                .iter()
                .any(|c| c.field == CorrectedField::Headers && c.evidence.contains("406")),
            "{t}: {:?}",
            e.corrections
        );
    }
}

/// The ledger served as JSON:API with docs in `mode` that do not describe it: Save & Test
/// corrects the layout and learns the columns, and two syncs equal the API.
async fn json_api_undescribed(mode: JsonApi) -> crate::churn::Ledger {
    let api = LedgerServer::start(LedgerConfig {
        records: 90,
        max_page_size: 40,
    })
    .await
    .unwrap();
    api.set_json_api(mode);
    let l = crate::churn::ledger_from(api, None).await;
    let model = l.engine.home().load_model(&l.id).unwrap();
    assert_eq!(
        model.endpoint_by_table("entries").unwrap().layout,
        RecordLayout::Plain,
        "the docs do not say"
    );
    let report = l.engine.test(&l.id).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    let model = l.engine.home().load_model(&l.id).unwrap();
    for t in LEDGER_RESOURCES {
        let e = model.endpoint_by_table(t).unwrap();
        assert_eq!(e.layout, RecordLayout::JsonApi, "{t}: {:?}", e.corrections);
        assert!(
            e.corrections
                .iter()
                .any(|c| c.field == CorrectedField::Layout && c.evidence.contains("JSON:API")),
            "{t}: {:?}",
            e.corrections
        );
        let names: Vec<&str> = e.columns.iter().map(|c| c.name.as_str()).collect();
        for want in ["id", "label", "amount", "edits", "updated_at"] {
            assert!(names.contains(&want), "{t}: {names:?}");
        }
        assert_eq!(e.primary_key, ["id"], "{t}");
    }
    l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    assert_equal_to_source(&l, "first sync of undocumented JSON:API resources").await;
    assert_eq!(
        account_ids(&l, "entries").await,
        l.api.accounts_of("entries")
    );
    l.api.touch_random(10);
    l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    assert_equal_to_source(&l, "after changes").await;
    l
}

/// A record whose value nests 200,000 levels deep (valid JSON that no destination stores)
/// fails its own table with the limit named; the other tables sync and commit, and the table
/// syncs once the record is fixed.
#[tokio::test(flavor = "multi_thread")]
async fn a_record_nested_deeper_than_a_destination_reads_fails_only_its_table() {
    let l = ledger_with(
        LedgerConfig {
            records: 60,
            max_page_size: 50,
        },
        None,
        |_| {},
    )
    .await;
    l.api.set_deep_record(Some("entries"));
    only_entries_fail(&l, "deeper than 100 levels").await;
    let (rows, _) = destination_rows(&l).await;
    for t in ["accounts", "transfers"] {
        assert_eq!(rows[t].len(), 60, "{t} synced in full");
    }
    assert!(rows["entries"].is_empty());

    l.api.set_deep_record(None);
    l.engine.sync(&l.id, SyncOptions::default()).await.unwrap();
    assert_equal_to_source(&l, "after the deep record was fixed").await;
}

/// A list declared without paging whose pages say there is more (a child list that Save &
/// Test probed on a parent whose list fit one page, as from a Postman collection without
/// responses) fails its table (and the tables read under it) at sync time, naming what the
/// page showed, instead of keeping each parent's first page only; the other tables sync and
/// commit.
#[tokio::test(flavor = "multi_thread")]
async fn a_list_declared_without_paging_whose_pages_say_more_fails_its_table_not_silently() {
    use connector_agent_fixture::FixtureConfig;
    let s = crate::support::connection(FixtureConfig {
        customers: 6,
        invoices_per_customer: 7,
        max_page_size: 5,
        ..FixtureConfig::default()
    })
    .await;
    let mut model = s.engine.home().load_model(&s.id).unwrap();
    for e in model.endpoints.iter_mut() {
        match &mut e.pagination {
            p if e.table == "invoices" => *p = Pagination::None,
            Pagination::Cursor { limit: Some(l), .. }
            | Pagination::NextUrl { limit: Some(l), .. }
            | Pagination::LinkHeader { limit: Some(l) }
            | Pagination::PageNumber { limit: Some(l), .. }
            | Pagination::Offset { limit: l, .. } => l.value = l.value.min(5),
            _ => {}
        }
    }
    s.engine.import_model(&s.id, model).unwrap();
    tokio::task::block_in_place(|| s.engine.run_setup(&s.id, &|_| {})).unwrap();

    let (_, report, failed) = crate::support::partial_sync(&s.engine, &s.id).await;
    // `lines` is read under each invoice, so the walk that would lose invoices fails it too.
    assert_eq!(failed, ["invoices", "lines"], "{report:?}");
    let cause = &report.failed_tables[0].cause;
    assert!(
        cause.contains("says more records follow")
            && cause.contains("`has_more` is true")
            && cause.contains("declared without paging"),
        "{cause}"
    );
    let customers = report
        .tables
        .iter()
        .find(|t| t.table == "customers")
        .expect("customers synced");
    assert_eq!(customers.rows_total, 6, "{report:?}");
}
