//! What `drift` does not see either: changes of `security`, the ways a request may
//! authenticate.
//!
//! Each operation's effective requirement is its own `security` or else the document's;
//! it is a list of alternatives (a request must satisfy one), each a set of schemes (all
//! of them at once). Security belongs to the request, so, like a request schema:
//!
//! | change | verdict |
//! |---|---|
//! | an alternative removed (e.g. AK/SK no longer listed beside the token) | breaking: a request authenticated only that way no longer satisfies the spec |
//! | an alternative added | compatible |
//! | a scheme an operation uses changes `type`, `in`, `name`, `scheme`, `bearerFormat`, `flows` or `openIdConnectUrl` | breaking: the credential goes elsewhere |
//! | a scheme no operation uses is added, removed or changed | compatible |
//!
//! Descriptions of schemes are documentation (`strip_docs`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::diff::escape;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The keywords of a security scheme that say where and how the credential is sent.
const SCHEME_WIRE_KEYWORDS: [&str; 7] = [
    "type",
    "in",
    "name",
    "scheme",
    "bearerFormat",
    "flows",
    "openIdConnectUrl",
];

/// One change of security: where (a JSON pointer), what, whether it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityChange {
    pub at: String,
    pub what: String,
    pub breaking: bool,
}

/// An alternative of a security requirement: scheme names with their scopes, sorted.
type Alternative = Vec<(String, Vec<String>)>;

fn alternatives(requirement: &Value) -> BTreeSet<Alternative> {
    let mut out = BTreeSet::new();
    for alt in requirement.as_array().into_iter().flatten() {
        let Some(map) = alt.as_object() else { continue };
        let mut schemes: Alternative = map
            .iter()
            .map(|(name, scopes)| {
                let mut scopes: Vec<String> = scopes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect();
                scopes.sort();
                (name.clone(), scopes)
            })
            .collect();
        schemes.sort();
        out.insert(schemes);
    }
    out
}

fn show(alt: &Alternative) -> String {
    if alt.is_empty() {
        return "none (`{}`: no authentication)".into();
    }
    alt.iter()
        .map(|(name, scopes)| {
            if scopes.is_empty() {
                format!("`{name}`")
            } else {
                format!("`{name}` ({})", scopes.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Each operation's pointer with its effective requirement and where it is written.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let top = spec
        .get("security")
        .cloned()
        .unwrap_or(Value::Array(vec![]));
    let mut out = Vec::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_ptr = format!("/paths/{}/{method}", escape(path));
            match op.get("security") {
                Some(own) => out.push((op_ptr.clone(), format!("{op_ptr}/security"), own.clone())),
                None => out.push((op_ptr, "/security".into(), top.clone())),
            }
        }
    }
    out
}

/// The security changes between two OpenAPI documents.
pub fn compare(old: &Value, new: &Value) -> Vec<SecurityChange> {
    let mut out = Vec::new();
    let old_ops = operations(old);
    let new_ops = operations(new);
    let mut used = BTreeSet::new();
    for (op, at, requirement) in &new_ops {
        let Some((_, _, before)) = old_ops.iter().find(|(o, _, _)| o == op) else {
            continue; // an operation added: drift reports it
        };
        let (before, after) = (alternatives(before), alternatives(requirement));
        for alt in before.iter().chain(&after) {
            used.extend(alt.iter().map(|(name, _)| name.clone()));
        }
        for alt in before.difference(&after) {
            out.push(SecurityChange {
                at: at.clone(),
                what: format!(
                    "authentication alternative removed: {} (a request authenticated only \
                     this way no longer satisfies the spec)",
                    show(alt)
                ),
                breaking: true,
            });
        }
        for alt in after.difference(&before) {
            out.push(SecurityChange {
                at: at.clone(),
                what: format!("authentication alternative added: {}", show(alt)),
                breaking: false,
            });
        }
    }
    out.sort_by(|a, b| (&a.at, &a.what).cmp(&(&b.at, &b.what)));
    out.dedup();

    let schemes = |spec: &Value| -> Map<String, Value> {
        spec.pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (old_schemes, new_schemes) = (schemes(old), schemes(new));
    let mut names: Vec<&String> = old_schemes.keys().chain(new_schemes.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let at = format!("/components/securitySchemes/{}", escape(name));
        let in_use = used.contains(name);
        match (old_schemes.get(name), new_schemes.get(name)) {
            (Some(_), None) => out.push(SecurityChange {
                at,
                what: "security scheme removed".into(),
                breaking: in_use,
            }),
            (None, Some(_)) => out.push(SecurityChange {
                at,
                what: "security scheme added".into(),
                breaking: false,
            }),
            (Some(a), Some(b)) => {
                for key in SCHEME_WIRE_KEYWORDS {
                    if a.get(key) != b.get(key) {
                        let show = |v: Option<&Value>| {
                            v.map_or_else(|| "absent".to_owned(), |v| format!("`{v}`"))
                        };
                        out.push(SecurityChange {
                            at: format!("{at}/{key}"),
                            what: format!(
                                "`{key}` {} → {}{}",
                                show(a.get(key)),
                                show(b.get(key)),
                                if in_use {
                                    ""
                                } else {
                                    " (no operation uses it)"
                                }
                            ),
                            breaking: in_use,
                        });
                    }
                }
            }
            (None, None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(security: Value) -> Value {
        json!({
            "security": security,
            "paths": {"/x": {"get": {}}},
            "components": {"securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization"}
            }}
        })
    }

    #[test]
    fn removing_an_alternative_breaks_and_adding_one_does_not() {
        let both = spec(json!([{"token": []}, {"aksk": []}]));
        let token_only = spec(json!([{"token": []}]));
        let narrowed = compare(&both, &token_only);
        assert_eq!(narrowed.len(), 1, "{narrowed:#?}");
        assert!(narrowed[0].breaking);
        assert_eq!(narrowed[0].at, "/security");
        assert!(
            narrowed[0].what.contains("alternative removed: `aksk`"),
            "{narrowed:#?}"
        );
        let widened = compare(&token_only, &both);
        assert_eq!(widened.len(), 1, "{widened:#?}");
        assert!(!widened[0].breaking);
        assert!(widened[0].what.contains("alternative added: `aksk`"));
        assert_eq!(compare(&both, &both), vec![]);
    }

    #[test]
    fn an_operation_s_own_security_overrides_the_document_s() {
        let old = spec(json!([{"token": []}]));
        let mut new = old.clone();
        new["paths"]["/x"]["get"]["security"] = json!([{"token": []}, {}]);
        let found = compare(&old, &new);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].at, "/paths/~1x/get/security");
        assert!(found[0].what.contains("added: none"), "{found:#?}");
        assert!(!found[0].breaking);
    }

    #[test]
    fn a_scheme_in_use_that_moves_its_credential_breaks() {
        let old = spec(json!([{"token": []}]));
        let mut new = old.clone();
        new["components"]["securitySchemes"]["token"]["name"] = json!("X-Token");
        new["components"]["securitySchemes"]["aksk"]["in"] = json!("query");
        let found = compare(&old, &new);
        assert_eq!(found.len(), 2, "{found:#?}");
        let token = found.iter().find(|c| c.at.ends_with("token/name")).unwrap();
        assert!(token.breaking, "{found:#?}");
        let aksk = found.iter().find(|c| c.at.ends_with("aksk/in")).unwrap();
        assert!(!aksk.breaking, "unused scheme: {found:#?}");
        assert!(aksk.what.contains("no operation uses it"));
    }
}
