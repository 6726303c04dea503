//! Every example in the spec must validate against its schema:
//!
//! - schema-level `example` (and `default`), anywhere in a schema tree;
//! - `example` and `examples.*.value` of media types, parameters and headers (an
//!   `examples` entry may be a `$ref` to `#/components/examples/…`).
//!
//! Schemas are converted to JSON Schema by the workspace's one OpenAPI 3.0.3 converter
//! (`oas30-schema`, via [`super::schema`]) and checked with the `jsonschema` crate. The
//! reference `OAS30Validator` checks the same examples again (`spec oas30`).

use anyhow::{Context, Result};
use serde_json::Value;

use super::schema;

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One example (or default) found in the spec, with the schema it must match.
#[derive(Debug)]
pub struct Example<'a> {
    /// JSON pointer of the example in the document.
    pub pointer: String,
    pub schema: &'a Value,
    pub value: &'a Value,
}

/// Checks every example; returns how many were checked, or fails listing all the bad ones.
pub fn check(spec: &Value) -> Result<usize> {
    let examples = collect(spec)?;
    let mut problems = Vec::new();
    for ex in &examples {
        let errors = schema::validate(spec, ex.schema, ex.value)
            .with_context(|| format!("checking {}", ex.pointer))?;
        for e in errors {
            problems.push(format!("{}: {e}", ex.pointer));
        }
    }
    if !problems.is_empty() {
        anyhow::bail!(
            "{} example(s) do not match their schema:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    Ok(examples.len())
}

/// Finds every example in the document.
pub fn collect(spec: &Value) -> Result<Vec<Example<'_>>> {
    let mut out = Vec::new();
    let components = spec.get("components");
    let entries = |kind: &str| {
        components
            .and_then(|c| c.get(kind))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    };
    for (name, s) in entries("schemas") {
        walk_schema(&format!("/components/schemas/{}", esc(name)), s, &mut out);
    }
    for (name, p) in entries("parameters") {
        parameter(
            spec,
            &format!("/components/parameters/{}", esc(name)),
            p,
            &mut out,
        )?;
    }
    for (name, h) in entries("headers") {
        parameter(
            spec,
            &format!("/components/headers/{}", esc(name)),
            h,
            &mut out,
        )?;
    }
    for (name, r) in entries("responses") {
        response(
            spec,
            &format!("/components/responses/{}", esc(name)),
            r,
            &mut out,
        )?;
    }
    for (name, b) in entries("requestBodies") {
        content(
            spec,
            &format!("/components/requestBodies/{}", esc(name)),
            b,
            &mut out,
        )?;
    }
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (path, item) in paths {
        let base = format!("/paths/{}", esc(path));
        for (i, p) in list(item.get("parameters")).enumerate() {
            parameter(spec, &format!("{base}/parameters/{i}"), p, &mut out)?;
        }
        for method in HTTP_METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let base = format!("{base}/{method}");
            for (i, p) in list(op.get("parameters")).enumerate() {
                parameter(spec, &format!("{base}/parameters/{i}"), p, &mut out)?;
            }
            if let Some(body) = op.get("requestBody") {
                content(spec, &format!("{base}/requestBody"), body, &mut out)?;
            }
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten();
            for (status, r) in responses {
                response(
                    spec,
                    &format!("{base}/responses/{}", esc(status)),
                    r,
                    &mut out,
                )?;
            }
        }
    }
    Ok(out)
}

fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

/// JSON-pointer escaping of one segment.
fn esc(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn walk_schema<'a>(ptr: &str, s: &'a Value, out: &mut Vec<Example<'a>>) {
    let Some(obj) = s.as_object() else { return };
    if obj.contains_key("$ref") {
        return; // checked where the component is defined
    }
    for key in ["example", "default"] {
        if let Some(value) = obj.get(key) {
            out.push(Example {
                pointer: format!("{ptr}/{key}"),
                schema: s,
                value,
            });
        }
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            walk_schema(&format!("{ptr}/properties/{}", esc(name)), sub, out);
        }
    }
    for key in ["items", "not", "additionalProperties"] {
        if let Some(sub) = obj.get(key) {
            walk_schema(&format!("{ptr}/{key}"), sub, out);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, sub) in list(obj.get(key)).enumerate() {
            walk_schema(&format!("{ptr}/{key}/{i}"), sub, out);
        }
    }
}

/// `example` and `examples` beside a `schema` (media types, parameters, headers).
fn examples_beside<'a>(
    spec: &'a Value,
    ptr: &str,
    holder: &'a Value,
    schema: &'a Value,
    out: &mut Vec<Example<'a>>,
) -> Result<()> {
    walk_schema(&format!("{ptr}/schema"), schema, out);
    if let Some(value) = holder.get("example") {
        out.push(Example {
            pointer: format!("{ptr}/example"),
            schema,
            value,
        });
    }
    if let Some(examples) = holder.get("examples").and_then(Value::as_object) {
        for (name, ex) in examples {
            let ex = resolve(spec, ex)?;
            // `externalValue` examples live elsewhere and are not checked.
            if let Some(value) = ex.get("value") {
                let pointer = format!("{ptr}/examples/{}/value", esc(name));
                out.push(Example {
                    pointer,
                    schema,
                    value,
                });
            }
        }
    }
    Ok(())
}

fn parameter<'a>(
    spec: &'a Value,
    ptr: &str,
    p: &'a Value,
    out: &mut Vec<Example<'a>>,
) -> Result<()> {
    if p.get("$ref").is_some() {
        return Ok(()); // checked under components
    }
    if let Some(s) = p.get("schema") {
        examples_beside(spec, ptr, p, s, out)?;
    }
    content(spec, ptr, p, out)
}

fn response<'a>(
    spec: &'a Value,
    ptr: &str,
    r: &'a Value,
    out: &mut Vec<Example<'a>>,
) -> Result<()> {
    if r.get("$ref").is_some() {
        return Ok(());
    }
    if let Some(headers) = r.get("headers").and_then(Value::as_object) {
        for (name, h) in headers {
            parameter(spec, &format!("{ptr}/headers/{}", esc(name)), h, out)?;
        }
    }
    content(spec, ptr, r, out)
}

fn content<'a>(
    spec: &'a Value,
    ptr: &str,
    holder: &'a Value,
    out: &mut Vec<Example<'a>>,
) -> Result<()> {
    if holder.get("$ref").is_some() {
        return Ok(());
    }
    if let Some(content) = holder.get("content").and_then(Value::as_object) {
        for (media, mt) in content {
            if let Some(s) = mt.get("schema") {
                let ptr = format!("{ptr}/content/{}", esc(media));
                examples_beside(spec, &ptr, mt, s, out)?;
            }
        }
    }
    Ok(())
}

/// Follows a local `$ref` (e.g. `#/components/examples/Foo`).
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> Result<&'a Value> {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let ptr = r
                .strip_prefix('#')
                .with_context(|| format!("non-local reference {r}"))?;
            spec.pointer(ptr)
                .with_context(|| format!("reference {r} does not resolve"))
        }
        None => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_examples_everywhere_and_reports_bad_ones() {
        let spec = json!({
            "paths": { "/x": { "get": {
                "parameters": [
                    { "name": "n", "in": "query", "schema": { "type": "integer" }, "example": "nope" }
                ],
                "responses": { "200": {
                    "description": "ok",
                    "headers": { "H": { "schema": { "type": "string" }, "example": "h" } },
                    "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/S" },
                        "examples": {
                            "inline": { "value": { "a": "x" } },
                            "shared": { "$ref": "#/components/examples/Bad" }
                        }
                    }}
                }}
            }}},
            "components": {
                "schemas": { "S": {
                    "type": "object",
                    "properties": { "a": { "type": "string", "nullable": true, "example": null } }
                }},
                "examples": { "Bad": { "value": { "a": 1 } } }
            }
        });
        let found: Vec<String> = collect(&spec)
            .unwrap()
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        assert_eq!(found.len(), 5, "{found:?}");
        let err = check(&spec).unwrap_err().to_string();
        assert!(err.contains("2 example(s)"), "{err}");
        assert!(err.contains("/paths/~1x/get/parameters/0/example"), "{err}");
        assert!(err.contains("examples/shared/value"), "{err}");
    }

    /// The real spec's examples all match (this is also run by `cargo xtask spec check`).
    #[test]
    fn spec_examples_are_valid() {
        let spec = super::super::load_json(&crate::workspace::project_root()).unwrap();
        let n = check(&spec).unwrap();
        assert!(n >= 5, "only {n} examples found");
    }
}
