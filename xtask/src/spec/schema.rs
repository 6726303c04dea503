//! OpenAPI 3.0 Schema Object → JSON Schema (draft 4), just enough to validate examples.
//!
//! OpenAPI 3.0's schema dialect is an extended subset of JSON Schema draft 4 (boolean
//! `exclusiveMinimum`/`exclusiveMaximum`, `definitions`-style references). The
//! differences that matter for validating instances are handled here:
//!
//! - `$ref: '#/components/schemas/X'` becomes `$ref: '#/definitions/X'`, and every
//!   component schema is converted into the root's `definitions` (so recursive schemas
//!   work and nothing is inlined). Siblings of `$ref` are dropped, as OpenAPI 3.0 says.
//! - `nullable: true` becomes `anyOf: [<schema>, {type: null}]`: null is allowed in
//!   addition to whatever the schema allows, whatever keywords (`type`, `oneOf`,
//!   `enum`, …) it uses.
//! - Annotation-only OpenAPI keywords (`example`, `discriminator`, `readOnly`,
//!   `writeOnly`, `xml`, `externalDocs`, `deprecated`) and extensions (`x-*`, e.g.
//!   `x-extensible-enum`) are dropped; they do not constrain instances.
//!
//! Everything else (`type`, `enum`, `format`, bounds, `pattern`, `required`,
//! `properties`, `items`, `additionalProperties`, `allOf`/`oneOf`/`anyOf`/`not`, …) has
//! the same meaning in both and is kept.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

const COMPONENT_PREFIX: &str = "#/components/schemas/";
const DROPPED: &[&str] = &[
    "nullable",
    "example",
    "discriminator",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "deprecated",
];

/// Converts one OpenAPI 3.0 schema (a `serde_json::Value` of the YAML) to JSON Schema.
pub fn convert(schema: &Value) -> Result<Value> {
    let Value::Object(obj) = schema else {
        bail!("a schema must be an object, found {schema}");
    };
    if let Some(reference) = obj.get("$ref") {
        let reference = reference.as_str().context("`$ref` must be a string")?;
        let name = reference
            .strip_prefix(COMPONENT_PREFIX)
            .with_context(|| format!("unsupported schema reference {reference}"))?;
        return Ok(json!({ "$ref": format!("#/definitions/{name}") }));
    }
    let mut out = Map::new();
    for (key, value) in obj {
        if DROPPED.contains(&key.as_str()) || key.starts_with("x-") {
            continue;
        }
        let converted = match key.as_str() {
            "properties" => {
                let props = value
                    .as_object()
                    .context("`properties` must be an object")?;
                let mut m = Map::new();
                for (name, sub) in props {
                    m.insert(
                        name.clone(),
                        convert(sub).with_context(|| format!("in property {name}"))?,
                    );
                }
                Value::Object(m)
            }
            "items" | "not" => convert(value).with_context(|| format!("in {key}"))?,
            "additionalProperties" if value.is_object() => {
                convert(value).context("in additionalProperties")?
            }
            "allOf" | "oneOf" | "anyOf" => {
                let list = value
                    .as_array()
                    .with_context(|| format!("`{key}` must be a list"))?;
                Value::Array(
                    list.iter()
                        .enumerate()
                        .map(|(i, s)| convert(s).with_context(|| format!("in {key}[{i}]")))
                        .collect::<Result<_>>()?,
                )
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    let out = Value::Object(out);
    if obj.get("nullable") == Some(&Value::Bool(true)) {
        Ok(json!({ "anyOf": [out, { "type": "null" }] }))
    } else {
        Ok(out)
    }
}

/// A self-contained JSON Schema for `schema`, with every component schema of `spec`
/// (the whole OpenAPI document) under `definitions`.
pub fn standalone(spec: &Value, schema: &Value) -> Result<Value> {
    let mut definitions = Map::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            definitions.insert(
                name.clone(),
                convert(s).with_context(|| format!("converting components.schemas.{name}"))?,
            );
        }
    }
    // Draft 4 ignores siblings of `$ref`, so the schema itself goes under `allOf`.
    Ok(json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "definitions": definitions,
        "allOf": [convert(schema)?],
    }))
}

/// Validates `instance` against `schema` (an OpenAPI 3.0 schema within `spec`); returns
/// the validation errors, empty when valid.
pub fn validate(spec: &Value, schema: &Value, instance: &Value) -> Result<Vec<String>> {
    let root = standalone(spec, schema)?;
    let validator = jsonschema::draft4::new(&root)
        .map_err(|e| anyhow::anyhow!("converted schema is not valid JSON Schema: {e}"))?;
    Ok(validator
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        json!({
            "components": { "schemas": {
                "Status": {
                    "type": "string", "nullable": true,
                    "x-extensible-enum": ["a", "b"], "example": "a"
                },
                "Flag": {
                    "nullable": true,
                    "oneOf": [
                        { "type": "boolean" },
                        { "type": "string", "enum": ["true", "false"] }
                    ]
                },
                "Node": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string" },
                        "child": { "$ref": "#/components/schemas/Node" },
                        "status": { "$ref": "#/components/schemas/Status" },
                        "flag": {
                            "allOf": [{ "$ref": "#/components/schemas/Flag" }],
                            "description": "sibling of allOf"
                        },
                        "n": { "type": "integer", "minimum": 1, "exclusiveMinimum": true }
                    },
                    "required": ["name"]
                }
            }}
        })
    }

    fn errors(schema: Value, instance: Value) -> Vec<String> {
        validate(&spec(), &schema, &instance).unwrap()
    }

    #[test]
    fn ref_becomes_definitions_and_siblings_are_dropped() {
        let s = json!({ "$ref": "#/components/schemas/Node", "description": "ignored" });
        assert_eq!(
            convert(&s).unwrap(),
            json!({ "$ref": "#/definitions/Node" })
        );
    }

    #[test]
    fn nullable_allows_null_whatever_the_keywords() {
        let s = json!({ "type": "integer", "nullable": true, "example": 3 });
        assert_eq!(
            convert(&s).unwrap(),
            json!({ "anyOf": [{ "type": "integer" }, { "type": "null" }] })
        );
        let flag = json!({ "$ref": "#/components/schemas/Flag" });
        for ok in [json!(null), json!(true), json!("false")] {
            assert!(errors(flag.clone(), ok).is_empty());
        }
        assert!(!errors(flag, json!("yes")).is_empty());
        // Not nullable: null is rejected.
        assert!(!errors(json!({ "type": "string" }), json!(null)).is_empty());
    }

    #[test]
    fn annotations_and_extensions_are_dropped() {
        let s = json!({
            "type": "string", "x-extensible-enum": ["a"], "example": "a",
            "readOnly": true, "deprecated": false, "description": "kept"
        });
        assert_eq!(
            convert(&s).unwrap(),
            json!({ "type": "string", "description": "kept" })
        );
        // An open enumeration accepts values it does not list.
        assert!(errors(
            json!({ "$ref": "#/components/schemas/Status" }),
            json!("zzz")
        )
        .is_empty());
    }

    #[test]
    fn nested_and_recursive_schemas_validate() {
        let node = json!({ "$ref": "#/components/schemas/Node" });
        let good = json!({
            "name": "root", "status": null, "flag": "true", "n": 2,
            "child": { "name": "leaf", "flag": false }
        });
        assert!(errors(node.clone(), good).is_empty());
        let bad = json!({ "name": "root", "child": { "flag": 1 } });
        let errs = errors(node.clone(), bad);
        assert!(errs.iter().any(|e| e.contains("/child")), "{errs:?}");
        // Draft-4 style boolean exclusiveMinimum, as in OpenAPI 3.0.
        assert!(!errors(node, json!({ "name": "x", "n": 1 })).is_empty());
    }

    #[test]
    fn external_references_are_refused() {
        assert!(convert(&json!({ "$ref": "other.yaml#/Foo" })).is_err());
    }
}
