//! `openapi/vpcep.deref.json`: the bundle with every `$ref` replaced by what it points to,
//! for tools that handle `$ref` poorly (GitHub publishes its REST description both ways
//! for the same reason). Written by `cargo xtask spec bundle` beside `vpcep.json`, with the
//! same canonical rendering; checked fresh by `spec bundle --check` (CI) and a `#[test]`;
//! validated like the bundle (openapi-spec-validator, and `OAS30Validator` on every
//! example and sample body: `spec validate`, `spec oas30`).
//!
//! Same content: `components` are kept (inlined too), so names stay available. A `$ref`
//! that would inline itself (a recursive schema) is kept as a `$ref` to its component,
//! and `spec bundle` says which; the spec has none today. A `$ref` with sibling keywords
//! is refused: OpenAPI 3.0 says the siblings SHALL be ignored, and inlining would lose
//! them silently (the spec writes `allOf: [$ref]` beside a `description` instead).

use anyhow::{bail, Result};
use serde_json::{Map, Value};

/// The document with every local `$ref` inlined, and the pointers of the `$ref`s kept
/// because inlining them would recurse.
pub fn dereference(spec: &Value) -> Result<(Value, Vec<String>)> {
    let mut kept = Vec::new();
    let out = inline(spec, spec, &mut Vec::new(), &mut String::new(), &mut kept)?;
    Ok((out, kept))
}

fn inline(
    root: &Value,
    node: &Value,
    resolving: &mut Vec<String>,
    at: &mut String,
    kept: &mut Vec<String>,
) -> Result<Value> {
    match node {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref") {
                let Some(target) = target.as_str() else {
                    bail!("{at}/$ref is not a string");
                };
                if map.len() > 1 {
                    let others: Vec<&String> = map.keys().filter(|k| *k != "$ref").collect();
                    bail!(
                        "{at}: a $ref with sibling keywords ({others:?}): OpenAPI 3.0 ignores \
                         them; wrap the $ref in allOf instead"
                    );
                }
                let Some(pointer) = target.strip_prefix('#') else {
                    bail!("{at}: only local references (#/…) can be inlined, not {target}");
                };
                // Recursive: the target is being inlined already, or holds this place.
                let inside = |p: &str| at.as_str() == p || at.starts_with(&format!("{p}/"));
                if resolving.iter().any(|r| r == pointer) || inside(pointer) {
                    kept.push(at.clone());
                    return Ok(node.clone());
                }
                let Some(resolved) = root.pointer(pointer) else {
                    bail!("{at}: {target} points to nothing");
                };
                resolving.push(pointer.to_owned());
                let out = inline(root, resolved, resolving, at, kept);
                resolving.pop();
                return out;
            }
            let mut out = Map::new();
            for (k, v) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&super::diff::escape(k));
                out.insert(k.clone(), inline(root, v, resolving, at, kept)?);
                at.truncate(len);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                out.push(inline(root, v, resolving, at, kept)?);
                at.truncate(len);
            }
            Ok(Value::Array(out))
        }
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(v: &Value) -> usize {
        match v {
            Value::Object(m) => {
                usize::from(m.contains_key("$ref")) + m.values().map(refs).sum::<usize>()
            }
            Value::Array(a) => a.iter().map(refs).sum(),
            _ => 0,
        }
    }

    #[test]
    fn the_spec_has_no_ref_left_and_the_same_content() {
        let spec = super::super::load_json(&crate::workspace::project_root()).unwrap();
        assert!(refs(&spec) > 0);
        let (deref, kept) = dereference(&spec).unwrap();
        assert_eq!(kept, Vec::<String>::new());
        assert_eq!(refs(&deref), 0);
        // Each place that referred to a component now holds the component, inlined.
        let op = "/paths/~1v1~1{project_id}~1vpc-endpoints/get";
        assert_eq!(
            deref.pointer(&format!("{op}/responses/502")),
            deref.pointer("/components/responses/BadGateway")
        );
        assert_eq!(
            deref.pointer(&format!("{op}/parameters/4")),
            spec.pointer("/components/parameters/Limit")
        );
        assert_eq!(
            deref.pointer("/components/schemas/EndpointResp/properties/enable_dns/allOf/0"),
            spec.pointer("/components/schemas/LenientBoolean")
        );
        // Nothing else changed: putting the references back gives the bundle.
        assert_eq!(deref["info"], spec["info"]);
        assert_eq!(
            deref["components"]["schemas"]["SortDir"],
            spec["components"]["schemas"]["SortDir"]
        );
    }

    #[test]
    fn recursion_is_kept_as_a_ref_and_reported() {
        let spec = json!({"components": {"schemas": {
            "Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "tag": {"$ref": "#/components/schemas/Tag"}}},
            "Tag": {"type": "string"}}}});
        let (deref, kept) = dereference(&spec).unwrap();
        assert_eq!(
            deref.pointer("/components/schemas/Node/properties/children/items"),
            Some(&json!({"$ref": "#/components/schemas/Node"}))
        );
        assert_eq!(
            deref.pointer("/components/schemas/Node/properties/tag"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(
            kept,
            vec!["/components/schemas/Node/properties/children/items"]
        );
    }

    #[test]
    fn refs_with_siblings_and_dangling_refs_are_refused() {
        let siblings = json!({"a": {"$ref": "#/b", "description": "x"}, "b": {}});
        let err = dereference(&siblings).unwrap_err().to_string();
        assert!(err.contains("/a: a $ref with sibling keywords"), "{err}");
        let dangling = json!({"a": {"$ref": "#/nowhere"}});
        let err = dereference(&dangling).unwrap_err().to_string();
        assert!(err.contains("/a: #/nowhere points to nothing"), "{err}");
        let remote = json!({"a": {"$ref": "other.json#/x"}});
        assert!(dereference(&remote).is_err());
    }
}
