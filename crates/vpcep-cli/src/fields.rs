//! The fields of an endpoint record that `--fields`, `-o csv` and `endpoints diff` name:
//! the properties of `EndpointResp`'s JSON Schema (derived from the spec by typify, so a
//! property added to the spec is a field after `cargo xtask codegen`, no edit here), with
//! dotted paths into nested objects whose schema lists their properties (`tags.key`,
//! `error.error_code`). A path through an array projects it: `tags.key` is the list of
//! every tag's key, as JMESPath's `tags[].key`.
//!
//! A listing may add fields of its own to every record ([`Catalog::with_fields`]): a
//! listing of several targets gives each record its `target` (`crate::output::TARGET_FIELDS`).

use schemars::schema::{InstanceType, RootSchema, Schema, SchemaObject, SingleOrVec};
use serde_json::Value;

/// How deep dotted paths go (`a.b.c`): deeper structures are for `--query`.
const MAX_DEPTH: usize = 3;

/// The fields a record may be asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    /// Top-level fields: those a listing added ([`Catalog::with_fields`]) first, then the
    /// spec's in alphabetical order.
    top: Vec<String>,
    /// Every field, dotted paths included, in alphabetical order.
    all: Vec<String>,
}

impl Catalog {
    /// The fields of an endpoint: `EndpointResp`'s schema.
    pub fn endpoint() -> Catalog {
        let root = schemars::schema_for!(vpcep_client::EndpointResp);
        let mut all = Vec::new();
        collect(&root, &root.schema, "", 1, &mut all);
        all.sort();
        let top = all.iter().filter(|f| !f.contains('.')).cloned().collect();
        Catalog { top, all }
    }

    /// This catalog with the fields a listing adds to every record (a listing of several
    /// targets: `target`, `target.account`, …); the top-level ones come first among the
    /// top-level fields.
    pub fn with_fields(mut self, added: &[&str]) -> Catalog {
        let mut first = 0;
        for name in added {
            if !self.contains(name) {
                self.all.push((*name).to_owned());
            }
            if !name.contains('.') {
                self.top.retain(|f| f != name);
                self.top
                    .insert(first.min(self.top.len()), (*name).to_owned());
                first += 1;
            }
        }
        self.all.sort();
        self
    }

    /// Whether `name` is a field.
    pub fn contains(&self, name: &str) -> bool {
        self.all.iter().any(|f| f == name)
    }

    /// The top-level fields: a listing's own first, then the spec's alphabetically.
    pub fn top_level(&self) -> &[String] {
        &self.top
    }

    /// Every field, dotted paths included.
    pub fn all(&self) -> &[String] {
        &self.all
    }

    /// Parses a `--fields` value (`a,b,c`): each a known field, none twice; an unknown
    /// field is an error listing the known ones.
    pub fn parse(&self, text: &str) -> Result<Vec<Field>, String> {
        let mut fields: Vec<Field> = Vec::new();
        for name in text.split(',').map(str::trim) {
            if name.is_empty() {
                return Err(format!(
                    "--fields: an empty field name in {text:?} (a comma-separated list, e.g. id,status)"
                ));
            }
            if !self.contains(name) {
                return Err(format!(
                    "--fields: unknown field {name:?}; the fields are: {}",
                    self.all.join(", ")
                ));
            }
            if fields.iter().any(|f| f.name == name) {
                return Err(format!("--fields: {name:?} is given twice"));
            }
            fields.push(Field::new(name));
        }
        Ok(fields)
    }

    /// Every top-level field, `first` first (those of them that are fields), then the
    /// others in [`Catalog::top_level`] order: `-o csv`'s default columns.
    pub fn every_field(&self, first: &[&str]) -> Vec<Field> {
        let first: Vec<&str> = first.iter().copied().filter(|f| self.contains(f)).collect();
        first
            .iter()
            .copied()
            .chain(
                self.top
                    .iter()
                    .map(String::as_str)
                    .filter(|f| !first.contains(f)),
            )
            .map(Field::new)
            .collect()
    }
}

/// One field: a property name or a dotted path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    name: String,
}

impl Field {
    /// The field `name` (dotted for a nested property).
    pub fn new(name: &str) -> Field {
        Field {
            name: name.to_owned(),
        }
    }

    /// Its name, as given and as printed (a header, a key).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its value in `record` (a JSON object); `None` when absent. Through an array, the
    /// list of the values of its elements that have one.
    pub fn get(&self, record: &Value) -> Option<Value> {
        let mut segments = self.name.split('.');
        let first = segments.next()?;
        let value = record.get(first)?;
        let rest: Vec<&str> = segments.collect();
        descend(value, &rest)
    }
}

fn descend(value: &Value, path: &[&str]) -> Option<Value> {
    let Some((head, rest)) = path.split_first() else {
        return Some(value.clone());
    };
    match value {
        Value::Object(map) => descend(map.get(*head)?, rest),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|item| descend(item, path))
                .filter(|v| !v.is_null())
                .collect(),
        )),
        _ => None,
    }
}

/// Adds the properties of `schema` (object, array of objects, nullable or not), as
/// `prefix` + name, to `out`, and their nested properties down to [`MAX_DEPTH`].
fn collect(
    root: &RootSchema,
    schema: &SchemaObject,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    let Some(object) = properties_of(root, schema, 0) else {
        return;
    };
    for (name, property) in &object.properties {
        let path = format!("{prefix}{name}");
        out.push(path.clone());
        if depth < MAX_DEPTH {
            if let Schema::Object(property) = property {
                collect(root, property, &format!("{path}."), depth + 1, out);
            }
        }
    }
}

/// The object validation (its properties) of `schema`, through `$ref`, arrays (their
/// items) and `anyOf`/`allOf`/`oneOf` of one object and null.
fn properties_of<'a>(
    root: &'a RootSchema,
    schema: &'a SchemaObject,
    hops: usize,
) -> Option<&'a schemars::schema::ObjectValidation> {
    if hops > 8 {
        return None;
    }
    if let Some(reference) = &schema.reference {
        let name = reference.strip_prefix("#/definitions/")?;
        let Schema::Object(target) = root.definitions.get(name)? else {
            return None;
        };
        return properties_of(root, target, hops + 1);
    }
    if let Some(object) = schema.object.as_deref() {
        if !object.properties.is_empty() {
            return Some(object);
        }
    }
    let is_array = match &schema.instance_type {
        Some(SingleOrVec::Single(t)) => **t == InstanceType::Array,
        Some(SingleOrVec::Vec(ts)) => ts.contains(&InstanceType::Array),
        None => false,
    };
    if is_array {
        if let Some(SingleOrVec::Single(items)) =
            schema.array.as_ref().and_then(|a| a.items.as_ref())
        {
            if let Schema::Object(items) = items.as_ref() {
                return properties_of(root, items, hops + 1);
            }
        }
    }
    let subschemas = schema.subschemas.as_deref()?;
    [&subschemas.any_of, &subschemas.all_of, &subschemas.one_of]
        .into_iter()
        .flatten()
        .flatten()
        .find_map(|s| match s {
            Schema::Object(s) => properties_of(root, s, hops + 1),
            Schema::Bool(_) => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_catalog_is_the_schemas_properties_with_nested_paths() {
        let catalog = Catalog::endpoint();
        for name in [
            "id",
            "status",
            "tags",
            "tags.key",
            "tags.value",
            "enable_dns",
            "updated_at",
        ] {
            assert!(catalog.contains(name), "{name}: {:?}", catalog.all());
        }
        assert!(!catalog.contains("no_such_field"));
        assert!(catalog.top_level().iter().all(|f| !f.contains('.')));
        let every = catalog.every_field(&["status", "id", "not_a_field"]);
        let names: Vec<&str> = every.iter().map(Field::name).collect();
        assert_eq!(names[..2], ["status", "id"]);
        assert_eq!(names.len(), catalog.top_level().len());
    }

    #[test]
    fn unknown_fields_are_refused_with_the_known_ones() {
        let catalog = Catalog::endpoint();
        let e = catalog.parse("id,stauts").unwrap_err();
        assert!(e.contains("unknown field \"stauts\""), "{e}");
        assert!(
            e.contains("endpoint_service_name") && e.contains("tags.key"),
            "{e}"
        );
        assert!(catalog.parse("id,,status").unwrap_err().contains("empty"));
        assert!(catalog.parse("id,id").unwrap_err().contains("twice"));
        let fields = catalog.parse("status, id,tags.key").unwrap();
        let names: Vec<&str> = fields.iter().map(Field::name).collect();
        assert_eq!(names, ["status", "id", "tags.key"]);
    }

    #[test]
    fn a_listing_may_add_fields() {
        let catalog = Catalog::endpoint().with_fields(&["account", "region", "project_id"]);
        assert!(catalog.contains("region") && catalog.contains("account"));
        assert_eq!(
            &catalog.top_level()[..3],
            ["account", "region", "project_id"]
        );
        assert!(catalog.parse("account,region,id").is_ok());
        let every = catalog.every_field(&["id"]);
        let names: Vec<&str> = every.iter().map(Field::name).collect();
        assert_eq!(names[..4], ["id", "account", "region", "project_id"]);
        // Dotted paths are fields, not columns of their own.
        let catalog = Catalog::endpoint().with_fields(&crate::output::TARGET_FIELDS);
        assert_eq!(catalog.top_level()[0], "target");
        assert!(catalog.parse("target.region,id").is_ok());
        assert!(!catalog.top_level().iter().any(|f| f.contains('.')));
    }

    #[test]
    fn get_follows_objects_and_projects_arrays() {
        let record = json!({
            "id": "a",
            "tags": [{"key": "k1", "value": "v1"}, {"key": "k2"}],
            "error": [{"error_code": "E1"}],
            "enable_dns": false,
            "ip": null
        });
        assert_eq!(Field::new("id").get(&record), Some(json!("a")));
        assert_eq!(
            Field::new("tags.key").get(&record),
            Some(json!(["k1", "k2"]))
        );
        assert_eq!(Field::new("tags.value").get(&record), Some(json!(["v1"])));
        assert_eq!(Field::new("enable_dns").get(&record), Some(json!(false)));
        assert_eq!(Field::new("ip").get(&record), Some(Value::Null));
        assert_eq!(Field::new("vpc_id").get(&record), None);
        assert_eq!(Field::new("id.x").get(&record), None);
    }
}
