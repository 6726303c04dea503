//! `vpcep endpoints diff OLD NEW` and `endpoints list --all --diff OLD`: what changed
//! between two listings written by `vpcep` (`-o json` or `-o jsonl`, single- or
//! multi-target), endpoint by endpoint.
//!
//! An endpoint is identified by its `id` and, when the records say where they came from
//! (a multi-target listing), by its target: [`TARGET_FIELDS`]. Fields that change on every
//! listing ([`VOLATILE_FIELDS`]) are left out of the comparison unless included.
//!
//! Memory is bounded by OLD's identities, not its records: a first pass over OLD keeps,
//! per endpoint, its identity and a 64-bit hash of what is compared; NEW is streamed
//! against them; a second pass over OLD reads the old records of only the endpoints that
//! changed or went away. What is kept in full is what the diff prints.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::hash::Hasher;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Value};
use vpcep_client::terminal::printable;

use crate::error::CliError;
use crate::fields::Catalog;
use crate::output::compact_text;

/// The fields that, beside `id`, identify an endpoint in a multi-target listing, in the
/// order they are shown: the account, the region and the project it was listed from. In a
/// single-target listing only `project_id` is there (every endpoint has it), the same for
/// every endpoint, so the identity is the `id`.
pub const TARGET_FIELDS: [&str; 3] = ["account", "region", "project_id"];

/// Fields left out of the comparison unless `--include`d: they change on every listing
/// without anything a reader cares about changing.
pub const VOLATILE_FIELDS: [&str; 1] = ["updated_at"];

/// What is compared: every field but the ignored ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffOptions {
    ignored: BTreeSet<String>,
}

impl DiffOptions {
    /// [`VOLATILE_FIELDS`] ignored, minus `include`, plus `ignore`; each name a top-level
    /// field of `catalog` (an unknown one is an error listing the known ones).
    pub fn new(catalog: &Catalog, include: &[String], ignore: &[String]) -> Result<Self, String> {
        for (flag, names) in [("--include", include), ("--ignore", ignore)] {
            for name in names {
                if !catalog.top_level().iter().any(|f| f == name) {
                    return Err(format!(
                        "{flag}: unknown field {name:?}; the fields are: {}",
                        catalog.top_level().join(", ")
                    ));
                }
            }
        }
        let mut ignored: BTreeSet<String> = VOLATILE_FIELDS.iter().map(|f| f.to_string()).collect();
        for name in include {
            ignored.remove(name);
        }
        ignored.extend(ignore.iter().cloned());
        Ok(DiffOptions { ignored })
    }

    /// The fields left out of the comparison.
    pub fn ignored(&self) -> impl Iterator<Item = &str> {
        self.ignored.iter().map(String::as_str)
    }
}

/// An endpoint's identity: its target fields (`null` when absent) and its `id`, as the
/// compact JSON array `[account, region, project_id, id]`; sorts by target, then id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key(Box<str>);

impl Key {
    fn of(record: &Map<String, Value>) -> Result<Key, String> {
        let id = match record.get("id") {
            Some(Value::String(id)) => id,
            _ => return Err("an endpoint without an \"id\" cannot be matched".to_owned()),
        };
        let mut parts: Vec<&Value> = TARGET_FIELDS
            .iter()
            .map(|f| record.get(*f).unwrap_or(&Value::Null))
            .collect();
        let id = Value::String(id.clone());
        parts.push(&id);
        Ok(Key(serde_json::to_string(&parts)
            .expect("JSON values serialise")
            .into_boxed_str()))
    }

    fn parts(&self) -> Vec<Value> {
        serde_json::from_str(&self.0).expect("a key is a JSON array")
    }

    /// The identity as shown: the id, then the target when the record has more of it than
    /// a project (a multi-target listing's `account/region/project`).
    fn display(&self) -> String {
        let parts = self.parts();
        let text = |v: &Value| match v {
            Value::String(s) => printable(s).into_owned(),
            Value::Null => "-".to_owned(),
            other => printable(&compact_text(other)).into_owned(),
        };
        let (id, target) = parts.split_last().expect("a key has an id");
        let multi = target[..TARGET_FIELDS.len() - 1]
            .iter()
            .any(|v| !v.is_null());
        if multi {
            let target: Vec<String> = target.iter().map(text).collect();
            format!("{} [{}]", text(id), target.join("/"))
        } else {
            text(id)
        }
    }

    /// The identity as JSON fields: `id` and the target fields the record had.
    fn fields(&self) -> Map<String, Value> {
        let parts = self.parts();
        let mut map = Map::new();
        let (id, target) = parts.split_last().expect("a key has an id");
        map.insert("id".to_owned(), id.clone());
        for (name, value) in TARGET_FIELDS.iter().zip(target) {
            if !value.is_null() {
                map.insert((*name).to_owned(), value.clone());
            }
        }
        map
    }
}

/// A 64-bit hash of what is compared of `record` (every field but the ignored ones),
/// canonical: object keys in sorted order at every depth, whatever order the file had.
fn content_hash(record: &Map<String, Value>, options: &DiffOptions) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut names: Vec<&String> = record
        .keys()
        .filter(|n| !options.ignored.contains(*n))
        .collect();
    names.sort();
    for name in names {
        hasher.write(name.as_bytes());
        hasher.write_u8(0xff);
        hash_value(&mut hasher, &record[name.as_str()]);
    }
    hasher.finish()
}

fn hash_value(h: &mut impl Hasher, value: &Value) {
    match value {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => h.write_u8(if *b { 1 } else { 2 }),
        Value::Number(n) => {
            h.write_u8(3);
            h.write(n.to_string().as_bytes());
            h.write_u8(0xff);
        }
        Value::String(s) => {
            h.write_u8(4);
            h.write(s.as_bytes());
            h.write_u8(0xff);
        }
        Value::Array(items) => {
            h.write_u8(5);
            h.write_usize(items.len());
            for item in items {
                hash_value(h, item);
            }
        }
        Value::Object(map) => {
            h.write_u8(6);
            h.write_usize(map.len());
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                h.write(key.as_bytes());
                h.write_u8(0xff);
                hash_value(h, &map[key.as_str()]);
            }
        }
    }
}

/// What a first pass over OLD keeps of one endpoint.
struct OldEntry {
    hash: u64,
    seen_in_new: bool,
}

/// OLD, read once: identities and hashes. Compare NEW against it with [`Comparison`].
pub struct Baseline {
    path: PathBuf,
    options: DiffOptions,
    entries: HashMap<Key, OldEntry>,
}

impl Baseline {
    /// Reads the listing at `path` (JSON document or JSON Lines). An unreadable file is a
    /// configuration error (exit 4), a malformed one a listing error (exit 7).
    pub fn read(path: &Path, options: DiffOptions) -> Result<Baseline, CliError> {
        let mut entries = HashMap::new();
        read_listing(path, &mut |record| {
            let key = Key::of(&record)?;
            let hash = content_hash(&record, &options);
            match entries.entry(key) {
                Entry::Occupied(e) => Err(format!("endpoint {} appears twice", e.key().display())),
                Entry::Vacant(e) => {
                    e.insert(OldEntry {
                        hash,
                        seen_in_new: false,
                    });
                    Ok(())
                }
            }
        })?;
        Ok(Baseline {
            path: path.to_owned(),
            options,
            entries,
        })
    }

    /// Starts comparing NEW's endpoints with these.
    pub fn compare(self) -> Comparison {
        Comparison {
            baseline: self,
            added: BTreeMap::new(),
            changed: BTreeMap::new(),
            unchanged: 0,
        }
    }
}

/// NEW's endpoints compared one by one with a [`Baseline`].
pub struct Comparison {
    baseline: Baseline,
    added: BTreeMap<Key, Map<String, Value>>,
    /// NEW's record of each endpoint whose hash differs.
    changed: BTreeMap<Key, Map<String, Value>>,
    unchanged: u64,
}

impl Comparison {
    /// Compares one endpoint of NEW.
    pub fn record(&mut self, record: Map<String, Value>) -> Result<(), String> {
        let key = Key::of(&record)?;
        let twice = || format!("endpoint {} appears twice", key.display());
        let Some(old) = self.baseline.entries.get_mut(&key) else {
            if self.added.contains_key(&key) {
                return Err(twice());
            }
            self.added.insert(key, record);
            return Ok(());
        };
        if old.seen_in_new {
            return Err(twice());
        }
        old.seen_in_new = true;
        if old.hash == content_hash(&record, &self.baseline.options) {
            self.unchanged += 1;
        } else {
            self.changed.insert(key, record);
        }
        Ok(())
    }

    /// Compares every endpoint of a page of a listing.
    pub fn endpoints(&mut self, endpoints: &[vpcep_client::EndpointResp]) -> Result<(), String> {
        for endpoint in endpoints {
            match serde_json::to_value(endpoint) {
                Ok(Value::Object(record)) => self.record(record)?,
                Ok(_) => return Err("an endpoint is not a JSON object".to_owned()),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }

    /// The differences: reads OLD again for the records of the endpoints that changed or
    /// went away.
    pub fn finish(self) -> Result<Diff, CliError> {
        let Comparison {
            baseline,
            added,
            changed: changed_new,
            unchanged,
        } = self;
        let gone: BTreeSet<Key> = baseline
            .entries
            .iter()
            .filter(|(_, e)| !e.seen_in_new)
            .map(|(k, _)| k.clone())
            .collect();
        let mut removed = BTreeMap::new();
        let mut changed_old = BTreeMap::new();
        if !gone.is_empty() || !changed_new.is_empty() {
            read_listing(&baseline.path, &mut |record| {
                let key = Key::of(&record)?;
                if gone.contains(&key) {
                    removed.insert(key, record);
                } else if changed_new.contains_key(&key) {
                    changed_old.insert(key, record);
                }
                Ok(())
            })?;
        }
        let mut changed = Vec::new();
        for (key, new) in changed_new {
            let old = changed_old.remove(&key).ok_or_else(|| {
                CliError::Listing(format!(
                    "{}: endpoint {} was there on the first read and not on the second: \
                     the file changed while it was read",
                    baseline.path.display(),
                    key.display()
                ))
            })?;
            let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            let fields: Vec<FieldChange> = names
                .into_iter()
                .filter(|n| !baseline.options.ignored.contains(*n))
                .filter(|n| old.get(*n) != new.get(*n))
                .map(|n| FieldChange {
                    field: n.clone(),
                    old: old.get(n).cloned(),
                    new: new.get(n).cloned(),
                })
                .collect();
            // Equal hashes of different content (2^-64) aside, never empty.
            if !fields.is_empty() {
                changed.push(Changed { key, fields });
            }
        }
        Ok(Diff {
            added: added.into_iter().collect(),
            removed: removed.into_iter().collect(),
            changed,
            unchanged,
            ignored: baseline.options.ignored.into_iter().collect(),
        })
    }
}

/// One field of a changed endpoint: `None` where it was (or is) absent.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// Its value in OLD.
    pub old: Option<Value>,
    /// Its value in NEW.
    pub new: Option<Value>,
}

/// An endpoint in both listings whose compared fields differ.
#[derive(Clone, Debug)]
pub struct Changed {
    key: Key,
    /// The fields that changed, by name.
    pub fields: Vec<FieldChange>,
}

/// What changed between two listings; each list in identity order (target, then id).
#[derive(Debug)]
pub struct Diff {
    added: Vec<(Key, Map<String, Value>)>,
    removed: Vec<(Key, Map<String, Value>)>,
    changed: Vec<Changed>,
    /// Endpoints in both, equal but for ignored fields.
    pub unchanged: u64,
    /// The fields left out of the comparison.
    pub ignored: Vec<String>,
}

impl Diff {
    /// Whether anything was added, removed or changed.
    pub fn has_changes(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }

    /// The ids of the added, removed and changed endpoints (for tests and summaries).
    pub fn ids(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let id = |k: &Key| match k.parts().pop() {
            Some(Value::String(s)) => s,
            _ => String::new(),
        };
        (
            self.added.iter().map(|(k, _)| id(k)).collect(),
            self.removed.iter().map(|(k, _)| id(k)).collect(),
            self.changed.iter().map(|c| id(&c.key)).collect(),
        )
    }

    /// The changed endpoints' field changes, by id.
    pub fn changes_of(&self, id: &str) -> Option<&[FieldChange]> {
        self.changed
            .iter()
            .find(|c| matches!(c.key.parts().last(), Some(Value::String(s)) if s == id))
            .map(|c| c.fields.as_slice())
    }

    /// The text for people: `+` added, `-` removed (id, status, service name), `~` changed
    /// with one line per field (`field: old → new`, JSON values), then a summary line.
    pub fn write_text<W: Write>(&self, out: &mut W) -> io::Result<()> {
        let summary = |record: &Map<String, Value>| {
            ["status", "endpoint_service_name"]
                .iter()
                .filter_map(|f| record.get(*f).and_then(Value::as_str))
                .map(|s| printable(s).into_owned())
                .collect::<Vec<_>>()
                .join("  ")
        };
        for (key, record) in &self.added {
            writeln!(out, "+ {}  {}", key.display(), summary(record))?;
        }
        for (key, record) in &self.removed {
            writeln!(out, "- {}  {}", key.display(), summary(record))?;
        }
        let value = |v: &Option<Value>| match v {
            Some(v) => compact_text(v),
            None => "(absent)".to_owned(),
        };
        for changed in &self.changed {
            writeln!(out, "~ {}", changed.key.display())?;
            for f in &changed.fields {
                writeln!(
                    out,
                    "    {}: {} → {}",
                    printable(&f.field),
                    value(&f.old),
                    value(&f.new)
                )?;
            }
        }
        write!(
            out,
            "{} added, {} removed, {} changed, {} unchanged",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.unchanged
        )?;
        if !self.ignored.is_empty() {
            write!(
                out,
                " (ignored: {}; --include to compare)",
                self.ignored.join(", ")
            )?;
        }
        writeln!(out)
    }

    /// The JSON document for machines (pretty, terminal-safe):
    /// `{"added": [records], "removed": [records], "changed": [{"id", target fields,
    /// "changes": {field: {"old", "new"}}}], "unchanged": N, "ignored": [fields]}`; `old` or
    /// `new` is left out where the field was absent.
    pub fn write_json<W: Write>(&self, out: &mut W) -> io::Result<()> {
        #[derive(Serialize)]
        struct Doc<'a> {
            added: Vec<&'a Map<String, Value>>,
            removed: Vec<&'a Map<String, Value>>,
            changed: Vec<Map<String, Value>>,
            unchanged: u64,
            ignored: &'a [String],
        }
        let changed = self
            .changed
            .iter()
            .map(|c| {
                let mut entry = c.key.fields();
                let changes: Map<String, Value> = c
                    .fields
                    .iter()
                    .map(|f| {
                        let mut change = Map::new();
                        if let Some(old) = &f.old {
                            change.insert("old".to_owned(), old.clone());
                        }
                        if let Some(new) = &f.new {
                            change.insert("new".to_owned(), new.clone());
                        }
                        (f.field.clone(), Value::Object(change))
                    })
                    .collect();
                entry.insert("changes".to_owned(), Value::Object(changes));
                entry
            })
            .collect();
        let doc = Doc {
            added: self.added.iter().map(|(_, r)| r).collect(),
            removed: self.removed.iter().map(|(_, r)| r).collect(),
            changed,
            unchanged: self.unchanged,
            ignored: &self.ignored,
        };
        crate::output::write_pretty(out, &doc)?;
        writeln!(out)
    }
}

/// Calls `each` with every endpoint record of the listing at `path`: a `vpcep -o json`
/// document (`{"endpoints": [...], ...}`, pretty or on one line; read as a stream) or JSON
/// Lines (`-o jsonl`, one endpoint per line; blank lines skipped). An empty file is a
/// listing of no endpoints. `each`'s error is reported with the file's name.
pub fn read_listing(
    path: &Path,
    each: &mut dyn FnMut(Map<String, Value>) -> Result<(), String>,
) -> Result<(), CliError> {
    let name = path.display().to_string();
    let open = || {
        File::open(path)
            .map(|f| BufReader::with_capacity(256 * 1024, f))
            .map_err(|e| CliError::Config(format!("cannot read the listing {name}: {e}")))
    };
    let bad = |what: String| CliError::Listing(format!("{name}: {what}"));
    let mut reader = open()?;
    let mut line = String::new();
    let mut line_number = 0u64;
    // The first line that is not blank tells the format.
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|e| bad(e.to_string()))?
            == 0
        {
            return Ok(());
        }
        line_number += 1;
        if !line.trim().is_empty() {
            break;
        }
    }
    match serde_json::from_str::<Value>(&line) {
        Ok(Value::Object(mut doc)) if doc.contains_key("endpoints") => {
            // A document on one line (e.g. `jq -c`).
            let Some(Value::Array(endpoints)) = doc.remove("endpoints") else {
                return Err(bad("\"endpoints\" is not an array".to_owned()));
            };
            for (i, endpoint) in endpoints.into_iter().enumerate() {
                let Value::Object(record) = endpoint else {
                    return Err(bad(format!("endpoints[{i}] is not an object")));
                };
                each(record).map_err(|e| bad(format!("endpoints[{i}]: {e}")))?;
            }
            Ok(())
        }
        Ok(Value::Object(first)) => {
            // JSON Lines.
            each(first).map_err(|e| bad(format!("line {line_number}: {e}")))?;
            loop {
                line.clear();
                if reader.read_line(&mut line).map_err(|e| bad(e.to_string()))? == 0 {
                    return Ok(());
                }
                line_number += 1;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(&line) {
                    Ok(Value::Object(record)) => {
                        each(record).map_err(|e| bad(format!("line {line_number}: {e}")))?
                    }
                    Ok(_) => {
                        return Err(bad(format!(
                            "line {line_number}: not a JSON object (JSON Lines of endpoints expected)"
                        )))
                    }
                    Err(e) => return Err(bad(format!("line {line_number}: {e}"))),
                }
            }
        }
        Ok(_) => Err(bad(
            "not a vpcep listing: neither a JSON document with \"endpoints\" nor JSON Lines of endpoints"
                .to_owned(),
        )),
        Err(_) => {
            // A document over several lines: streamed, one endpoint at a time.
            let mut de = serde_json::Deserializer::from_reader(open()?);
            let mut failure = None;
            let found = DocumentSeed {
                each,
                failure: &mut failure,
            }
            .deserialize(&mut de)
            .and_then(|found| de.end().map(|()| found));
            if let Some(message) = failure {
                return Err(bad(message));
            }
            match found {
                Ok(true) => Ok(()),
                Ok(false) => Err(bad(
                    "not a vpcep listing: a JSON object without \"endpoints\"".to_owned(),
                )),
                Err(e) => Err(bad(e.to_string())),
            }
        }
    }
}

/// Streams the `endpoints` array of a listing document into `each`; deserialises to
/// whether the document had one.
struct DocumentSeed<'a> {
    each: &'a mut dyn FnMut(Map<String, Value>) -> Result<(), String>,
    failure: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a listing document {\"endpoints\": [...], ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "endpoints" && !found {
                found = true;
                map.next_value_seed(EndpointsSeed {
                    each: &mut *self.each,
                    failure: &mut *self.failure,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct EndpointsSeed<'a> {
    each: &'a mut dyn FnMut(Map<String, Value>) -> Result<(), String>,
    failure: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for EndpointsSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EndpointsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of endpoints")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(endpoint) = seq.next_element::<Map<String, Value>>()? {
            if let Err(e) = (self.each)(endpoint) {
                let message = format!("endpoints[{i}]: {e}");
                *self.failure = Some(message.clone());
                return Err(A::Error::custom(message));
            }
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options() -> DiffOptions {
        DiffOptions::new(&Catalog::endpoint(), &[], &[]).unwrap()
    }

    fn record(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn the_hash_ignores_ignored_fields_and_key_order() {
        let o = options();
        let a = record(json!({"id": "a", "status": "accepted", "updated_at": "1"}));
        let b = record(json!({"updated_at": "2", "status": "accepted", "id": "a"}));
        let nested_a = record(json!({"id": "a", "tags": [{"key": "k", "value": "v"}]}));
        let nested_b = record(json!({"tags": [{"value": "v", "key": "k"}], "id": "a"}));
        assert_eq!(content_hash(&nested_a, &o), content_hash(&nested_b, &o));
        let c = record(json!({"id": "a", "status": "rejected", "updated_at": "1"}));
        assert_eq!(content_hash(&a, &o), content_hash(&b, &o));
        assert_ne!(content_hash(&a, &o), content_hash(&c, &o));
        let all = DiffOptions::new(&Catalog::endpoint(), &["updated_at".into()], &[]).unwrap();
        assert_ne!(content_hash(&a, &all), content_hash(&b, &all));
    }

    #[test]
    fn identity_is_the_id_and_the_target() {
        let single = Key::of(&record(json!({"id": "a", "project_id": "p"}))).unwrap();
        assert_eq!(single.display(), "a");
        let multi = Key::of(&record(
            json!({"id": "a", "project_id": "p", "region": "cn-north-4", "account": "acme"}),
        ))
        .unwrap();
        assert_eq!(multi.display(), "a [acme/cn-north-4/p]");
        assert_ne!(single, multi);
        assert!(Key::of(&record(json!({"status": "x"}))).is_err());
    }

    #[test]
    fn volatile_fields_are_the_specs() {
        let catalog = Catalog::endpoint();
        for f in VOLATILE_FIELDS {
            assert!(catalog.top_level().iter().any(|p| p == f), "{f}");
        }
        assert!(catalog.top_level().iter().any(|p| p == "project_id"));
        let e = DiffOptions::new(&catalog, &["updated".into()], &[]).unwrap_err();
        assert!(e.contains("--include") && e.contains("updated_at"), "{e}");
    }
}
