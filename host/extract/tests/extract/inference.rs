//! Inference rules on small inline specs, one rule per test.

use connector_agent_extract::{extract_openapi, extract_openapi_report};
use connector_agent_model::{
    ApiKeyLocation, AuthScheme, ColumnType, CursorFormat, EndSignal, Endpoint, Incremental,
    PageSize, Pagination, RecordLayout,
};
use serde_json::{json, Value};

fn openapi(paths: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Test API", "version": "2.1"},
        "servers": [{"url": "https://api.example.com/v1/", "description": "Production"}],
        "paths": paths
    })
}

/// A `GET` with query parameters and a 200 JSON body schema.
fn get(params: Value, body: Value) -> Value {
    json!({"get": {"parameters": params, "responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": body}}
    }}}})
}

fn record(props: Value) -> Value {
    json!({"type": "object", "properties": props})
}

fn query(name: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "schema": schema})
}

fn only(doc: &Value) -> Endpoint {
    let model = extract_openapi(doc, "test.json").unwrap();
    assert_eq!(model.endpoints.len(), 1, "{:#?}", model.endpoints);
    model.endpoints.into_iter().next().unwrap()
}

#[test]
fn top_level_array_has_an_empty_record_path() {
    let doc = openapi(json!({"/pets": get(json!([]), json!({
        "type": "array", "items": record(json!({"id": {"type": "integer"}, "name": {"type": "string"}}))
    }))}));
    let pets = only(&doc);
    assert_eq!((pets.table.as_str(), pets.method.as_str()), ("pets", "GET"));
    assert!(pets.record_path.is_empty());
    assert_eq!(pets.primary_key, ["id"]);
    assert!(pets.selected);
    assert!(pets.confidence > 0.5 && pets.confidence <= 1.0);
}

#[test]
fn record_path_prefers_well_known_names_and_nests_one_level() {
    let items = json!({"type": "array", "items": record(json!({"id": {"type": "string"}}))});
    let doc = openapi(json!({
        "/a": get(json!([]), record(json!({"tags": items, "results": items}))),
        "/b": get(json!([]), record(json!({"data": record(json!({"items": items, "total": {"type": "integer"}}))}))),
        "/widgets": get(json!([]), record(json!({"widgets": items, "other": items}))),
        "/users/{id}": get(json!([]), record(json!({"id": {"type": "string"}, "data": items})))
    }));
    let report = extract_openapi_report(&doc, "t.json").unwrap();
    let paths: Vec<(&str, Vec<String>)> = report
        .model
        .endpoints
        .iter()
        .map(|e| (e.path.as_str(), e.record_path.clone()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/a", vec!["results".to_string()]),
            ("/b", vec!["data".to_string(), "items".to_string()]),
            ("/widgets", vec!["widgets".to_string()]),
        ]
    );
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0].reason.contains("single object"),
        "{:?}",
        report.skipped
    );
}

#[test]
fn single_reads_binary_and_actions_are_not_lists() {
    let list = json!({"type": "array", "items": record(json!({"id": {"type": "string"}}))});
    let doc = openapi(json!({
        "/files": get(json!([]), list.clone()),
        "/files/{id}": get(json!([]), record(json!({"id": {"type": "string"}}))),
        "/files/{id}/content": {"get": {"responses": {"200": {"description": "bytes",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}}},
        // A search that needs a term is a query, not a table (one that needs none is a list).
        "/files/search": get(json!([{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}]), list.clone()),
        "/files/export": get(json!([]), list),
        "/me": get(json!([]), record(json!({"id": {"type": "string"}, "name": {"type": "string"}})))
    }));
    let report = extract_openapi_report(&doc, "t.json").unwrap();
    let tables: Vec<&str> = report
        .model
        .endpoints
        .iter()
        .map(|e| e.table.as_str())
        .collect();
    assert_eq!(tables, ["files"]);
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "/files/export",
            "/files/search",
            "/files/{id}",
            "/files/{id}/content",
            "/me"
        ]
    );
}

#[test]
fn primary_keys_follow_the_rules() {
    let cases = [
        (json!({"name": {}, "id": {}}), vec!["id"]),
        (json!({"InvoiceID": {}, "ContactID": {}}), vec!["InvoiceID"]),
        // A lone foreign key is not the key (upserting on it would collapse rows)...
        (json!({"owner_id": {}, "name": {}}), vec![]),
        // ...unless it names the table's own entity or the docs call it the unique identifier.
        (
            json!({"invoice_id": {}, "customer_id": {}}),
            vec!["invoice_id"],
        ),
        (
            json!({"lago_id": {"description": "Unique identifier of the invoice"}, "customer_id": {}}),
            vec!["lago_id"],
        ),
        (json!({"gid": {}, "a_id": {}, "b_id": {}}), vec!["gid"]),
        (json!({"sid": {}}), vec!["sid"]),
        (json!({"name": {}}), vec![]),
    ];
    for (props, want) in cases {
        let doc = openapi(
            json!({"/invoices": get(json!([]), json!({"type": "array", "items": record(props.clone())}))}),
        );
        assert_eq!(only(&doc).primary_key, want, "{props}");
    }
}

#[test]
fn column_types_and_nullability() {
    let doc = openapi(
        json!({"/events": get(json!([]), json!({"type": "array", "items": {
            "type": "object",
            "required": ["id", "at", "n", "maybe", "either"],
            "properties": {
                "id": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "created": {"type": "integer", "format": "unix-time"},
                "n": {"type": "integer"},
                "price": {"type": "number"},
                "ok": {"type": "boolean"},
                "meta": {"type": "object"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "maybe": {"type": "string", "nullable": true},
                "either": {"oneOf": [{"type": "string"}, {"type": "object"}]},
                "merged": {"allOf": [{"type": "integer"}, {"description": "merged doc"}]}
            }
        }}))}),
    );
    let events = only(&doc);
    let cols: Vec<(&str, ColumnType, bool)> = events
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty, c.nullable))
        .collect();
    assert_eq!(
        cols,
        [
            ("id", ColumnType::String, false),
            ("at", ColumnType::Timestamp, false),
            ("created", ColumnType::Timestamp, true),
            ("n", ColumnType::Integer, false),
            ("price", ColumnType::Number, true),
            ("ok", ColumnType::Boolean, true),
            ("meta", ColumnType::Json, true),
            ("tags", ColumnType::Json, true),
            ("maybe", ColumnType::String, true),
            ("either", ColumnType::Json, false),
            ("merged", ColumnType::Integer, true),
        ]
    );
    assert_eq!(events.columns[10].description, "merged doc");
}

#[test]
fn openapi_31_type_arrays_are_nullable() {
    let mut doc = openapi(
        json!({"/things": get(json!([]), json!({"type": "array", "items": {
            "type": "object", "required": ["a"],
            "properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["integer", "null"], "format": "unix-time"}}
        }}))}),
    );
    doc["openapi"] = json!("3.1.0");
    let things = only(&doc);
    let cols: Vec<(&str, ColumnType, bool)> = things
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty, c.nullable))
        .collect();
    assert_eq!(
        cols,
        [
            ("a", ColumnType::String, true),
            ("b", ColumnType::Timestamp, true)
        ]
    );
}

fn wrapped(extra: Value) -> Value {
    let mut props = json!({"data": {"type": "array", "items": record(json!({"id": {"type": "string"}, "updated_at": {"type": "string", "format": "date-time"}}))}});
    for (k, v) in extra.as_object().unwrap() {
        props[k] = v.clone();
    }
    record(props)
}

#[test]
fn cursor_from_the_last_record_while_has_more() {
    let doc = openapi(json!({"/customers": get(
        json!([query("starting_after", json!({"type": "string"})), query("limit", json!({"type": "integer", "description": "Between 1 and 100."}))]),
        wrapped(json!({"has_more": {"type": "boolean"}}))
    )}));
    assert_eq!(
        only(&doc).pagination,
        Pagination::Cursor {
            cursor_param: "starting_after".into(),
            cursor_from_record: Some("id".into()),
            cursor_path: None,
            has_more_path: Some(vec!["has_more".into()]),
            limit: Some(PageSize {
                param: "limit".into(),
                value: 100
            }),
        }
    );
}

#[test]
fn cursor_token_in_the_body() {
    let doc = openapi(json!({"/channels": get(
        json!([query("cursor", json!({"type": "string"})), query("limit", json!({"type": "integer", "maximum": 5000}))]),
        wrapped(json!({"response_metadata": record(json!({"next_cursor": {"type": "string"}}))}))
    )}));
    assert_eq!(
        only(&doc).pagination,
        Pagination::Cursor {
            cursor_param: "cursor".into(),
            cursor_from_record: None,
            cursor_path: Some(vec!["response_metadata".into(), "next_cursor".into()]),
            has_more_path: None,
            limit: Some(PageSize {
                param: "limit".into(),
                value: 1000
            }),
        }
    );
    // Asana: an opaque `offset` token and `next_page.offset`.
    let doc = openapi(json!({"/tasks": get(
        json!([query("offset", json!({"type": "string"})), query("limit", json!({"type": "integer"}))]),
        wrapped(json!({"next_page": {"type": "object", "nullable": true, "properties": {"offset": {"type": "string"}, "uri": {"type": "string"}}}}))
    )}));
    match only(&doc).pagination {
        Pagination::Cursor {
            cursor_param,
            cursor_path,
            ..
        } => {
            assert_eq!(cursor_param, "offset");
            assert_eq!(
                cursor_path,
                Some(vec!["next_page".to_string(), "offset".to_string()])
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The cursor or next link of `body`'s endpoint, as (param or "url", path).
fn paging_of(params: Value, extra: Value) -> Option<(String, Vec<String>)> {
    let doc = openapi(json!({"/things": get(params, wrapped(extra))}));
    match only(&doc).pagination {
        Pagination::Cursor {
            cursor_param,
            cursor_path: Some(path),
            ..
        } => Some((cursor_param, path)),
        Pagination::NextUrl { next_url_path, .. } => Some(("url".into(), next_url_path)),
        _ => None,
    }
}

#[test]
fn tokens_and_next_links_are_found_at_any_depth_and_bookmarks_page() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let string = json!({"type": "string"});
    let cursor = || {
        json!([
            query("cursor", json!({"type": "string"})),
            query("limit", json!({"type": "integer"}))
        ])
    };
    // Two levels deep: `meta.pagination.next_cursor`.
    assert_eq!(
        paging_of(
            cursor(),
            json!({"meta": record(json!({"pagination": record(json!({"next_cursor": string, "total": {"type": "integer"}}))}))})
        ),
        Some(("cursor".into(), s(&["meta", "pagination", "next_cursor"])))
    );
    // Intercom: `pages.next.starting_after`.
    assert_eq!(
        paging_of(
            json!([
                query("starting_after", json!({"type": "string"})),
                query("per_page", json!({"type": "integer"}))
            ]),
            json!({"pages": record(json!({"page": {"type": "integer"}, "next": record(json!({"starting_after": string, "page": {"type": "integer"}}))}))})
        ),
        Some((
            "starting_after".into(),
            s(&["pages", "next", "starting_after"])
        ))
    );
    // Facebook Graph: `paging.cursors.after`; a next link three levels down.
    assert_eq!(
        paging_of(
            json!([
                query("after", json!({"type": "string"})),
                query("limit", json!({"type": "integer"}))
            ]),
            json!({"paging": record(json!({"cursors": record(json!({"before": string, "after": string}))}))})
        ),
        Some(("after".into(), s(&["paging", "cursors", "after"])))
    );
    assert_eq!(
        paging_of(
            json!([query("limit", json!({"type": "integer"}))]),
            json!({"meta": record(json!({"pagination": record(json!({"links": record(json!({"next": {"type": "string", "format": "uri"}}))}))}))})
        ),
        Some(("url".into(), s(&["meta", "pagination", "links", "next"])))
    );
    // Pinterest: a `bookmark` token and parameter.
    assert_eq!(
        paging_of(
            json!([
                query("bookmark", json!({"type": "string"})),
                query("page_size", json!({"type": "integer"}))
            ]),
            json!({"bookmark": {"type": "string", "nullable": true}})
        ),
        Some(("bookmark".into(), s(&["bookmark"])))
    );
    // A short name outside any paging container is not taken for a position.
    assert_eq!(
        paging_of(
            cursor(),
            json!({"owner": record(json!({"cursor": string}))})
        ),
        None
    );
}

#[test]
fn next_url_link_header_page_number_and_offset() {
    let page = query("page", json!({"type": "integer"}));
    let per_page = query(
        "per_page",
        json!({"type": "integer", "default": 30, "description": "Results per page (max 100)."}),
    );
    let list = json!({"type": "array", "items": record(json!({"id": {"type": "integer"}}))});
    let mut linked = get(json!([page, per_page]), list.clone());
    linked["get"]["responses"]["200"]["headers"] = json!({"Link": {"schema": {"type": "string"}}});
    let doc = openapi(json!({
        "/a": get(json!([query("limit", json!({"type": "integer"}))]), wrapped(json!({"links": record(json!({"next": {"type": "string", "format": "uri"}}))}))),
        "/b": linked,
        "/c": get(json!([page, per_page]), list),
        "/d": get(json!([query("offset", json!({"type": "integer"})), query("limit", json!({"type": "integer", "default": 25}))]), wrapped(json!({})))
    }));
    let model = extract_openapi(&doc, "t.json").unwrap();
    let styles: Vec<&Pagination> = model.endpoints.iter().map(|e| &e.pagination).collect();
    let limit = |param: &str, value| {
        Some(PageSize {
            param: param.into(),
            value,
        })
    };
    assert_eq!(
        styles,
        [
            &Pagination::NextUrl {
                next_url_path: vec!["links".into(), "next".into()],
                limit: limit("limit", 100)
            },
            &Pagination::LinkHeader {
                limit: limit("per_page", 100)
            },
            &Pagination::PageNumber {
                page_param: "page".into(),
                start: 1,
                limit: limit("per_page", 100),
                end: None,
            },
            &Pagination::Offset {
                offset_param: "offset".into(),
                limit: PageSize {
                    param: "limit".into(),
                    value: 25
                },
                end: None,
            },
        ]
    );
}

#[test]
fn incremental_params_and_formats() {
    let cases = [
        (
            query(
                "updated_since",
                json!({"type": "string", "format": "date-time"}),
            ),
            "updated_since",
            "updated_at",
            CursorFormat::Rfc3339,
        ),
        (
            query("since", json!({"type": "string", "format": "date-time"})),
            "since",
            "updated_at",
            CursorFormat::Rfc3339,
        ),
        (
            query("updated_at[gte]", json!({"type": "integer"})),
            "updated_at[gte]",
            "updated_at",
            CursorFormat::UnixSeconds,
        ),
        (
            query("modified_after", json!({"type": "string"})),
            "modified_after",
            "updated_at",
            CursorFormat::Same,
        ),
        (
            json!({"name": "created", "in": "query", "style": "deepObject", "schema": {"anyOf": [
                {"type": "object", "properties": {"gt": {"type": "integer"}, "gte": {"type": "integer"}}},
                {"type": "integer"}
            ]}}),
            "created[gte]",
            "created",
            CursorFormat::UnixSeconds,
        ),
    ];
    for (param, want_param, want_field, want_format) in cases {
        // A log (no update time, no status): creation-time filters are taken only for
        // records written once.
        let props = if want_field == "created" {
            json!({"id": {"type": "string"}, "created": {"type": "integer"}})
        } else {
            json!({"id": {"type": "string"}, "created": {"type": "integer"}, "updated_at": {"type": "string"}})
        };
        let body = json!({"type": "array", "items": record(props)});
        let doc = openapi(json!({"/events": get(json!([param]), body)}));
        let model = extract_openapi(&doc, "t.json").unwrap();
        assert_eq!(
            model.endpoints[0].incremental,
            Some(Incremental {
                param: want_param.into(),
                cursor_field: want_field.into(),
                format: want_format,
                header: false,
            })
        );
        assert!(model
            .config
            .iter()
            .any(|f| f.name == "start_date" && !f.required));
    }
    // A `since` without any update-time field is no incremental filter.
    let doc = openapi(
        json!({"/commits": get(json!([query("since", json!({"type": "string"}))]),
        json!({"type": "array", "items": record(json!({"sha": {"type": "string"}}))}))}),
    );
    assert_eq!(only(&doc).incremental, None);
}

#[test]
fn children_link_to_parent_lists_and_unfilled_params_become_config() {
    let list = |props: Value| json!({"type": "array", "items": record(props)});
    let doc = openapi(json!({
        "/v1/customers": get(json!([]), list(json!({"id": {"type": "string"}}))),
        "/v1/customers/{customer}/invoices": {
            "parameters": [{"name": "customer", "in": "path", "required": true, "schema": {"type": "string"}}],
            "get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": list(json!({"id": {"type": "string"}}))}}}}}
        },
        "/v1/invoices": get(json!([]), list(json!({"id": {"type": "string"}}))),
        "/teams/{team_slug}/members": get(json!([{"name": "team_slug", "in": "path", "required": true, "description": "The team's slug.", "schema": {"type": "string"}}]), list(json!({"id": {}}))),
        "/teams": get(json!([]), list(json!({"id": {}, "slug": {}}))),
        "/2010/Accounts/{AccountSid}/Calls.json": get(json!([{"name": "AccountSid", "in": "path", "required": true, "description": "The SID of the account.", "schema": {"type": "string"}}]), list(json!({"sid": {}}))),
        "/2010/Accounts/{AccountSid}/Calls/{CallSid}/Events.json": get(json!([]), list(json!({"name": {}})))
    }));
    let model = extract_openapi(&doc, "t.json").unwrap();
    let summary: Vec<String> = model
        .endpoints
        .iter()
        .map(|e| match &e.parent {
            Some(p) => format!(
                "{} {} <- {}.{} via {{{}}} as {}",
                e.table, e.path, p.table, p.parent_key, p.path_param, p.column
            ),
            None => format!("{} {}", e.table, e.path),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "calls /2010/Accounts/{account_sid}/Calls.json",
            "events /2010/Accounts/{account_sid}/Calls/{CallSid}/Events.json <- calls.sid via {CallSid} as call_sid",
            "teams /teams",
            "members /teams/{team_slug}/members <- teams.slug via {team_slug} as team_slug",
            "customers /v1/customers",
            "customer_invoices /v1/customers/{customer}/invoices <- customers.id via {customer} as customer_id",
            "invoices /v1/invoices",
        ]
    );
    let account = model
        .config
        .iter()
        .find(|f| f.name == "account_sid")
        .unwrap();
    assert!(account.required && !account.secret);
    assert!(
        account.description.contains("The SID of the account."),
        "{}",
        account.description
    );
    assert!(
        model.endpoints[0].reason.contains("account_sid"),
        "{}",
        model.endpoints[0].reason
    );
    assert!(model.endpoints[0].confidence < model.endpoints[2].confidence);
}

/// The parent field a child's path takes is what the parameter's description says the
/// value is: a name or slug (not the numeric id), an issue's number within its project (not
/// its global id); an "ID" keeps the primary key.
#[test]
fn a_path_parameter_takes_the_parent_field_its_description_names() {
    let list = |props: Value| json!({"type": "array", "items": record(props)});
    let path = |name: &str, description: &str| json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}});
    let doc = openapi(json!({
        "/projects": get(json!([]), list(json!({"id": {"type": "integer"}, "name": {"type": "string"}, "path": {"type": "string"}}))),
        "/projects/{project}/issues": get(
            json!([path("project", "The name of the project (not case sensitive).")]),
            list(json!({"id": {"type": "integer"}, "number": {"type": "integer"}, "title": {"type": "string"}}))
        ),
        "/projects/{project}/issues/{index}/comments": get(
            json!([path("project", "The name of the project."), path("index", "Index of the issue in its project.")]),
            list(json!({"id": {"type": "integer"}, "body": {"type": "string"}}))
        ),
        "/teams": get(json!([]), list(json!({"id": {"type": "integer"}, "name": {"type": "string"}}))),
        "/teams/{team}/members": get(
            json!([path("team", "The unique ID of the team.")]),
            list(json!({"id": {"type": "integer"}}))
        ),
        "/groups": get(json!([]), list(json!({"id": {"type": "integer"}, "full_path": {"type": "string"}}))),
        "/groups/{group}/labels": get(
            json!([path("group", "The group's `full_path`, URL-encoded.")]),
            list(json!({"id": {"type": "integer"}}))
        ),
    }));
    let model = extract_openapi(&doc, "t.json").unwrap();
    let link = |table: &str| {
        let e = model
            .endpoint_by_table(table)
            .unwrap_or_else(|| panic!("{table}: {:#?}", model.endpoints));
        let p = e.parent.as_ref().unwrap();
        format!("{}.{}", p.table, p.parent_key)
    };
    assert_eq!(link("issues"), "projects.name");
    assert_eq!(link("comments"), "issues.number");
    assert_eq!(link("members"), "teams.id");
    assert_eq!(link("labels"), "groups.full_path");
}

/// A list body composed with `allOf` from a generic page (`items: {}`) and the specific one
/// (`items: {$ref: Pet}`): the specific item schema gives the columns and the key, whatever
/// the order of the members.
#[test]
fn all_of_takes_the_specific_item_schema_over_the_generic_base() {
    for specific_first in [false, true] {
        let generic = json!({"$ref": "#/components/schemas/Page"});
        let specific = json!({"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
        }});
        let members = if specific_first {
            json!([specific, generic])
        } else {
            json!([generic, specific])
        };
        let mut doc = openapi(json!({"/pets": get(json!([]), json!({"allOf": members}))}));
        doc["components"] = json!({"schemas": {
            "Page": {"type": "object", "properties": {
                "items": {"type": "array", "items": {}},
                "total": {"type": "integer"}
            }},
            "Pet": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
        }});
        let e = only(&doc);
        let columns: Vec<&str> = e.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(e.record_path, ["items"], "{specific_first}");
        assert_eq!(columns, ["id", "name"], "{specific_first}");
        assert_eq!(e.primary_key, ["id"], "{specific_first}");
    }
}

/// `If-Modified-Since` (a header) is an incremental filter: an HTTP date by default, the
/// documented date-time where the schema says so; a query filter is preferred when both exist.
#[test]
fn if_modified_since_headers_filter_incrementally() {
    let header = |format: Option<&str>| {
        let mut schema = json!({"type": "string"});
        if let Some(f) = format {
            schema["format"] = json!(f);
        }
        json!({"name": "If-Modified-Since", "in": "header", "required": false, "schema": schema})
    };
    let body = json!({"type": "array", "items": record(json!({
        "id": {"type": "string"}, "updated_date_utc": {"type": "string"}
    }))});
    for (format, want) in [
        (None, CursorFormat::HttpDate),
        (Some("date-time"), CursorFormat::Rfc3339),
    ] {
        let doc = openapi(json!({"/invoices": get(json!([header(format)]), body.clone())}));
        let inc = only(&doc).incremental.unwrap();
        assert_eq!(
            (
                inc.param.as_str(),
                inc.cursor_field.as_str(),
                inc.format,
                inc.header
            ),
            ("If-Modified-Since", "updated_date_utc", want, true)
        );
    }
}

#[test]
fn required_query_params_get_defaults_or_config() {
    let doc = openapi(json!({"/reports": get(
        json!([
            {"name": "kind", "in": "query", "required": true, "schema": {"type": "string", "enum": ["daily", "weekly"]}},
            {"name": "workspace", "in": "query", "required": true, "description": "Workspace GID.", "schema": {"type": "string"}},
            {"name": "optional", "in": "query", "schema": {"type": "string"}}
        ]),
        json!({"type": "array", "items": record(json!({"id": {}}))})
    )}));
    let model = extract_openapi(&doc, "t.json").unwrap();
    let q: Vec<(String, String)> = model.endpoints[0]
        .query
        .iter()
        .map(|q| (q.name.clone(), q.value.clone()))
        .collect();
    assert_eq!(
        q,
        [
            ("kind".to_string(), "daily".to_string()),
            ("workspace".to_string(), "{workspace}".to_string())
        ]
    );
    let ws = model.config.iter().find(|f| f.name == "workspace").unwrap();
    assert!(ws.description.contains("Workspace GID."));
}

#[test]
fn table_names_are_unique_and_stable() {
    let list = json!({"type": "array", "items": record(json!({"id": {}}))});
    let doc = openapi(json!({
        "/v1/invoices": get(json!([]), list.clone()),
        "/v1/customers/{customer_id}/invoices": get(json!([]), list.clone()),
        "/v2/customers/{customer_id}/invoices": get(json!([]), list.clone()),
        "/v1/customers": get(json!([]), list)
    }));
    let model = extract_openapi(&doc, "t.json").unwrap();
    let tables: Vec<&str> = model.endpoints.iter().map(|e| e.table.as_str()).collect();
    assert_eq!(
        tables,
        [
            "customers",
            "customer_invoices",
            "invoices",
            "customer_invoices_2"
        ]
    );
    // Same input, same output.
    assert_eq!(extract_openapi(&doc, "t.json").unwrap(), model);
}

#[test]
fn auth_schemes_and_config_fields() {
    let mut doc = openapi(json!({}));
    doc["components"] = json!({"securitySchemes": {
        "oauth": {"type": "oauth2", "flows": {"authorizationCode": {
            "authorizationUrl": "https://example.com/authorize", "tokenUrl": "https://example.com/token",
            "scopes": {"read": "Read", "write": "Write"}}}},
        "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "Find it under Settings → API."},
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer"},
        "pd": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "The API Key with format `Token token=<API_KEY>`"}
    }});
    doc["security"] = json!([{"key": []}, {"oauth": ["read"]}, {"pd": []}]);
    let model = extract_openapi(&doc, "t.json").unwrap();
    assert_eq!(
        model.auth,
        [
            AuthScheme::ApiKey {
                location: ApiKeyLocation::Header,
                param: "X-Api-Key".into(),
                prefix: None,
                key_field: "api_key".into()
            },
            AuthScheme::ApiKey {
                location: ApiKeyLocation::Header,
                param: "Authorization".into(),
                prefix: Some("Token token=".into()),
                key_field: "api_key_pd".into()
            },
            AuthScheme::OAuth2 {
                authorization_url: Some("https://example.com/authorize".into()),
                token_url: Some("https://example.com/token".into()),
                scopes: vec!["read".into()],
            },
        ]
    );
    let fields: Vec<(&str, bool, bool)> = model
        .config
        .iter()
        .map(|f| (f.name.as_str(), f.secret, f.required))
        .collect();
    assert_eq!(
        fields,
        [
            ("base_url", false, true),
            ("api_key", true, true),
            ("api_key_pd", true, false),
            ("client_id", false, false),
            ("client_secret", true, false),
            ("token_url", false, false),
            ("authorization_url", false, false),
            ("scopes", false, false),
            ("oauth_resource", false, false),
            ("oauth_authorize_params", false, false),
            ("oauth_token_params", false, false),
            ("access_token", true, false),
        ]
    );
    // The OAuth endpoints and scopes the docs name are defaults a user can override.
    let default = |name: &str| {
        let f = model.config.iter().find(|f| f.name == name).unwrap();
        f.default.clone()
    };
    assert_eq!(
        default("token_url").as_deref(),
        Some("https://example.com/token")
    );
    assert_eq!(
        default("authorization_url").as_deref(),
        Some("https://example.com/authorize")
    );
    assert_eq!(default("scopes").as_deref(), Some("read"));
    assert_eq!(model.config[1].description, "Find it under Settings → API.");
    assert_eq!(
        model.config[0].default.as_deref(),
        Some("https://api.example.com/v1")
    );
    assert!(
        model.config[0].description.contains("Production"),
        "{}",
        model.config[0].description
    );

    // Without top-level `security`, every defined scheme counts, simplest first.
    doc.as_object_mut().unwrap().remove("security");
    let model = extract_openapi(&doc, "t.json").unwrap();
    let kinds: Vec<&str> = model
        .auth
        .iter()
        .map(|a| match a {
            AuthScheme::Bearer { .. } => "bearer",
            AuthScheme::ApiKey { .. } => "api_key",
            AuthScheme::Basic { .. } => "basic",
            AuthScheme::OAuth2 { .. } => "oauth2",
        })
        .collect();
    assert_eq!(kinds, ["bearer", "api_key", "api_key", "basic", "oauth2"]);
    let token = model.config.iter().find(|f| f.name == "token").unwrap();
    assert!(token.secret && token.required && token.description.contains("`bearer`"));
}

#[test]
fn server_variables_become_setup_fields() {
    // The first server's host variables are fields; `base_url` names them; a path variable
    // and later servers are filled with their defaults.
    let mut doc = openapi(json!({}));
    doc["servers"] = json!([
        {"url": "https://{region}.api.example.com/{apiVersion}", "variables": {
            "region": {"default": "eu", "enum": ["eu", "us"], "description": "Data region"},
            "apiVersion": {"default": "v2"}}},
        {"url": "https://{x}.backup.example.com/", "variables": {"x": {"default": "b"}}}
    ]);
    let model = extract_openapi(&doc, "t.json").unwrap();
    assert_eq!(
        model.servers,
        [
            "https://{region}.api.example.com/v2",
            "https://b.backup.example.com"
        ]
    );
    let field = |name: &str| model.config.iter().find(|f| f.name == name).unwrap();
    assert_eq!(
        field("base_url").default.as_deref(),
        Some("https://{region}.api.example.com/v2")
    );
    assert!(field("base_url").description.contains("fields `region`."));
    let region = field("region");
    assert_eq!(region.default.as_deref(), Some("eu"));
    assert!(region.required && !region.secret);
    assert!(
        region.description.starts_with("Data region")
            && region.description.contains("One of: eu, us."),
        "{region:?}"
    );
    assert!(model.config.iter().all(|f| f.name != "api_version"));
    // Only the host's variables are fields; a path, a scheme, a whole URL or a name taken
    // keeps its default.
    doc["servers"] = json!([{"url": "{scheme}://{tenant}.example.com:{port}/{basePath}", "variables": {
        "scheme": {"default": "https"}, "tenant": {"default": "acme"},
        "port": {"default": "8443"}, "basePath": {"default": "v1/api"}}}]);
    let model = extract_openapi(&doc, "t.json").unwrap();
    assert_eq!(
        model.servers[0],
        "https://{tenant}.example.com:{port}/v1/api"
    );
    let names: Vec<&str> = model.config.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"tenant") && names.contains(&"port"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"scheme") && !names.contains(&"base_path"),
        "{names:?}"
    );
    for url in ["{server}", "https://{baseUrl}"] {
        doc["servers"] = json!([{"url": url, "variables": {
            "server": {"default": "https://api.example.com/v1"},
            "baseUrl": {"default": "api.example.com"}}}]);
        let model = extract_openapi(&doc, "t.json").unwrap();
        assert!(
            !model.servers[0].contains('{'),
            "{url}: {:?}",
            model.servers
        );
    }
    // A placeholder without a variable is not a field: the URL stays as documented.
    doc["servers"] = json!([{"url": "https://{tenant}.example.com"}]);
    let model = extract_openapi(&doc, "t.json").unwrap();
    assert!(model.config.iter().all(|f| f.name != "tenant"));
    assert_eq!(model.name, "Test API");
    assert_eq!(model.version.as_deref(), Some("2.1"));
    assert_eq!(model.sources, ["t.json"]);
}

#[test]
fn swagger_2_documents_are_read() {
    let doc = json!({
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "host": "api.example.com",
        "basePath": "/api/",
        "schemes": ["http", "https"],
        "produces": ["application/json"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "query", "name": "api_key"}},
        "paths": {
            "/items": {"get": {
                "parameters": [
                    {"name": "page", "in": "query", "type": "integer"},
                    {"name": "api_key", "in": "query", "type": "string", "required": true},
                    {"name": "channel", "in": "query", "type": "string", "required": true}
                ],
                "responses": {"200": {"description": "ok", "schema": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/definitions/Item"}}
                }}}}
            }},
            "/report.csv": {"get": {"produces": ["text/csv"], "responses": {"200": {"description": "csv", "schema": {"type": "string"}}}}},
            "/messages": {"get": {"responses": {"200": {"description": "ok", "examples": {"application/json": {
                "ok": true, "messages": [{"ts": "1.2", "text": "hi", "reactions": 3, "at": "2024-01-02T03:04:05Z"}],
                "response_metadata": {"next_cursor": "abc"}
            }}}}, "parameters": [{"name": "cursor", "in": "query", "type": "string"}]}}
        },
        "definitions": {"Item": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "integer"}, "note": {"type": "string", "x-nullable": true}
        }}}
    });
    let report = extract_openapi_report(&doc, "old.json").unwrap();
    let model = &report.model;
    assert_eq!(model.servers, ["https://api.example.com/api"]);
    assert_eq!(
        model.auth,
        [AuthScheme::ApiKey {
            location: ApiKeyLocation::Query,
            param: "api_key".into(),
            prefix: None,
            key_field: "api_key".into()
        }]
    );
    let items = &model.endpoints[0];
    assert_eq!(items.record_path, ["items"]);
    // The credential parameter is left to the host; the other required one becomes config.
    let q: Vec<&str> = items.query.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(q, ["channel"]);
    assert!(!items.columns[0].nullable && items.columns[1].nullable);
    // Columns and pagination read from the example alone.
    let messages = &model.endpoints[1];
    let cols: Vec<(&str, ColumnType)> = messages
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty))
        .collect();
    assert_eq!(
        cols,
        [
            ("ts", ColumnType::String),
            ("text", ColumnType::String),
            ("reactions", ColumnType::Integer),
            ("at", ColumnType::Timestamp)
        ]
    );
    assert!(
        matches!(&messages.pagination, Pagination::Cursor { cursor_path: Some(p), .. } if p == &["response_metadata", "next_cursor"])
    );
    assert!(report
        .skipped
        .iter()
        .any(|s| s.path == "/report.csv" && s.reason.contains("not JSON")));
}

#[test]
fn webhooks_only_document_has_no_endpoints() {
    let doc = json!({"openapi": "3.1.0", "info": {"title": "Hooks", "version": "1"}, "webhooks": {"x": {}}});
    let model = extract_openapi(&doc, "hooks.yaml").unwrap();
    assert!(model.endpoints.is_empty());
    assert_eq!(model.config.len(), 1);
    assert!(model.config[0].default.is_none());
}

#[test]
fn small_model_snapshot() {
    let doc = openapi(json!({
        "/v1/customers": get(
            json!([query("starting_after", json!({"type": "string"})), query("limit", json!({"type": "integer", "maximum": 100})),
                   query("updated_since", json!({"type": "string", "format": "date-time"}))]),
            wrapped(json!({"has_more": {"type": "boolean"}}))
        ),
        "/v1/customers/{id}/notes": get(json!([]), json!({"type": "array", "items": record(json!({"id": {"type": "integer"}, "body": {"type": "string"}}))}))
    }));
    let mut doc = doc;
    doc["components"] = json!({"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "Create a token under Settings → API."}}});
    insta::assert_yaml_snapshot!(extract_openapi(&doc, "small.json").unwrap());
}

#[test]
fn pagination_fields_beside_a_nested_record_array() {
    // Spotify: `{"artists": {"items": [...], "cursors": {"after": ...}, "next": ...}}`.
    let page = record(json!({
        "items": {"type": "array", "items": record(json!({"id": {"type": "string"}}))},
        "next": {"type": "string", "nullable": true},
        "cursors": record(json!({"after": {"type": "string"}}))
    }));
    let doc = openapi(json!({"/me/following": get(
        json!([query("after", json!({"type": "string"})), query("limit", json!({"type": "integer", "maximum": 50}))]),
        record(json!({"artists": page}))
    )}));
    let following = only(&doc);
    assert_eq!(following.record_path, ["artists", "items"]);
    assert_eq!(
        following.pagination,
        Pagination::Cursor {
            cursor_param: "after".into(),
            cursor_from_record: None,
            cursor_path: Some(vec!["artists".into(), "cursors".into(), "after".into()]),
            has_more_path: None,
            limit: Some(PageSize {
                param: "limit".into(),
                value: 50
            }),
        }
    );
}

/// The end signal of the one offset or page-number endpoint in `doc`.
fn end_of(doc: &Value) -> Option<EndSignal> {
    match only(doc).pagination {
        Pagination::Offset { end, .. } | Pagination::PageNumber { end, .. } => end,
        other => panic!("not offset or page paging: {other:?}"),
    }
}

#[test]
fn offset_and_page_lists_take_their_end_from_the_response() {
    let int = json!({"type": "integer"});
    let boolean = json!({"type": "boolean"});
    let offset = json!([
        query("startAt", int.clone()),
        query("maxResults", int.clone())
    ]);
    let pages = json!([query("page", int.clone()), query("per_page", int.clone())]);
    let flag = |path: &[&str], stop_when| {
        Some(EndSignal::Flag {
            path: path.iter().map(|s| s.to_string()).collect(),
            stop_when,
        })
    };
    // Jira: `isLast` beside `total`; the flag wins.
    let doc = openapi(
        json!({"/a": get(offset.clone(), wrapped(json!({"isLast": boolean, "total": int})))}),
    );
    assert_eq!(end_of(&doc), flag(&["isLast"], true));
    // `has_more` in a container means "go on" while true.
    let doc = openapi(
        json!({"/a": get(offset.clone(), wrapped(json!({"meta": record(json!({"has_more": boolean}))})))}),
    );
    assert_eq!(end_of(&doc), flag(&["meta", "has_more"], false));
    // A count of all records.
    let doc = openapi(json!({"/a": get(offset.clone(), wrapped(json!({"totalCount": int})))}));
    assert_eq!(
        end_of(&doc),
        Some(EndSignal::Total {
            path: vec!["totalCount".into()]
        })
    );
    // Page numbers prefer the page count to a flag or a total.
    let doc = openapi(
        json!({"/a": get(pages.clone(), wrapped(json!({"total": int, "hasMore": boolean, "pagination": record(json!({"totalPages": int}))})))}),
    );
    assert_eq!(
        end_of(&doc),
        Some(EndSignal::TotalPages {
            path: vec!["pagination".into(), "totalPages".into()]
        })
    );
    // `count` is taken only when it says it counts everything; a string `total` or an
    // object `last` is no signal.
    let count = |description: &str| json!({"type": "integer", "description": description});
    let doc = openapi(
        json!({"/a": get(offset.clone(), wrapped(json!({"count": count("Number of records on this page.")})))}),
    );
    assert_eq!(end_of(&doc), None);
    let doc = openapi(
        json!({"/a": get(offset.clone(), wrapped(json!({"count": count("Total number of matching records.")})))}),
    );
    assert_eq!(
        end_of(&doc),
        Some(EndSignal::Total {
            path: vec!["count".into()]
        })
    );
    let doc = openapi(
        json!({"/a": get(pages, wrapped(json!({"total": {"type": "string"}, "last": record(json!({"href": {"type": "string"}}))})))}),
    );
    assert_eq!(end_of(&doc), None);
}

#[test]
fn an_end_signal_is_read_from_an_example_body() {
    // No schema for the paging fields, only an example (as Postman collections give).
    let mut doc = openapi(json!({"/a": get(
        json!([query("offset", json!({"type": "integer"})), query("limit", json!({"type": "integer"}))]),
        json!({"type": "object"})
    )}));
    doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["example"] =
        json!({"data": [{"id": "x"}], "isLast": false});
    assert_eq!(
        end_of(&doc),
        Some(EndSignal::Flag {
            path: vec!["isLast".into()],
            stop_when: true
        })
    );
}

#[test]
fn required_headers_are_carried_fixed_from_config_or_as_host_held_secrets() {
    let header = |name: &str, schema: Value| json!({"name": name, "in": "header", "required": true, "schema": schema});
    let doc = openapi(json!({
        "/things": get(
            json!([
                header("X-Early-Access", json!({"type": "string", "default": "things-v2"})),
                header("Content-Type", json!({"type": "string", "enum": ["application/json"]})),
                header("Accept", json!({"type": "string"})),
                header("Authorization", json!({"type": "string"})),
                header("Api-Username", json!({"type": "string"})),
                header("Api-Key", json!({"type": "string"})),
                {"name": "Optional-One", "in": "header", "schema": {"type": "string"}},
                header("X-Evil\r\nInjected: 1", json!({"type": "string", "default": "x"})),
                header("X-Bad-Value", json!({"type": "string", "default": "a\r\nInjected: 1"})),
            ]),
            json!({"type": "array", "items": record(json!({"id": {"type": "string"}}))})
        )
    }));
    let model = extract_openapi(&doc, "test.json").unwrap();
    let e = &model.endpoints[0];
    let sent: Vec<(&str, &str)> = e
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    // Fixed values and a non-secret field go with the endpoint; `Accept` without a value,
    // `Authorization` and optional headers are not the endpoint's.
    assert_eq!(
        sent,
        [
            ("X-Early-Access", "things-v2"),
            ("Content-Type", "application/json"),
            ("Api-Username", "{api_username}"),
            ("X-Bad-Value", "{x_bad_value}"),
        ]
    );
    assert!(
        e.reason.contains("not a valid HTTP header name"),
        "{}",
        e.reason
    );
    // A key is a secret field the host adds.
    let host: Vec<(&str, &str)> = model
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    assert_eq!(host, [("Api-Key", "{api_key}")]);
    let field = |name: &str| model.config.iter().find(|f| f.name == name).unwrap();
    assert!(field("api_key").secret && field("api_key").required);
    assert!(!field("api_username").secret && field("api_username").required);
    assert!(
        e.reason
            .contains("sends the required header `Api-Username`"),
        "{}",
        e.reason
    );
}

#[test]
fn a_relative_server_is_resolved_against_the_site_the_description_came_from() {
    let mut doc = openapi(json!({
        "/things": get(json!([]), json!({"type": "array", "items": record(json!({"id": {"type": "string"}}))}))
    }));
    doc["servers"] = json!([{"url": "/api/v1"}]);
    // Crawled from a docs site: the site's origin.
    let model = extract_openapi(&doc, "https://docs.example.com/reference/openapi.json").unwrap();
    assert_eq!(model.servers, ["https://docs.example.com/api/v1"]);
    let base = model.config.iter().find(|f| f.name == "base_url").unwrap();
    assert_eq!(
        base.default.as_deref(),
        Some("https://docs.example.com/api/v1")
    );
    assert!(
        base.description.contains("relative to the documentation"),
        "{}",
        base.description
    );
    // From a file it stays relative, and setup asks for the full URL.
    let model = extract_openapi(&doc, "openapi.json").unwrap();
    assert_eq!(model.servers, ["/api/v1"]);
    let base = model.config.iter().find(|f| f.name == "base_url").unwrap();
    assert!(
        base.description.contains("give the full URL"),
        "{}",
        base.description
    );
}

/// The docs name the field a filter compares and the key, in words: "`changed_since` returns
/// only books whose `last_changed` is at or after it"; "each book is identified by its `isbn`
/// and has `title`, …" (the fields listed after the key are not part of it). Found from the
/// operation's description and from the parameter's.
#[test]
fn filters_and_keys_named_in_the_docs_words() {
    let doc = openapi(json!({
        "/books": {"get": {
            "description": "Each book is identified by its `isbn` and has `title`, `authors`, `price` and `last_changed`. `changed_since` returns only books whose `last_changed` is at or after the given time.",
            "parameters": [
                {"name": "changed_since", "in": "query", "description": "ISO 8601 date-time; books changed at or after it", "schema": {"type": "string", "format": "date-time"}}
            ],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "array", "items": record(json!({
                    "isbn": {"type": "string"}, "title": {"type": "string"},
                    "authors": {"type": "array", "items": {"type": "string"}},
                    "price": {"type": "number"},
                    "last_changed": {"type": "string", "format": "date-time"}
                }))
            }}}}}
        }},
        "/members": {"get": {
            "parameters": [
                {"name": "updated_from", "in": "query", "description": "Unix seconds: only members whose `modified_epoch` is at or after it", "schema": {"type": "integer"}}
            ],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "array", "items": record(json!({
                    "id": {"type": "string"}, "display_name": {"type": "string"},
                    "modified_epoch": {"type": "integer"}, "joined": {"type": "string", "format": "date-time"}
                }))
            }}}}}
        }}
    }));
    let model = extract_openapi(&doc, "words.json").unwrap();
    let books = model.endpoints.iter().find(|e| e.path == "/books").unwrap();
    assert_eq!(books.primary_key, ["isbn"]);
    let inc = books.incremental.as_ref().expect("a filter");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str(), inc.format),
        ("changed_since", "last_changed", CursorFormat::Rfc3339)
    );
    let members = model
        .endpoints
        .iter()
        .find(|e| e.path == "/members")
        .unwrap();
    let inc = members.incremental.as_ref().expect("a filter");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str(), inc.format),
        ("updated_from", "modified_epoch", CursorFormat::UnixSeconds)
    );
}

#[test]
fn json_api_resources_in_an_example_become_flat_columns_and_are_asked_for_by_media_type() {
    // No schema, only an example (as a Postman collection's saved response gives): the
    // attributes and relationship ids are the columns, and the only media type documented
    // is sent in `Accept`.
    let doc = openapi(json!({"/vehicles": {"get": {"responses": {"200": {
        "description": "ok", "content": {"application/vnd.api+json": {"example": {
            "data": [{"type": "vehicles", "id": "v1",
                "attributes": {"plate": "AB-1", "seats": 4, "updated_at": "2024-01-02T03:04:05Z"},
                "relationships": {"site": {"data": {"type": "sites", "id": "s1"}},
                    "tags": {"data": [{"type": "tags", "id": "t1"}]}}}],
            "links": {"next": "https://api.example.com/v1/vehicles?page[cursor]=x"}
        }}}
    }}}}}));
    let e = only(&doc);
    assert_eq!(e.layout, RecordLayout::JsonApi);
    let columns: Vec<(&str, ColumnType)> =
        e.columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
    assert_eq!(
        columns,
        [
            ("type", ColumnType::String),
            ("id", ColumnType::String),
            ("plate", ColumnType::String),
            ("seats", ColumnType::Integer),
            ("updated_at", ColumnType::Timestamp),
            ("site_id", ColumnType::String),
            ("tags_ids", ColumnType::Json),
        ]
    );
    assert_eq!(e.primary_key, ["id"]);
    let accept: Vec<&str> = e
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("accept"))
        .map(|h| h.value.as_str())
        .collect();
    assert_eq!(accept, ["application/vnd.api+json"]);

    // An `attributes` object without `type` beside it is an ordinary column.
    let doc = openapi(
        json!({"/memories": get(json!([]), json!({"type": "object", "properties": {
            "memories": {"type": "array", "items": record(json!({
                "id": {"type": "string"}, "attributes": record(json!({"kind": {"type": "string"}}))
            }))}
        }}))}),
    );
    let e = only(&doc);
    assert_eq!(e.layout, RecordLayout::Plain);
    assert!(e.columns.iter().any(|c| c.name == "attributes"));
    assert!(e.headers.is_empty(), "{:?}", e.headers);
}

#[test]
fn json_api_filter_family_names_the_incremental_filter_inside_its_brackets() {
    let doc = openapi(json!({"/patients": get(
        json!([
            {"name": "filter[updated_since]", "in": "query", "description": "Only records changed at or after this time.",
             "schema": {"type": "string", "format": "date-time"}},
            {"name": "filter[name]", "in": "query", "schema": {"type": "string"}}
        ]),
        json!({"type": "object", "properties": {"data": {"type": "array", "items": record(json!({
            "id": {"type": "string"}, "name": {"type": "string"},
            "updated_at": {"type": "string", "format": "date-time"}
        }))}}})
    )}));
    let e = only(&doc);
    let inc = e.incremental.expect("an incremental filter");
    assert_eq!(
        (inc.param.as_str(), inc.cursor_field.as_str()),
        ("filter[updated_since]", "updated_at")
    );
}
