//! What `drift` does not see: changes of `nullable` and of `x-extensible-enum`.
//!
//! drift (0.2) compares types, properties, `required`, `enum` and constraints, but a
//! schema that becomes `nullable`, or an open enumeration that loses or gains a value,
//! passes it unnoticed. This walk pairs the old and new documents node by node (same JSON
//! pointer) and classifies those two keywords by the direction the schema travels:
//!
//! | change | in a response (output) | in a request (input) |
//! |---|---|---|
//! | `nullable` false → true | breaking: clients may now get `null` | compatible |
//! | `nullable` true → false | compatible | breaking: a `null` is now refused |
//! | `x-extensible-enum` value removed | compatible (the server stops sending it) | breaking |
//! | `x-extensible-enum` value added | compatible (open enumeration) | compatible |
//!
//! A schema reachable from both a request and a response gets the stricter verdict. A
//! schema reachable from neither (unused) is treated as both. Nodes that exist on one
//! side only are drift's business (added or removed schemas and fields).

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

/// Which way a schema's values travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Direction {
    input: bool,
    output: bool,
}

const BOTH: Direction = Direction {
    input: true,
    output: true,
};

/// One change of `nullable` or `x-extensible-enum`: where (the JSON pointer of the schema
/// holding the keyword), what, and whether it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordChange {
    pub at: String,
    pub what: String,
    pub breaking: bool,
}

#[cfg(test)]
impl KeywordChange {
    /// `where: what`, one line.
    pub fn line(&self) -> String {
        format!("{}: {}", self.at, self.what)
    }
}

/// The `nullable` and `x-extensible-enum` changes between two OpenAPI documents.
pub fn compare(old: &Value, new: &Value) -> Vec<KeywordChange> {
    // Reachability is judged on the new document, falling back to the old one for
    // components only the old one uses.
    let usage = [Usage::of(new), Usage::of(old)];
    let mut out = Vec::new();
    walk(old, new, &mut String::new(), &usage, &mut out);
    out
}

/// Component schemas and parameters reachable from requests and from responses.
struct Usage {
    input: HashSet<String>,
    output: HashSet<String>,
}

impl Usage {
    fn of(spec: &Value) -> Usage {
        let mut input_roots = Vec::new();
        let mut output_roots = Vec::new();
        if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
            for item in paths.values().filter_map(Value::as_object) {
                for (key, value) in item {
                    match key.as_str() {
                        "parameters" => input_roots.push(value),
                        _ => {
                            let Some(op) = value.as_object() else {
                                continue;
                            };
                            input_roots.extend(op.get("parameters"));
                            input_roots.extend(op.get("requestBody"));
                            output_roots.extend(op.get("responses"));
                        }
                    }
                }
            }
        }
        Usage {
            input: reachable(spec, input_roots),
            output: reachable(spec, output_roots),
        }
    }

    /// The direction of the component at `pointer` (e.g. `/components/schemas/Tag`), if
    /// this document uses it.
    fn direction(&self, component: &str) -> Option<Direction> {
        let d = Direction {
            input: self.input.contains(component),
            output: self.output.contains(component),
        };
        (d.input || d.output).then_some(d)
    }
}

/// Every `#/components/...` pointer reachable from `roots` through `$ref`s.
fn reachable(spec: &Value, roots: Vec<&Value>) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut stack = roots;
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                    if let Some(pointer) = target.strip_prefix('#') {
                        let component = component_of(pointer);
                        if seen.insert(component.clone()) {
                            stack.extend(spec.pointer(&component));
                        }
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    seen
}

/// `/components/schemas/Tag/properties/key` → `/components/schemas/Tag`.
fn component_of(pointer: &str) -> String {
    pointer.split('/').take(4).collect::<Vec<_>>().join("/")
}

/// The direction of the node at `pointer`: from its place under an operation, or from
/// the reachability of its component; both when unknown.
fn direction_at(pointer: &str, usage: &[Usage; 2]) -> Direction {
    if pointer.starts_with("/paths/") {
        if pointer.contains("/responses/") {
            return Direction {
                input: false,
                output: true,
            };
        }
        if pointer.contains("/parameters/") || pointer.contains("/requestBody/") {
            return Direction {
                input: true,
                output: false,
            };
        }
        return BOTH;
    }
    if pointer.starts_with("/components/") {
        let component = component_of(pointer);
        return usage
            .iter()
            .find_map(|u| u.direction(&component))
            .unwrap_or(BOTH);
    }
    BOTH
}

fn walk(
    old: &Value,
    new: &Value,
    pointer: &mut String,
    usage: &[Usage; 2],
    out: &mut Vec<KeywordChange>,
) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            check_node(a, b, pointer, usage, out);
            for (key, old_child) in a {
                if let Some(new_child) = b.get(key) {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    walk(old_child, new_child, pointer, usage, out);
                    pointer.truncate(len);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (old_child, new_child)) in a.iter().zip(b).enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                walk(old_child, new_child, pointer, usage, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn check_node(
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
    pointer: &str,
    usage: &[Usage; 2],
    out: &mut Vec<KeywordChange>,
) {
    let at = if pointer.is_empty() { "/" } else { pointer };
    let nullable =
        |m: &serde_json::Map<String, Value>| m.get("nullable") == Some(&Value::Bool(true));
    let (was, is) = (nullable(old), nullable(new));
    if was != is {
        let dir = direction_at(pointer, usage);
        // Widening what a response may hold, or narrowing what a request may hold, breaks.
        let breaking = if is { dir.output } else { dir.input };
        out.push(KeywordChange {
            at: at.to_owned(),
            what: format!("nullable {was} -> {is} ({})", describe(dir)),
            breaking,
        });
    }

    let values = |m: &serde_json::Map<String, Value>| -> Option<BTreeSet<String>> {
        m.get("x-extensible-enum")
            .and_then(Value::as_array)
            .map(|vs| vs.iter().map(Value::to_string).collect())
    };
    let (before, after) = (values(old), values(new));
    if let (Some(before), Some(after)) = (&before, &after) {
        let removed: Vec<_> = before.difference(after).cloned().collect();
        let added: Vec<_> = after.difference(before).cloned().collect();
        let dir = direction_at(pointer, usage);
        if !removed.is_empty() {
            out.push(KeywordChange {
                at: at.to_owned(),
                what: format!(
                    "x-extensible-enum value(s) removed: {} ({})",
                    removed.join(", "),
                    describe(dir)
                ),
                breaking: dir.input,
            });
        }
        if !added.is_empty() {
            out.push(KeywordChange {
                at: at.to_owned(),
                what: format!(
                    "x-extensible-enum value(s) added: {} ({})",
                    added.join(", "),
                    describe(dir)
                ),
                breaking: false,
            });
        }
    } else if before.is_some() != after.is_some() {
        // Opening or closing an enumeration: drift sees the `enum` keyword change, if any;
        // the extension itself appearing or disappearing is reported here.
        let dir = direction_at(pointer, usage);
        let opened = after.is_some();
        let what = if opened {
            format!("x-extensible-enum added ({})", describe(dir))
        } else {
            format!("x-extensible-enum removed ({})", describe(dir))
        };
        out.push(KeywordChange {
            at: at.to_owned(),
            what,
            // A response enumeration that becomes open may now carry any value.
            breaking: opened && dir.output,
        });
    }
}

fn describe(dir: Direction) -> &'static str {
    match (dir.input, dir.output) {
        (true, true) => "request and response",
        (true, false) => "request",
        _ => "response",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn current() -> Value {
        super::super::load_json(&crate::workspace::project_root()).unwrap()
    }

    fn changes(edit: impl Fn(&mut Value)) -> Vec<KeywordChange> {
        let old = current();
        let mut new = old.clone();
        edit(&mut new);
        compare(&old, &new)
    }

    /// Exactly one change, breaking or not, whose line contains `says`.
    fn assert_one(found: &[KeywordChange], breaking: bool, says: &str) {
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].breaking, breaking, "{found:#?}");
        assert!(found[0].line().contains(says), "{found:#?}");
    }

    #[test]
    fn the_same_spec_has_no_keyword_changes() {
        let spec = current();
        assert_eq!(compare(&spec, &spec), vec![]);
    }

    #[test]
    fn a_response_field_that_becomes_non_nullable_is_compatible() {
        let found = changes(|s| {
            s["components"]["schemas"]["EndpointResp"]["properties"]["vpc_id"]["nullable"] =
                json!(false);
        });
        assert_one(&found, false, "vpc_id: nullable true -> false (response)");
    }

    #[test]
    fn a_response_field_that_becomes_nullable_is_breaking() {
        let old = current();
        let mut before = old.clone();
        before["components"]["schemas"]["EndpointResp"]["properties"]["vpc_id"]
            .as_object_mut()
            .unwrap()
            .remove("nullable");
        let found = compare(&before, &old);
        assert_one(&found, true, "nullable false -> true (response)");
    }

    #[test]
    fn a_request_schema_that_stops_accepting_null_is_breaking() {
        let mut old = current();
        old["components"]["schemas"]["SortDir"]["nullable"] = json!(true);
        let new = current();
        let found = compare(&old, &new);
        assert_one(&found, true, "SortDir: nullable true -> false (request)");
    }

    #[test]
    fn open_enumeration_values_added_and_removed() {
        let path = "/components/schemas/EndpointStatus/x-extensible-enum";
        let found = changes(|s| {
            let values = s.pointer_mut(path).and_then(Value::as_array_mut).unwrap();
            values.retain(|v| v != "creating");
            // A value the spec does not list yet (`deleting` is listed since 2.0.0).
            values.push(json!("suspended"));
        });
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|c| !c.breaking), "{found:#?}");
        assert!(found
            .iter()
            .any(|c| c.line().contains("removed: \"creating\" (response)")));
        assert!(found
            .iter()
            .any(|c| c.line().contains("added: \"suspended\" (response)")));
    }

    #[test]
    fn a_response_enumeration_that_opens_is_breaking_and_one_that_closes_is_not() {
        let open = current();
        let mut closed = open.clone();
        closed["components"]["schemas"]["EndpointStatus"]
            .as_object_mut()
            .unwrap()
            .remove("x-extensible-enum");
        let opening = compare(&closed, &open);
        assert_one(
            &opening,
            true,
            "EndpointStatus: x-extensible-enum added (response)",
        );
        let closing = compare(&open, &closed);
        assert_one(
            &closing,
            false,
            "EndpointStatus: x-extensible-enum removed (response)",
        );
    }

    #[test]
    fn a_request_enumeration_that_opens_is_compatible() {
        let found = changes(|s| {
            s["components"]["schemas"]["SortDir"]["x-extensible-enum"] = json!(["asc", "desc"]);
        });
        assert_one(&found, false, "SortDir: x-extensible-enum added (request)");
    }

    #[test]
    fn directions_come_from_reachability() {
        let spec = current();
        let usage = [Usage::of(&spec), Usage::of(&spec)];
        let resp = direction_at("/components/schemas/EndpointResp/properties/id", &usage);
        assert_eq!((resp.input, resp.output), (false, true));
        let sort = direction_at("/components/schemas/SortDir", &usage);
        assert_eq!((sort.input, sort.output), (true, false));
    }
}
