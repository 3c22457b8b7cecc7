//! Offset lists whose pages end before a short page does: a page size the API caps below the
//! one asked for (with `total`), and short pages before `isLast` (Jira's permission
//! filtering). Every record must arrive; the short-page rule would stop after page one.

use crate::support::{connection_with, db, Setup};
use connector_agent_fixture::{
    note_replies, paging_openapi_document, refund_ids, refund_notes, visible_worklogs, FixtureAuth,
    FixtureConfig, REFUND_PAGE_CAP,
};
use connector_agent_model::{EndSignal, Pagination};
use connector_agent_sync::app::SyncOptions;
use sqlx::Row;

/// A connection generated from the fixture's paging document instead of the billing one.
async fn paging_connection() -> Setup {
    connection_with(FixtureConfig::default(), |doc| {
        let base = doc["servers"][0]["url"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        *doc = paging_openapi_document(&base, &FixtureAuth::Bearer("test-token".into()));
    })
    .await
}

async fn ids(conn: &mut sqlx::SqliteConnection, table: &str) -> Vec<String> {
    sqlx::query(&format!("SELECT id FROM {table} ORDER BY id"))
        .fetch_all(conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("id"))
        .collect()
}

fn end_of(s: &Setup, table: &str) -> Option<EndSignal> {
    let model = s.engine.home().load_model(&s.id).unwrap();
    let endpoint = model.endpoints.iter().find(|e| e.table == table).unwrap();
    match &endpoint.pagination {
        Pagination::Offset { end, .. } => end.clone(),
        other => panic!("`{table}` is not offset-paged: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn capped_pages_with_a_total_and_short_pages_before_is_last_sync_every_record() {
    let s = paging_connection().await;
    assert_eq!(
        end_of(&s, "refunds"),
        Some(EndSignal::Total {
            path: vec!["total".into()]
        })
    );
    assert_eq!(
        end_of(&s, "worklogs"),
        Some(EndSignal::Flag {
            path: vec!["isLast".into()],
            stop_when: true
        })
    );
    // Setup probed the API already; only the sync's requests count below.
    let before = s.fixture.requests().len();
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let rows = |table: &str| {
        report
            .tables
            .iter()
            .find(|t| t.table == table)
            .map(|t| t.rows_total)
    };
    let mut conn = db(&s).await;
    assert_eq!(ids(&mut conn, "refunds").await, refund_ids());
    assert_eq!(rows("refunds"), Some(refund_ids().len() as i64));
    assert_eq!(ids(&mut conn, "worklogs").await, visible_worklogs());

    let requests = s.fixture.requests().split_off(before);
    let offsets: Vec<String> = requests
        .iter()
        .filter(|r| r.path == "/v1/refunds")
        .filter_map(|r| r.query_param("offset").map(str::to_owned))
        .collect();
    // Advanced by the records received (7), not by the limit asked for (100). The list is
    // walked for its own table and again for its child table (`notes`).
    let expected: Vec<String> = (0..refund_ids().len())
        .step_by(REFUND_PAGE_CAP)
        .map(|n| n.to_string())
        .collect();
    assert_eq!(offsets.len(), 2 * expected.len(), "{offsets:?}");
    assert!(
        offsets.chunks(expected.len()).all(|walk| walk == expected),
        "{offsets:?}"
    );
    assert!(requests
        .iter()
        .filter(|r| r.path == "/v1/refunds")
        .all(|r| r.query_param("limit") == Some("100")));
}

#[tokio::test(flavor = "multi_thread")]
async fn save_and_test_follows_the_end_signal_to_a_second_page() {
    let s = paging_connection().await;
    let report = s.engine.test(&s.id).await.unwrap();
    let check = |table: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == format!("table {table}"))
            .unwrap_or_else(|| panic!("no check for `{table}`: {report:?}"))
            .clone()
    };
    // Page one of refunds is short (the API caps it) but `total` says more follow: the probe
    // must read page two instead of calling the first page the only one.
    let refunds = check("refunds");
    assert!(refunds.ok, "{}", refunds.message);
    assert!(
        refunds.message.contains("page 2 differs"),
        "{}",
        refunds.message
    );
    let second = s
        .fixture
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .any(|r| r.query_param("offset") == Some(&REFUND_PAGE_CAP.to_string()));
    assert!(
        second,
        "the probe did not ask for the second page at the received count"
    );
}

/// A child list whose ids are numbered within each parent (every refund has a note 1): keyed
/// by its parent's column and its own id, every note arrives and stays once; keyed by `id`
/// alone, the notes of later refunds overwrote the earlier ones' (23 refunds' notes became 3
/// rows) while Save & Test passed.
#[tokio::test(flavor = "multi_thread")]
async fn child_ids_numbered_per_parent_all_arrive_once() {
    let s = paging_connection().await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    let notes = model
        .endpoints
        .iter()
        .find(|e| e.path == "/v1/refunds/{refund_id}/notes")
        .expect("the notes table");
    assert_eq!(notes.primary_key, ["refund_id", "id"]);
    let table = notes.table.clone();
    let replies = model
        .endpoints
        .iter()
        .find(|e| e.path == "/v1/refunds/{refund_id}/notes/{note_id}/replies")
        .expect("the replies table");
    assert_eq!(replies.primary_key, ["refund_id", "note_id", "id"]);
    let replies_table = replies.table.clone();
    let report = s.engine.test(&s.id).await.unwrap();
    let check = report
        .checks
        .iter()
        .find(|c| c.name == format!("table {table}"))
        .expect("a check of the notes");
    assert!(check.ok, "{}", check.message);
    let expected: Vec<(String, i64)> = {
        let mut v = refund_notes();
        v.sort();
        v
    };
    for round in 0..2 {
        s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
        let mut conn = db(&s).await;
        let rows: Vec<(String, i64)> = sqlx::query(&format!(
            "SELECT refund_id, id FROM {table} ORDER BY refund_id, id"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect();
        assert_eq!(rows, expected, "sync {}", round + 1);
        // One level down, replies numbered within each note: keyed by the refund, the note
        // and their own number, every reply lands once (keyed by note and number, the
        // replies of 23 refunds' notes collapsed into 6 rows).
        let replies: Vec<(String, i64, i64)> = sqlx::query(&format!(
            "SELECT refund_id, note_id, id FROM {replies_table} ORDER BY refund_id, note_id, id"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<String, _>(1).parse().unwrap(),
                r.get::<i64, _>(2),
            )
        })
        .collect();
        let mut want = note_replies();
        want.sort();
        assert_eq!(replies, want, "sync {}", round + 1);
    }
}
