//! Merging the models of several documentation inputs. Pure.
//!
//! Inputs come best first (reference files, then prose, then crawled pages). The first model
//! wins wherever two disagree; later ones only add endpoints, servers, auth schemes, config
//! fields and required headers the earlier ones lack.

use connector_agent_model::ApiModel;

/// `/v1/a/{id}/b` and `/v1/a/{customer_id}/b` are the same endpoint.
fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.trim_end_matches('/').chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

/// Merges models, best first. `None` for no models.
pub fn merge(models: Vec<ApiModel>) -> Option<ApiModel> {
    let mut iter = models.into_iter();
    let mut merged = iter.next()?;
    for model in iter {
        merged.sources.extend(model.sources);
        for s in model.servers {
            if !merged.servers.contains(&s) {
                merged.servers.push(s);
            }
        }
        if merged.auth.is_empty() {
            merged.auth = model.auth;
        }
        for f in model.config {
            if !merged.config.iter().any(|c| c.name == f.name) {
                merged.config.push(f);
            }
        }
        for h in model.headers {
            if !merged
                .headers
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(&h.name))
            {
                merged.headers.push(h);
            }
        }
        for mut e in model.endpoints {
            let same = merged.endpoints.iter().any(|x| {
                x.method.eq_ignore_ascii_case(&e.method) && shape(&x.path) == shape(&e.path)
            });
            if same {
                continue;
            }
            let base = e.table.clone();
            let mut n = 2;
            while merged.endpoints.iter().any(|x| x.table == e.table) {
                e.table = format!("{base}_{n}");
                n += 1;
            }
            merged.endpoints.push(e);
        }
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_agent_model::{Endpoint, Pagination};

    fn model(name: &str, endpoints: &[(&str, &str)]) -> ApiModel {
        ApiModel {
            name: name.into(),
            version: None,
            sources: vec![name.into()],
            servers: vec![format!("https://{name}")],
            auth: vec![],
            config: vec![],
            headers: Vec::new(),
            endpoints: endpoints
                .iter()
                .map(|(path, table)| Endpoint {
                    entity: (*table).into(),
                    method: "GET".into(),
                    path: (*path).into(),
                    table: (*table).into(),
                    selected: true,
                    record_path: vec![],
                    layout: Default::default(),
                    primary_key: vec![],
                    columns: vec![],
                    query: vec![],
                    headers: Vec::new(),
                    pagination: Pagination::None,
                    incremental: None,
                    parent: None,
                    reason: name.into(),
                    confidence: 0.5,
                    corrections: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn the_reference_file_wins_and_others_only_add() {
        let spec = model(
            "spec",
            &[("/v1/users/{id}/posts", "posts"), ("/v1/users", "users")],
        );
        let prose = model(
            "prose",
            &[
                ("/v1/users/{user_id}/posts/", "posts"),
                ("/v1/teams", "users"),
            ],
        );
        let m = merge(vec![spec, prose]).unwrap();
        assert_eq!(m.endpoints.len(), 3);
        assert_eq!(m.endpoints[0].reason, "spec");
        assert_eq!(m.endpoints[2].path, "/v1/teams");
        assert_eq!(m.endpoints[2].table, "users_2", "table names stay unique");
        assert_eq!(m.servers, vec!["https://spec", "https://prose"]);
        assert!(merge(vec![]).is_none());
    }
}
