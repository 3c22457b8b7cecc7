//! Save & Test's probe: every check on the fixture, corrections of docs that disagree with
//! the API (shown by the review, used by the sync), and each failure named with its cause.

use crate::support::{connection, connection_with, db, Setup};
use connector_agent_fixture::{Fault, FixtureAuth, FixtureConfig};
use connector_agent_sync::app::{CheckOutcome, SyncOptions};
use connector_agent_sync::TestReport;
use serde_json::Value;
use sqlx::Row;

fn small() -> FixtureConfig {
    FixtureConfig {
        customers: 60,
        invoices_per_customer: 2,
        max_page_size: 25,
        ..FixtureConfig::default()
    }
}

fn check<'r>(report: &'r TestReport, name: &str) -> &'r CheckOutcome {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check `{name}` in {:#?}", report.checks))
}

async fn with_base_url(s: &Setup, base_url: &str) -> TestReport {
    s.engine
        .set_config(&s.id, &[("base_url".into(), base_url.into())])
        .unwrap();
    s.engine.test(&s.id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_check_passes_on_the_fixture_and_page_two_is_fetched() {
    let s = connection(small()).await;
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    assert!(report.corrections.is_empty(), "{:?}", report.corrections);
    for name in [
        "host reachable",
        "credentials accepted",
        "connector",
        "destination writable",
    ] {
        assert!(check(&report, name).ok, "{name}");
    }
    let customers = &check(&report, "table customers").message;
    for part in [
        "record path: records at `data` (25 on the first page)",
        "primary key: `id` unique on the page",
        "cursor field: `updated` present",
        "paginator: cursor style: page 2 differs (25 records)",
    ] {
        assert!(customers.contains(part), "{part}: {customers}");
    }
    let orders = &check(&report, "table orders").message;
    assert!(
        orders.contains("page_number style: page 2 differs"),
        "{orders}"
    );
    let lines = &check(&report, "table lines").message;
    // A child's key leads with the columns its parents fill (the connector adds them).
    assert!(
        lines.contains("primary key: `customer_id, invoice_id, id` unique"),
        "{lines}"
    );
    // The host asked for the second pages itself, the way the connector pages.
    let requests = s.fixture.requests();
    assert!(requests.iter().any(
        |r| r.path == "/v1/customers" && r.query_param("starting_after") == Some("cus_000025")
    ));
    assert!(requests
        .iter()
        .any(|r| r.path == "/v1/orders" && r.query_param("page") == Some("2")));
}

/// The docs say tickets are in `data` with the key `ticket_id`, and customers change in
/// `modified_at`; the API serves `records`, `id` and `updated`.
fn wrong_docs(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    let rename = |object: &mut Value, from: &str, to: &str| {
        let props = object["properties"].as_object_mut().unwrap();
        let v = props.remove(from).unwrap();
        props.insert(to.into(), v);
        for r in object["required"].as_array_mut().unwrap() {
            if r == from {
                *r = to.into();
            }
        }
    };
    rename(&mut schemas["TicketPage"], "records", "data");
    rename(&mut schemas["Ticket"], "id", "ticket_id");
    rename(&mut schemas["Customer"], "updated", "modified_at");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_docs_are_corrected_reviewed_and_synced() {
    let s = connection_with(small(), wrong_docs).await;
    let before = s.engine.home().load_model(&s.id).unwrap();
    let tickets = before.endpoint_by_table("tickets").unwrap();
    assert_eq!(tickets.record_path, ["data"]);
    assert_eq!(tickets.primary_key, ["ticket_id"]);

    let report = s.engine.test(&s.id).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    let all = report.corrections.join("\n");
    for expected in [
        "table `tickets`: record path `data` → `records`",
        "table `tickets`: primary key `ticket_id` → `id`",
        "table `tickets`: columns `(none)` → `id`",
        "table `customers`: cursor field `modified_at` → `updated`",
    ] {
        assert!(all.contains(expected), "{expected}: {all}");
    }
    let tickets_check = &check(&report, "table tickets").message;
    assert!(
        tickets_check.contains("record path: corrected to `records`"),
        "{tickets_check}"
    );
    assert!(
        check(&report, "connector").ok,
        "the rebuilt connector reads the corrected model"
    );

    // The review shows the corrections.
    let home = s._home.path();
    let out = crate::cli::cli(home)
        .args(["--json", "endpoints", &s.id])
        .assert()
        .success();
    let endpoints: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let tickets = endpoints
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["table"] == "tickets")
        .unwrap();
    assert_eq!(tickets["record_path"], serde_json::json!(["records"]));
    assert_eq!(tickets["primary_key"], serde_json::json!(["id"]));
    let fields: Vec<&str> = tickets["corrections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["record_path", "columns", "primary_key"]);
    assert_eq!(tickets["corrections"][0]["before"], "data");
    assert_eq!(tickets["corrections"][0]["after"], "records");
    let products = endpoints
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["table"] == "products")
        .unwrap();
    assert!(
        products.get("corrections").is_none(),
        "nothing to correct: {products}"
    );
    let out = crate::cli::cli(home)
        .args(["endpoints", &s.id])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        text.contains("corrected by Save & Test: record path `data` → `records`"),
        "{text}"
    );

    // A second test finds nothing more to correct.
    let again = s.engine.test(&s.id).await.unwrap();
    assert!(
        again.ok && again.corrections.is_empty(),
        "{:?}",
        again.corrections
    );

    // The sync fills the tables the corrected way.
    let first = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let rows = |t: &str| {
        first
            .tables
            .iter()
            .find(|x| x.table == t)
            .unwrap()
            .rows_total
    };
    assert_eq!(rows("tickets"), 29);
    assert_eq!(rows("customers"), 60);
    let mut conn = db(&s).await;
    let ids: Vec<i64> = sqlx::query("SELECT id FROM tickets ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .collect();
    let served: Vec<i64> = s
        .fixture
        .tickets()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, served);
    // The corrected cursor drives the incremental sync.
    s.fixture.reset_counters();
    s.fixture.touch_customers(&["cus_000007"]);
    s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    assert!(
        s.fixture
            .requests()
            .iter()
            .any(|r| r.path == "/v1/customers" && r.query_param("updated_since").is_some()),
        "the incremental sync filters by the corrected cursor"
    );
    let name: String = sqlx::query("SELECT name FROM customers WHERE id = 'cus_000007'")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert!(name.contains("edited"), "{name}");

    // Once tables hold data, a Save & Test that finds the docs wrong again (here: the tickets
    // key reset to a wrong one) reports the correction but does not change the model under
    // the synced tables.
    let mut model = s.engine.home().load_model(&s.id).unwrap();
    let tickets = model
        .endpoints
        .iter_mut()
        .find(|e| e.table == "tickets")
        .unwrap();
    tickets.primary_key = vec!["ticket_ref".into()];
    s.engine.home().save_model(&s.id, &model).unwrap();
    let later = s.engine.test(&s.id).await.unwrap();
    assert!(
        later
            .corrections
            .iter()
            .any(|c| c.starts_with("not applied") && c.contains("tickets")),
        "{:?}",
        later.corrections
    );
    let kept = s.engine.home().load_model(&s.id).unwrap();
    assert_eq!(
        kept.endpoint_by_table("tickets").unwrap().primary_key,
        ["ticket_ref"],
        "the model under synced tables was changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_named_401_with_where_to_get_one() {
    let s = connection(small()).await;
    s.engine
        .set_config(&s.id, &[("token".into(), "wrong-secret-value".into())])
        .unwrap();
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(!report.ok);
    let creds = check(&report, "credentials accepted");
    assert!(!creds.ok);
    for part in [
        "HTTP 401",
        "credentials rejected",
        "`token`",
        "Settings → API keys",
    ] {
        assert!(creds.message.contains(part), "{part}: {}", creds.message);
    }
    assert!(check(&report, "host reachable").ok);
    assert!(report.checks.iter().all(|c| c.name != "connector"));
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("wrong-secret-value"),
        "no secret in the report"
    );
}

/// A wrong password under basic auth is named as such, not as a key or token.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_named_as_the_user_name_and_password() {
    let s = connection(FixtureConfig {
        customers: 5,
        auth: FixtureAuth::Basic {
            username: "ann".into(),
            password: "pw".into(),
        },
        ..FixtureConfig::default()
    })
    .await;
    s.engine
        .set_config(
            &s.id,
            &[
                ("username".into(), "ann".into()),
                ("password".into(), "not-the-password".into()),
            ],
        )
        .unwrap();
    let report = s.engine.test(&s.id).await.unwrap();
    let creds = check(&report, "credentials accepted");
    assert!(!creds.ok);
    assert!(
        creds.message.contains("check the user name and password"),
        "{}",
        creds.message
    );
    assert!(!serde_json::to_string(&report)
        .unwrap()
        .contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_without_permission_is_named_403() {
    let s = connection(small()).await;
    s.fixture.inject(Fault::Forbidden { count: 1000 });
    let report = s.engine.test(&s.id).await.unwrap();
    let creds = check(&report, "credentials accepted");
    assert!(!creds.ok);
    assert!(creds.message.contains("HTTP 403"), "{}", creds.message);
    assert!(
        creds.message.contains("valid but lack permission"),
        "{}",
        creds.message
    );
    assert!(!creds.message.contains("rejected"), "{}", creds.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_path_is_named_404() {
    let s = connection(small()).await;
    let report = with_base_url(&s, &format!("{}/api", s.fixture.base_url())).await;
    let customers = check(&report, "table customers");
    assert!(!customers.ok);
    assert!(
        customers.message.contains("HTTP 404"),
        "{}",
        customers.message
    );
    assert!(
        customers.message.contains("wrong base URL or path"),
        "{}",
        customers.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_name_that_does_not_resolve_is_named_dns() {
    let s = connection(small()).await;
    // `.invalid` never resolves (RFC 6761): nothing leaves the machine.
    let report = with_base_url(&s, "http://api.fixture.invalid").await;
    let host = check(&report, "host reachable");
    assert!(!host.ok);
    assert!(host.message.contains("DNS failure"), "{}", host.message);
    assert!(
        host.message
            .contains("`api.fixture.invalid` does not resolve"),
        "{}",
        host.message
    );
    assert!(!check(&report, "table customers").ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_named_connection_refused() {
    let s = connection(small()).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let report = with_base_url(&s, &format!("http://127.0.0.1:{port}")).await;
    let host = check(&report, "host reachable");
    assert!(!host.ok);
    assert!(
        host.message.contains("connection refused"),
        "{}",
        host.message
    );
    assert!(!host.message.contains("DNS"), "{}", host.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn https_to_a_plain_http_server_is_named_tls() {
    let s = connection(small()).await;
    let report = with_base_url(&s, &format!("https://{}", s.fixture.addr())).await;
    let host = check(&report, "host reachable");
    assert!(!host.ok);
    assert!(host.message.contains("TLS failure"), "{}", host.message);
    assert!(host.message.contains("corporate proxy"), "{}", host.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_where_records_should_be_is_an_unexpected_shape() {
    let s = connection(small()).await;
    let before = s.engine.home().load_model(&s.id).unwrap();
    s.fixture.inject(Fault::ObjectForArray { count: 1000 });
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(!report.ok);
    let customers = check(&report, "table customers");
    assert!(!customers.ok);
    assert!(
        customers
            .message
            .contains("unexpected shape: GET http://127.0.0.1")
            && customers.message.contains(
                "expected an array of records at `data`, found an object with keys `id`, `object`"
            ),
        "{}",
        customers.message
    );
    let products = check(&report, "table products");
    assert!(
        products
            .message
            .contains("expected an array of records at `results`, found nothing there"),
        "{}",
        products.message
    );
    assert!(report.corrections.is_empty());
    assert_eq!(
        s.engine.home().load_model(&s.id).unwrap(),
        before,
        "not sure: no correction"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paginator_that_does_not_advance_fails() {
    let s = connection(small()).await;
    s.fixture.inject(Fault::IgnorePaging { count: 1000 });
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(!report.ok);
    let customers = check(&report, "table customers");
    assert!(!customers.ok);
    assert!(
        customers
            .message
            .contains("the paginator does not advance: `starting_after` param ignored?"),
        "{}",
        customers.message
    );
    let orders = check(&report, "table orders");
    assert!(
        orders
            .message
            .contains("the paginator does not advance: `page` param ignored?"),
        "{}",
        orders.message
    );
    // The first page itself was fine.
    assert!(
        customers.message.contains("record path: records at `data`"),
        "{}",
        customers.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_outside_the_allow_list_fails_the_test_and_names_where_it_went() {
    let s = connection(small()).await;
    // Port 9 on loopback: not in the allow-list, so nothing may be sent there.
    s.fixture.inject(Fault::Redirect {
        count: 1000,
        status: 302,
        location: "http://127.0.0.1:9/stolen".into(),
    });
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(!report.ok, "a denied redirect passed: {:#?}", report.checks);
    let failed: Vec<&CheckOutcome> = report.checks.iter().filter(|c| !c.ok).collect();
    assert!(
        failed.iter().any(|c| c.name.starts_with("table ")
            && c.message
                .contains("redirected (302) to http://127.0.0.1:9/stolen")
            && c.message.contains("allow-list")),
        "{failed:#?}"
    );
    assert!(
        !report
            .checks
            .iter()
            .any(|c| c.name == "host reachable" && c.ok),
        "{:#?}",
        report.checks
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_within_the_api_is_followed_and_reported() {
    let s = connection(small()).await;
    let target = format!("{}/v1/customers", s.fixture.base_url());
    s.fixture.inject(Fault::Redirect {
        count: 1,
        status: 301,
        location: target.clone(),
    });
    let report = s.engine.test(&s.id).await.unwrap();
    let reachable = check(&report, "host reachable");
    assert!(reachable.ok, "{reachable:?}");
    assert!(
        reachable
            .message
            .contains(&format!("redirected (301) to {target}")),
        "{}",
        reachable.message
    );
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.message.contains("redirect: GET ") && c.message.contains(&target)),
        "the table check names the redirect: {:#?}",
        report.checks
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_variables_are_setup_fields_and_the_allow_list_follows_them() {
    // The docs' server is `http://{apiHost}` with an example host as the variable's
    // default (as Discourse's `https://{defaultHost}`): the variable is a setup field, the
    // base URL is filled from it, and requests (and next pages) on the user's host pass the
    // allow-list, while the example host is never in it.
    let s = connection_with(small(), |doc| {
        let url = doc["servers"][0]["url"].as_str().unwrap().to_string();
        let host = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        doc["servers"] = serde_json::json!([{
            "url": url.replace(&host, "{apiHost}"),
            "variables": {"apiHost": {
                "default": "api.fixture.invalid",
                "description": "Your instance's host"
            }}
        }]);
    })
    .await;
    let model = s.engine.home().load_model(&s.id).unwrap();
    let field = model
        .config
        .iter()
        .find(|f| f.name == "api_host")
        .expect("the server variable is a field");
    assert_eq!(field.default.as_deref(), Some("api.fixture.invalid"));
    assert!(
        field.description.contains("Your instance's host"),
        "{field:?}"
    );
    let conn = s.engine.home().load(&s.id).unwrap();
    assert_eq!(conn.config["base_url"], "http://{api_host}");

    // The default is the docs' example: it is what the test reaches, and it fails by name.
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(!report.ok);
    assert!(
        check(&report, "host reachable")
            .message
            .contains("`api.fixture.invalid` does not resolve"),
        "{:#?}",
        report.checks
    );

    // A value that would add a path or another host is refused, naming the field.
    let fixture_host = s.fixture.base_url();
    let fixture_host = fixture_host
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap();
    for bad in ["evil.test/x", "user@evil.test", "evil.test?x=", "a b"] {
        s.engine
            .set_config(&s.id, &[("api_host".into(), bad.into())])
            .unwrap();
        let err = s.engine.test(&s.id).await.unwrap_err().to_string();
        assert!(
            err.contains("`api_host`") && err.contains("letters, digits"),
            "{bad}: {err}"
        );
    }

    // The user's host: every check passes, the sync reads every record through it.
    s.engine
        .set_config(&s.id, &[("api_host".into(), fixture_host.into())])
        .unwrap();
    let report = s.engine.test(&s.id).await.unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    let conn = s.engine.home().load(&s.id).unwrap();
    let model = s.engine.home().load_model(&s.id).unwrap();
    let http = s.engine.http_context(&conn, &model).unwrap();
    let allowed = |u: &str| http.allow.allows(&url::Url::parse(u).unwrap());
    assert!(allowed(&format!("http://{fixture_host}/v1/customers")));
    assert!(!allowed("http://api.fixture.invalid/v1/customers"));
    let report = s.engine.sync(&s.id, SyncOptions::default()).await.unwrap();
    let customers = report
        .tables
        .iter()
        .find(|t| t.table == "customers")
        .unwrap();
    assert_eq!(customers.rows_total, 60);
}
