//! OpenAPI 3.0.3 Schema Object → JSON Schema (draft 4), and validation of instances.
//!
//! OpenAPI 3.0's schema dialect is an extended subset of JSON Schema draft 4 (boolean
//! `exclusiveMinimum`/`exclusiveMaximum`, `definitions`-style references). The
//! differences that matter for validating instances are handled here:
//!
//! - `$ref: '#/components/schemas/X'` becomes `$ref: '#/definitions/X'`, and every
//!   component schema is converted into the root's `definitions` (so recursive schemas
//!   work and nothing is inlined). Siblings of `$ref` are dropped, as OpenAPI 3.0 says.
//! - `nullable: true` follows OpenAPI 3.0.3: it "takes effect only if `type` is
//!   explicitly defined within the same Schema Object", and then adds `null` to that
//!   type (`type: [T, "null"]`). Beside `oneOf`/`anyOf`/`allOf`/`$ref` alone it means
//!   nothing. As in the reference validator (`OAS30Validator` of PyPI
//!   `openapi-schema-validator`), the other keywords of the same object still apply to
//!   `null`: an `enum` must list `null`, and the alternatives of a sibling `oneOf` must
//!   admit it themselves.
//! - Annotation-only OpenAPI keywords (`example`, `discriminator`, `readOnly`,
//!   `writeOnly`, `xml`, `externalDocs`, `deprecated`) and extensions (`x-*`, e.g.
//!   `x-extensible-enum`) are dropped; they do not constrain instances.
//!
//! Everything else (`type`, `enum`, `format`, bounds, `pattern`, `required`,
//! `properties`, `items`, `additionalProperties`, `allOf`/`oneOf`/`anyOf`/`not`, …) has
//! the same meaning in both and is kept.

use anyhow::{bail, Context, Result};
/// The JSON Schema validator used here, for callers that hold a [`jsonschema::Validator`].
pub use jsonschema;
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
    let nullable = obj.get("nullable") == Some(&Value::Bool(true));
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
            // OpenAPI 3.0.3: `nullable: true` adds null to the type of the same object.
            "type" if nullable => {
                let t = value.as_str().context("`type` must be a string")?;
                json!([t, "null"])
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Ok(Value::Object(out))
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

/// A compiled validator for `schema` (an OpenAPI 3.0 schema within `spec`).
pub fn validator(spec: &Value, schema: &Value) -> Result<jsonschema::Validator> {
    validator_for(&standalone(spec, schema)?)
}

/// A compiled validator for an already converted JSON Schema (e.g. [`standalone`]'s output
/// after a test made it stricter).
pub fn validator_for(json_schema: &Value) -> Result<jsonschema::Validator> {
    jsonschema::draft4::new(json_schema)
        .map_err(|e| anyhow::anyhow!("converted schema is not valid JSON Schema: {e}"))
}

/// The validation errors of `instance` ("at /path: message"), empty when valid.
pub fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect()
}

/// Validates `instance` against `schema` (an OpenAPI 3.0 schema within `spec`); returns
/// the validation errors, empty when valid.
pub fn validate(spec: &Value, schema: &Value, instance: &Value) -> Result<Vec<String>> {
    Ok(errors(&validator(spec, schema)?, instance))
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
                // OpenAPI 3.0.3 style: `nullable` on a typed branch.
                "Flag": {
                    "oneOf": [
                        { "type": "boolean", "nullable": true },
                        { "type": "string", "enum": ["true", "false"] }
                    ]
                },
                // `nullable` without `type`: means nothing under 3.0.3.
                "FlagWithoutType": {
                    "nullable": true,
                    "oneOf": [
                        { "type": "boolean" },
                        { "type": "string", "enum": ["true", "false"] }
                    ]
                },
                "Detail": {
                    "type": "object", "nullable": true,
                    "properties": { "code": { "type": "string" } }
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
                        "detail": { "$ref": "#/components/schemas/Detail" },
                        "n": { "type": "integer", "minimum": 1, "exclusiveMinimum": true }
                    },
                    "required": ["name"]
                }
            }}
        })
    }

    fn errs(schema: Value, instance: Value) -> Vec<String> {
        validate(&spec(), &schema, &instance).unwrap()
    }

    fn component(name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
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
    fn nullable_adds_null_to_the_type_of_the_same_object() {
        let s = json!({ "type": "integer", "nullable": true, "example": 3 });
        assert_eq!(convert(&s).unwrap(), json!({ "type": ["integer", "null"] }));
        assert!(errs(s.clone(), json!(null)).is_empty());
        assert!(errs(s, json!(3)).is_empty());
        // Not nullable: null is rejected.
        assert!(!errs(json!({ "type": "string" }), json!(null)).is_empty());
        // A nullable object referred to by a field admits null there.
        assert!(errs(component("Node"), json!({ "name": "x", "detail": null })).is_empty());
    }

    #[test]
    fn nullable_without_type_is_ignored_as_in_openapi_3_0_3() {
        // The 3.0.3 rule: `nullable` beside `oneOf` alone admits nothing.
        assert_eq!(
            convert(&spec()["components"]["schemas"]["FlagWithoutType"]).unwrap(),
            json!({ "oneOf": [
                { "type": "boolean" },
                { "type": "string", "enum": ["true", "false"] }
            ]})
        );
        assert!(!errs(component("FlagWithoutType"), json!(null)).is_empty());
        // On a typed branch it works: exactly one branch admits null.
        for ok in [json!(null), json!(true), json!("false")] {
            assert!(errs(component("Flag"), ok.clone()).is_empty(), "{ok}");
        }
        assert!(!errs(component("Flag"), json!("yes")).is_empty());
    }

    #[test]
    fn nullable_does_not_extend_an_enum() {
        // As in OAS30Validator: `enum` applies to null too, so it must list it.
        let s = json!({ "type": "string", "nullable": true, "enum": ["a"] });
        assert!(!errs(s, json!(null)).is_empty());
        let s = json!({ "type": "string", "nullable": true, "enum": ["a", null] });
        assert!(errs(s, json!(null)).is_empty());
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
        assert!(errs(component("Status"), json!("zzz")).is_empty());
    }

    #[test]
    fn nested_and_recursive_schemas_validate() {
        let good = json!({
            "name": "root", "status": null, "flag": "true", "n": 2,
            "child": { "name": "leaf", "flag": null }
        });
        assert!(errs(component("Node"), good).is_empty());
        let bad = json!({ "name": "root", "child": { "flag": 1 } });
        let e = errs(component("Node"), bad);
        assert!(e.iter().any(|e| e.contains("/child")), "{e:?}");
        // Draft-4 style boolean exclusiveMinimum, as in OpenAPI 3.0.
        assert!(!errs(component("Node"), json!({ "name": "x", "n": 1 })).is_empty());
    }

    #[test]
    fn external_references_are_refused() {
        assert!(convert(&json!({ "$ref": "other.yaml#/Foo" })).is_err());
    }
}
