//! An API nobody here had seen, documented three ways: a small Slate/widdershins-style HTML
//! docs site, the same content as Markdown, and a PDF printed from it whose method index is
//! a table. Each endpoint must take its paging, filters, record path and key from its own
//! section; single objects and write requests add nothing to the lists.

use std::fmt::Write as _;

use crate::prose::{one_page_pdf, pdf_escape};
use crate::support::endpoint;

use connector_agent_extract::{extract_pdf_file, extract_prose, ProseKind, ProsePage};
use connector_agent_model::{ApiModel, EndSignal, Endpoint, PageSize, Pagination};

const INDEX_HTML: &str = r#"<html><head><title>TinyShop API</title></head><body>
<h1 id="introduction">Introduction</h1>
<p>The TinyShop API is organised around REST. The base URL of all requests is
<code>https://api.tinyshop.test/v2</code>.</p>
<h1 id="authentication">Authentication</h1>
<p>Send your token in the header: <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<h1 id="pagination">Pagination</h1>
<p>Lists page in one of two ways, named in each endpoint's section:</p>
<table><thead><tr><th>Parameter</th><th>Type</th><th>Description</th></tr></thead>
<tbody>
<tr><td><code>cursor</code></td><td><code>string</code></td><td>Cursor-paged lists: the <code>next_cursor</code> of the last page.</td></tr>
<tr><td><code>page</code></td><td><code>integer</code></td><td>Page-numbered lists: the page, from <code>1</code>.</td></tr>
<tr><td><code>per_page</code></td><td><code>integer</code></td><td>Page-numbered lists: records per page.</td></tr>
</tbody></table>
<h1 id="methods">Methods</h1>
<table><thead><tr><th>Module</th><th>Method</th><th>Path</th><th>Description</th></tr></thead>
<tbody>
<tr><td>Orders</td><td><code>GET</code></td><td><code>/v2/orders</code></td><td>List orders</td></tr>
<tr><td>Orders</td><td><code>GET</code></td><td><code>/v2/orders/{order_id}</code></td><td>Get an order</td></tr>
<tr><td>Orders</td><td><code>POST</code></td><td><code>/v2/orders</code></td><td>Create an order</td></tr>
<tr><td>Customers</td><td><code>GET</code></td><td><code>/v2/customers</code></td><td>List customers</td></tr>
<tr><td>Customers</td><td><code>GET</code></td><td><code>/v2/customers/{customer_id}</code></td><td>Get a customer</td></tr>
<tr><td>Customers</td><td><code>PATCH</code></td><td><code>/v2/customers/{customer_id}</code></td><td>Update a customer</td></tr>
<tr><td>Account</td><td><code>GET</code></td><td><code>/v2/account</code></td><td>Your account</td></tr>
<tr><td>Events</td><td><code>GET</code></td><td><code>/v2/events</code></td><td>List events</td></tr>
<tr><td>Webhooks</td><td><code>GET</code></td><td><code>/v2/webhooks</code></td><td>List webhooks</td></tr>
</tbody></table>
</body></html>"#;

/// Slate: the example request and response come first, then `HTTP Request` and the
/// parameters under their own `<h3>`s.
const ORDERS_HTML: &str = r#"<html><body>
<h1 id="orders">Orders</h1>
<h2 id="list-orders">List orders</h2>
<pre class="highlight shell tab-shell"><code>curl "https://api.tinyshop.test/v2/orders?limit=2" \
  -H "Authorization: Bearer $TOKEN"
</code></pre>
<blockquote><p>The above command returns JSON structured like this:</p></blockquote>
<pre class="highlight json tab-json"><code>{
  "data": [
    {"order_id": "ord_1", "total": 12.5, "status": "paid", "updated_at": "2024-05-01T10:00:00Z"},
    {"order_id": "ord_2", "total": 3.0, "status": "open", "updated_at": "2024-05-02T10:00:00Z"}
  ],
  "next_cursor": "b3JkXzI="
}
</code></pre>
<p>Orders, newest first.</p>
<h3 id="http-request">HTTP Request</h3>
<p><code>GET https://api.tinyshop.test/v2/orders</code></p>
<h3 id="query-parameters">Query Parameters</h3>
<table><thead><tr><th>Parameter</th><th>Type</th><th>Required</th><th>Description</th></tr></thead>
<tbody>
<tr><td><code>limit</code></td><td><code>integer</code></td><td>no</td><td>Orders per page, at most <code>100</code>.<br>Default <code>20</code>.</td></tr>
<tr><td><code>cursor</code></td><td><code>string</code></td><td>no</td><td>The <code>next_cursor</code> of the previous page.</td></tr>
<tr><td><code>status</code></td><td><code>string</code></td><td>no</td><td>Only orders in this status: <code>open</code>, <code>paid</code>.</td></tr>
</tbody></table>
<h2 id="get-an-order">Get an order</h2>
<pre class="highlight http"><code>GET /v2/orders/ord_1 HTTP/1.1
Host: api.tinyshop.test
</code></pre>
<pre class="highlight http"><code>HTTP/1.1 200 OK
Content-Type: application/json

{"order_id": "ord_1", "total": 12.5, "status": "paid", "lines": [{"sku": "tea", "qty": 2}]}
</code></pre>
<h3 id="http-request-2">HTTP Request</h3>
<p><code>GET https://api.tinyshop.test/v2/orders/{order_id}</code></p>
<h3 id="url-parameters">URL Parameters</h3>
<table><thead><tr><th>Parameter</th><th>Required</th><th>Description</th></tr></thead>
<tbody><tr><td><code>order_id</code></td><td>yes</td><td>The order.</td></tr></tbody></table>
<h2 id="create-an-order">Create an order</h2>
<pre class="highlight shell"><code>curl -X POST "https://api.tinyshop.test/v2/orders" \
  -H "Authorization: Bearer $TOKEN" -d '{"customer_id": 1, "lines": []}'
</code></pre>
<h3 id="http-request-3">HTTP Request</h3>
<p><code>POST https://api.tinyshop.test/v2/orders</code></p>
<h3 id="body-parameters">Body Parameters</h3>
<table><thead><tr><th>Parameter</th><th>Type</th><th>Required</th><th>Description</th></tr></thead>
<tbody>
<tr><td><code>customer_id</code></td><td><code>integer</code></td><td>yes</td><td>Who orders.</td></tr>
<tr><td><code>lines</code></td><td><code>array</code></td><td>yes</td><td>What is ordered.</td></tr>
</tbody></table>
</body></html>"#;

/// widdershins: a `Parameters` table with an `In` column, example responses after the
/// parameters, a `Response Schema` table.
const CUSTOMERS_HTML: &str = r#"<html><body>
<h1 id="customers">Customers</h1>
<h2 id="listcustomers">listCustomers</h2>
<blockquote><p>Code samples</p></blockquote>
<pre><code class="language-shell">curl -X GET https://api.tinyshop.test/v2/customers?page=1 \
  -H 'Accept: application/json'
</code></pre>
<p><code>GET /customers</code></p>
<p><em>List customers</em></p>
<h3 id="listcustomers-parameters">Parameters</h3>
<table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead>
<tbody>
<tr><td>page</td><td>query</td><td>integer</td><td>false</td><td>Page number, from 1.</td></tr>
<tr><td>per_page</td><td>query</td><td>integer</td><td>false</td><td>Customers per page (max 50).</td></tr>
<tr><td>email</td><td>query</td><td>string</td><td>false</td><td>Only the customer with this email.</td></tr>
</tbody></table>
<blockquote><p>Example responses</p><p>200 Response</p></blockquote>
<pre><code class="language-json">{"customers": [{"id": 1, "email": "ann@example.com", "created_at": "2024-01-01T00:00:00Z"}], "page": 1, "total_pages": 3}
</code></pre>
<h3 id="listcustomers-responses">Responses</h3>
<table><thead><tr><th>Status</th><th>Meaning</th><th>Description</th><th>Schema</th></tr></thead>
<tbody><tr><td>200</td><td>OK</td><td>A page of customers</td><td>Inline</td></tr></tbody></table>
<h3 id="listcustomers-responseschema">Response Schema</h3>
<table><thead><tr><th>Name</th><th>Type</th><th>Required</th><th>Restrictions</th><th>Description</th></tr></thead>
<tbody>
<tr><td><em>anonymous</em></td><td>object</td><td>false</td><td>none</td><td>none</td></tr>
<tr><td>» customers</td><td>[object]</td><td>true</td><td>none</td><td>none</td></tr>
<tr><td>total_pages</td><td>integer</td><td>true</td><td>none</td><td>none</td></tr>
</tbody></table>
<h2 id="getcustomer">getCustomer</h2>
<blockquote><p>Code samples</p></blockquote>
<pre><code class="language-shell">curl -X GET https://api.tinyshop.test/v2/customers/{customer_id}
</code></pre>
<p><code>GET /customers/{customer_id}</code></p>
<h3 id="getcustomer-parameters">Parameters</h3>
<table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead>
<tbody><tr><td>customer_id</td><td>path</td><td>integer</td><td>true</td><td>The customer.</td></tr></tbody></table>
<blockquote><p>Example responses</p></blockquote>
<pre><code class="language-json">{"id": 1, "email": "ann@example.com", "created_at": "2024-01-01T00:00:00Z"}
</code></pre>
<h2 id="updatecustomer">updateCustomer</h2>
<pre><code class="language-shell">curl -X PATCH https://api.tinyshop.test/v2/customers/{customer_id}
</code></pre>
<p><code>PATCH /customers/{customer_id}</code></p>
<h3 id="updatecustomer-parameters">Parameters</h3>
<table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead>
<tbody>
<tr><td>customer_id</td><td>path</td><td>integer</td><td>true</td><td>The customer.</td></tr>
<tr><td>email</td><td>body</td><td>string</td><td>true</td><td>The new email.</td></tr>
<tr><td>notify</td><td>query</td><td>boolean</td><td>true</td><td>Whether to email the customer.</td></tr>
</tbody></table>
</body></html>"#;

/// Definition lists, a `Link` header mentioned in one section only, a single object.
const MORE_HTML: &str = r#"<html><body>
<h1 id="account">Account</h1>
<h2 id="retrieve-your-account">Retrieve your account</h2>
<p><code>GET /v2/account</code></p>
<p>Returns the account the token belongs to.</p>
<pre><code class="language-json">{"id": "acc_1", "name": "Tiny", "plan": "pro", "owners": [{"id": 1, "name": "Ann"}]}
</code></pre>
<h1 id="events">Events</h1>
<h2 id="list-events">List events</h2>
<dl>
<dt><code>GET /v2/events</code></dt>
<dd>Events, oldest first. This list pages with the <code>Link</code> header: follow its <code>rel="next"</code> URL.</dd>
</dl>
<h3 id="events-parameters">Parameters</h3>
<dl>
<dt><code>type</code></dt><dd>Optional. Only events of this type.</dd>
</dl>
<pre><code class="language-json">[{"id": "evt_1", "type": "order.paid", "created_at": "2024-05-01T10:00:00Z"}]
</code></pre>
<h1 id="webhooks">Webhooks</h1>
<h2 id="list-webhooks">List webhooks</h2>
<p><code>GET /v2/webhooks</code></p>
<h3 id="webhooks-parameters">Parameters</h3>
<table><thead><tr><th>Parameter</th><th>Type</th><th>Required</th><th>Description</th></tr></thead>
<tbody><tr><td><code>store_id</code></td><td><code>string</code></td><td>yes</td><td>The store whose webhooks to list.</td></tr></tbody></table>
<pre><code class="language-json">{"webhooks": [{"id": "wh_1", "url": "https://example.com/hook", "events": ["order.paid"]}]}
</code></pre>
</body></html>"#;

pub(crate) fn html_site() -> Vec<(&'static str, &'static str)> {
    vec![
        ("index.html", INDEX_HTML),
        ("orders.html", ORDERS_HTML),
        ("customers.html", CUSTOMERS_HTML),
        ("more.html", MORE_HTML),
    ]
}

const INDEX_MD: &str = r#"# TinyShop API

The base URL of all requests is `https://api.tinyshop.test/v2`.

## Authentication

Send your token in the header: `Authorization: Bearer <token>`.

## Pagination

Lists page in one of two ways, named in each endpoint's section:

| Parameter | Type | Description |
|---|---|---|
| `cursor` | `string` | Cursor-paged lists: the `next_cursor` of the last page. |
| `page` | `integer` | Page-numbered lists: the page, from `1`. |
| `per_page` | `integer` | Page-numbered lists: records per page. |

## Methods

| Module | Method | Path | Description |
|---|---|---|---|
| Orders | `GET` | `/v2/orders` | List orders |
| Orders | `GET` | `/v2/orders/{order_id}` | Get an order |
| Orders | `POST` | `/v2/orders` | Create an order |
| Customers | `GET` | `/v2/customers` | List customers |
| Customers | `GET` | `/v2/customers/{customer_id}` | Get a customer |
| Customers | `PATCH` | `/v2/customers/{customer_id}` | Update a customer |
| Account | `GET` | `/v2/account` | Your account |
| Events | `GET` | `/v2/events` | List events |
| Webhooks | `GET` | `/v2/webhooks` | List webhooks |
"#;

const ORDERS_MD: &str = r#"# Orders

## List orders

```shell
curl "https://api.tinyshop.test/v2/orders?limit=2" \
  -H "Authorization: Bearer $TOKEN"
```

> The above command returns JSON structured like this:

```json
{
  "data": [
    {"order_id": "ord_1", "total": 12.5, "status": "paid", "updated_at": "2024-05-01T10:00:00Z"},
    {"order_id": "ord_2", "total": 3.0, "status": "open", "updated_at": "2024-05-02T10:00:00Z"}
  ],
  "next_cursor": "b3JkXzI="
}
```

Orders, newest first.

### HTTP Request

`GET https://api.tinyshop.test/v2/orders`

### Query Parameters

| Parameter | Type | Required | Description |
|---|---|---|---|
| `limit` | `integer` | no | Orders per page, at most `100`. Default `20`. |
| `cursor` | `string` | no | The `next_cursor` of the previous page. |
| `status` | `string` | no | Only orders in this status: `open`, `paid`. |

## Get an order

```http
GET /v2/orders/ord_1 HTTP/1.1
Host: api.tinyshop.test
```

```http
HTTP/1.1 200 OK
Content-Type: application/json

{"order_id": "ord_1", "total": 12.5, "status": "paid", "lines": [{"sku": "tea", "qty": 2}]}
```

### HTTP Request

`GET https://api.tinyshop.test/v2/orders/{order_id}`

### URL Parameters

| Parameter | Required | Description |
|---|---|---|
| `order_id` | yes | The order. |

## Create an order

### HTTP Request

`POST /v2/orders`

### Request body

| Parameter | Type | Required | Description |
|---|---|---|---|
| `customer_id` | `integer` | yes | Who orders. |
| `lines` | `array` | yes | What is ordered. |
"#;

const CUSTOMERS_MD: &str = r#"# Customers

## listCustomers

> Code samples

```shell
curl -X GET https://api.tinyshop.test/v2/customers?page=1 \
  -H 'Accept: application/json'
```

`GET /customers`

*List customers*

### Parameters

|Name|In|Type|Required|Description|
|---|---|---|---|---|
|page|query|integer|false|Page number, from 1.|
|per_page|query|integer|false|Customers per page (max 50).|
|email|query|string|false|Only the customer with this email.|

> Example responses

```json
{"customers": [{"id": 1, "email": "ann@example.com", "created_at": "2024-01-01T00:00:00Z"}], "page": 1, "total_pages": 3}
```

### Response Schema

|Name|Type|Required|Restrictions|Description|
|---|---|---|---|---|
|*anonymous*|object|false|none|none|
|» customers|[object]|true|none|none|
|total_pages|integer|true|none|none|

## getCustomer

`GET /customers/{customer_id}`

### Parameters

|Name|In|Type|Required|Description|
|---|---|---|---|---|
|customer_id|path|integer|true|The customer.|

> Example responses

```json
{"id": 1, "email": "ann@example.com", "created_at": "2024-01-01T00:00:00Z"}
```

## updateCustomer

`PATCH /customers/{customer_id}`

### Parameters

|Name|In|Type|Required|Description|
|---|---|---|---|---|
|customer_id|path|integer|true|The customer.|
|email|body|string|true|The new email.|
|notify|query|boolean|true|Whether to email the customer.|
"#;

const MORE_MD: &str = r#"# Account

## Retrieve your account

`GET /v2/account`

Returns the account the token belongs to.

```json
{"id": "acc_1", "name": "Tiny", "plan": "pro", "owners": [{"id": 1, "name": "Ann"}]}
```

# Events

## List events

`GET /v2/events`

Events, oldest first. This list pages with the `Link` header: follow its `rel="next"` URL.

### Parameters

* `type` - Optional. Only events of this type.

```json
[{"id": "evt_1", "type": "order.paid", "created_at": "2024-05-01T10:00:00Z"}]
```

# Webhooks

## List webhooks

`GET /v2/webhooks`

### Parameters

| Parameter | Type | Required | Description |
|---|---|---|---|
| `store_id` | `string` | yes | The store whose webhooks to list. |

```json
{"webhooks": [{"id": "wh_1", "url": "https://example.com/hook", "events": ["order.paid"]}]}
```
"#;

fn pages(kind: ProseKind, site: &[(&str, &str)]) -> Vec<ProsePage> {
    site.iter()
        .map(|(source, text)| ProsePage {
            source: (*source).into(),
            text: (*text).into(),
            kind,
        })
        .collect()
}

fn markdown_site() -> Vec<(&'static str, &'static str)> {
    vec![
        ("index.md", INDEX_MD),
        ("orders.md", ORDERS_MD),
        ("customers.md", CUSTOMERS_MD),
        ("more.md", MORE_MD),
    ]
}

fn query_names(e: &Endpoint) -> Vec<&str> {
    let mut names: Vec<&str> = e.query.iter().map(|q| q.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// What every form of the site must give.
fn check_site(model: &ApiModel, what: &str) {
    let mut paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    // The lists, and nothing else: single objects (`/v2/account`, `…/{id}`) are not lists.
    assert_eq!(
        paths,
        ["/v2/customers", "/v2/events", "/v2/orders", "/v2/webhooks"],
        "{what}: {:#?}",
        model.endpoints
    );
    for e in &model.endpoints {
        assert_eq!(e.method, "GET", "{what}");
    }

    let orders = endpoint(model, "/v2/orders");
    assert_eq!(orders.record_path, ["data"], "{what}: {orders:#?}");
    assert_eq!(orders.primary_key, ["order_id"], "{what}: {orders:#?}");
    match &orders.pagination {
        Pagination::Cursor {
            cursor_param,
            cursor_path,
            limit,
            ..
        } => {
            assert_eq!(cursor_param, "cursor", "{what}");
            assert_eq!(
                cursor_path.as_deref(),
                Some(&["next_cursor".to_string()][..]),
                "{what}"
            );
            assert_eq!(
                limit.as_ref().map(|l| l.param.as_str()),
                Some("limit"),
                "{what}"
            );
        }
        other => panic!("{what}: orders page by cursor, not {other:?}"),
    }
    assert!(query_names(orders).is_empty(), "{what}: {:?}", orders.query);

    let customers = endpoint(model, "/v2/customers");
    assert_eq!(customers.record_path, ["customers"], "{what}");
    assert_eq!(customers.primary_key, ["id"], "{what}");
    assert_eq!(
        customers.pagination,
        Pagination::PageNumber {
            page_param: "page".into(),
            start: 1,
            limit: Some(PageSize {
                param: "per_page".into(),
                value: 50
            }),
            end: Some(EndSignal::TotalPages {
                path: vec!["total_pages".into()]
            }),
        },
        "{what}"
    );
    assert!(
        query_names(customers).is_empty(),
        "{what}: {:?}",
        customers.query
    );

    let events = endpoint(model, "/v2/events");
    assert_eq!(events.record_path, Vec::<String>::new(), "{what}");
    assert_eq!(events.primary_key, ["id"], "{what}");
    assert!(
        matches!(events.pagination, Pagination::LinkHeader { .. }),
        "{what}: {:?}",
        events.pagination
    );
    assert!(query_names(events).is_empty(), "{what}: {:?}", events.query);

    let webhooks = endpoint(model, "/v2/webhooks");
    assert_eq!(webhooks.record_path, ["webhooks"], "{what}");
    assert_eq!(webhooks.primary_key, ["id"], "{what}");
    assert_eq!(webhooks.pagination, Pagination::None, "{what}");
    assert_eq!(query_names(webhooks), ["store_id"], "{what}");

    // Body fields and other operations' parameters are nobody's query parameters.
    let config: Vec<&str> = model.config.iter().map(|c| c.name.as_str()).collect();
    for stray in [
        "customer_id",
        "lines",
        "email",
        "notify",
        "order_id",
        "type",
    ] {
        assert!(!config.contains(&stray), "{what}: config {config:?}");
    }
}

#[test]
fn docs_site_html_each_endpoint_from_its_own_section() {
    let model = extract_prose(&pages(ProseKind::Html, &html_site()), "TinyShop").unwrap();
    check_site(&model, "html");
    assert_eq!(model.servers, ["https://api.tinyshop.test"]);
}

#[test]
fn docs_site_markdown_each_endpoint_from_its_own_section() {
    let model = extract_prose(&pages(ProseKind::Markdown, &markdown_site()), "TinyShop").unwrap();
    check_site(&model, "markdown");
}

/// Each HTML page on its own still reads (a crawl may meet them one at a time).
#[test]
fn docs_site_html_tables_with_code_and_line_breaks() {
    let text = connector_agent_extract::html_to_markdown(ORDERS_HTML);
    assert!(
        text.contains(
            "| `limit` | `integer` | no | Orders per page, at most `100`. Default `20`. |"
        ),
        "{text}"
    );
    assert!(!text.contains("\n```\n|"), "{text}");
    let model = extract_prose(
        &pages(ProseKind::Html, &[("orders.html", ORDERS_HTML)]),
        "o",
    )
    .unwrap();
    let orders = endpoint(&model, "/v2/orders");
    assert!(
        matches!(orders.pagination, Pagination::Cursor { .. }),
        "{orders:#?}"
    );
    let text = connector_agent_extract::html_to_markdown(MORE_HTML);
    assert!(
        text.contains("* `type` - Optional. Only events of this type."),
        "{text}"
    );
}

/// Lines of text placed at given x positions on one PDF page (a printed table keeps its
/// columns apart); `rows` of (x, text) cells, one row a line.
fn table_pdf(rows: &[Vec<(u32, &str)>]) -> Vec<u8> {
    let mut stream = String::from("BT /F1 9 Tf\n");
    for (i, row) in rows.iter().enumerate() {
        let y = 760 - 14 * i as u32;
        for (x, text) in row {
            writeln!(stream, "1 0 0 1 {x} {y} Tm ({}) Tj", pdf_escape(text)).unwrap();
        }
    }
    stream.push_str("ET");
    one_page_pdf(&stream, "Helvetica")
}

/// The PDF's method index is a table whose path column comes before the method column, as
/// some printed references have it; the sections follow as text.
#[test]
fn docs_site_pdf_methods_in_a_table() {
    let one = |t| vec![(50, t)];
    let row =
        |module, path, method, what| vec![(50, module), (140, path), (330, method), (390, what)];
    let rows = vec![
        one("TinyShop API"),
        one("The base URL of all requests is https://api.tinyshop.test/v2."),
        one("Methods"),
        row("Module", "Path", "Method", "Description"),
        row("Orders", "/v2/orders", "GET", "List orders"),
        row("Orders", "/v2/orders/{order_id}", "GET", "Get an order"),
        row("Orders", "/v2/orders", "POST", "Create an order"),
        row("Customers", "/v2/customers", "GET", "List customers"),
        row("Webhooks", "/v2/webhooks", "GET", "List webhooks"),
        one("List orders"),
        vec![(50, "Parameter"), (140, "Type"), (220, "Description")],
        vec![(50, "limit"), (140, "integer"), (220, "Orders per page, at most 100.")],
        vec![(50, "cursor"), (140, "string"), (220, "The next_cursor of the previous page.")],
        one("{\"data\": [{\"order_id\": \"ord_1\", \"total\": 12.5}], \"next_cursor\": \"b3JkXzI=\"}"),
        one("List customers"),
        vec![(50, "Parameter"), (140, "Type"), (220, "Description")],
        vec![(50, "page"), (140, "integer"), (220, "Page number, from 1.")],
        vec![(50, "per_page"), (140, "integer"), (220, "Customers per page (max 50).")],
        one("{\"customers\": [{\"id\": 1, \"email\": \"ann@example.com\"}], \"total_pages\": 3}"),
        one("List webhooks"),
        one("{\"webhooks\": [{\"id\": \"wh_1\", \"url\": \"https://example.com/hook\"}]}"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tinyshop.pdf");
    std::fs::write(&file, table_pdf(&rows)).unwrap();
    let model = extract_pdf_file(&file).unwrap();
    let mut paths: Vec<&str> = model.endpoints.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        ["/v2/customers", "/v2/orders", "/v2/webhooks"],
        "{:#?}",
        model.endpoints
    );
    let orders = endpoint(&model, "/v2/orders");
    assert!(
        matches!(orders.pagination, Pagination::Cursor { .. }),
        "{orders:#?}"
    );
    assert_eq!(orders.primary_key, ["order_id"]);
    let customers = endpoint(&model, "/v2/customers");
    assert!(
        matches!(customers.pagination, Pagination::PageNumber { .. }),
        "{customers:#?}"
    );
    let webhooks = endpoint(&model, "/v2/webhooks");
    assert_eq!(webhooks.pagination, Pagination::None, "{webhooks:#?}");
}

/// One line per endpoint of each form (`cargo test … docs_site_summary -- --nocapture`).
#[test]
#[expect(clippy::print_stdout, reason = "the summary is this test's output")]
fn docs_site_summary() {
    let forms = [
        (
            "html",
            extract_prose(&pages(ProseKind::Html, &html_site()), "TinyShop").unwrap(),
        ),
        (
            "markdown",
            extract_prose(&pages(ProseKind::Markdown, &markdown_site()), "TinyShop").unwrap(),
        ),
    ];
    for (what, model) in forms {
        println!("{what}: {} endpoints", model.endpoints.len());
        for e in &model.endpoints {
            println!(
                "  {} {} | {:?} | key {:?} | {} | query {:?}",
                e.method,
                e.path,
                e.record_path,
                e.primary_key,
                e.pagination.style(),
                query_names(e)
            );
        }
    }
}
