//! `vpcep endpoints diff OLD NEW` and `endpoints list --all --diff OLD`: what changed
//! between two listings written by `vpcep` (`-o json` or `-o jsonl`, single- or
//! multi-target), endpoint by endpoint.
//!
//! An endpoint is identified by its `id` and, when the records say where they came from
//! (a listing of several targets: each record's `target`, `{"account", "region",
//! "project_id"}`), by its target: [`IDENTITY_FIELDS`]. Fields that change on every
//! listing ([`VOLATILE_FIELDS`]) are left out of the comparison unless included.
//!
//! Memory is bounded by OLD's identities, not its records: a first read of OLD keeps, per
//! endpoint, its identity, a 64-bit hash of what is compared and where its text starts;
//! NEW (a file, or the pages of a fresh listing) is compared with them record by record,
//! keeping only the records that came or changed; a second read of OLD fetches the records
//! of only the endpoints that changed or went away. (Reading OLD and NEW on two threads
//! was tried: 66 MiB instead of 39 for two 100k listings, both sets of identities held,
//! and no gain that could be measured on the loaded 2-core machine.)

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Value};
use vpcep_client::terminal::printable;

use crate::error::CliError;
use crate::fields::Catalog;
use crate::output::compact_text;

/// The fields that, beside `id`, identify an endpoint: in a listing of several targets,
/// the `target` each record carries (its account, region and project). A listing of one
/// target has none: the identity is the `id`.
pub const IDENTITY_FIELDS: [&str; 1] = [crate::output::TARGET_FIELD];

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
/// compact JSON array `[target, id]`; sorts by target, then id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key(Box<str>);

impl Key {
    fn of(record: &Map<String, Value>) -> Result<Key, String> {
        let target: Vec<Option<&Value>> = IDENTITY_FIELDS.iter().map(|f| record.get(*f)).collect();
        Key::from_parts(&target, record.get("id"))
    }

    /// The key of the target fields' values (in [`IDENTITY_FIELDS`] order) and the id.
    fn from_parts(target: &[Option<&Value>], id: Option<&Value>) -> Result<Key, String> {
        let id = match id {
            Some(id @ Value::String(_)) => id,
            _ => return Err("an endpoint without an \"id\" cannot be matched".to_owned()),
        };
        let mut parts: Vec<&Value> = target.iter().map(|v| v.unwrap_or(&Value::Null)).collect();
        parts.push(id);
        Ok(Key(serde_json::to_string(&parts)
            .expect("JSON values serialise")
            .into_boxed_str()))
    }

    fn parts(&self) -> Vec<Value> {
        serde_json::from_str(&self.0).expect("a key is a JSON array")
    }

    /// The identity as shown: the id, then, in a listing of several targets, the target.
    fn display(&self) -> String {
        let parts = self.parts();
        let text = |v: &Value| match v {
            Value::String(s) => printable(s).into_owned(),
            Value::Null => "-".to_owned(),
            other => printable(&compact_text(other)).into_owned(),
        };
        let (id, target) = parts.split_last().expect("a key has an id");
        // A listing of several targets: `id [account/region/project]`.
        match target {
            [Value::Object(t)] => {
                let part = |name: &str| t.get(name).map_or_else(|| "-".to_owned(), text);
                format!(
                    "{} [{}/{}/{}]",
                    text(id),
                    part("account"),
                    part("region"),
                    part("project_id")
                )
            }
            [Value::Null] => text(id),
            other => {
                let other: Vec<String> = other.iter().map(text).collect();
                format!("{} [{}]", text(id), other.join("/"))
            }
        }
    }

    /// The identity as JSON fields: `id` and the target fields the record had.
    fn fields(&self) -> Map<String, Value> {
        let parts = self.parts();
        let mut map = Map::new();
        let (id, target) = parts.split_last().expect("a key has an id");
        map.insert("id".to_owned(), id.clone());
        for (name, value) in IDENTITY_FIELDS.iter().zip(target) {
            if !value.is_null() {
                map.insert((*name).to_owned(), value.clone());
            }
        }
        map
    }
}

/// A 64-bit hash of what is compared of `record` (every field but the ignored ones),
/// canonical: the same whatever the order of keys in objects at any depth (entries are
/// hashed one by one and summed) and whatever the whitespace. [`identify`] computes the
/// same hash while reading the record's text, without building it.
#[cfg(test)]
fn content_hash(record: &Map<String, Value>, options: &DiffOptions) -> u64 {
    record
        .iter()
        .filter(|(name, _)| !options.ignored.contains(*name))
        .map(|(name, value)| entry_hash(name, |h| feed_value(h, value)))
        .fold(0u64, u64::wrapping_add)
}

/// The hasher of contents: foldhash's quality variant (fast; ~3x SipHash here), seeded at
/// random once per process, so that nobody can prepare two endpoints that hash alike (a
/// change the diff would miss) for a run they cannot see; OLD and NEW are hashed in the
/// same process with the same seed.
type Fold = foldhash::quality::FoldHasher<'static>;

fn new_hasher() -> Fold {
    static STATE: OnceLock<foldhash::quality::RandomState> = OnceLock::new();
    STATE.get_or_init(Default::default).build_hasher()
}

/// The hash of one object entry: its key, then what `feed` writes of its value.
fn entry_hash(key: &str, feed: impl FnOnce(&mut Fold)) -> u64 {
    let mut h = new_hasher();
    h.write_usize(key.len());
    h.write(key.as_bytes());
    feed(&mut h);
    h.finish()
}

/// Writes `value` to `h` as [`HashSeed`] writes the same JSON text.
fn feed_value(h: &mut Fold, value: &Value) {
    match value {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => {
            h.write_u8(1);
            h.write_u8(u8::from(*b));
        }
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                feed_u64(h, u);
            } else if let Some(i) = n.as_i64() {
                feed_i64(h, i);
            } else {
                feed_f64(h, n.as_f64().unwrap_or(f64::NAN));
            }
        }
        Value::String(s) => feed_str(h, s),
        Value::Array(items) => {
            h.write_u8(6);
            for item in items {
                feed_value(h, item);
            }
            h.write_u8(8);
            h.write_usize(items.len());
        }
        Value::Object(map) => {
            let sum = map
                .iter()
                .map(|(k, v)| entry_hash(k, |e| feed_value(e, v)))
                .fold(0u64, u64::wrapping_add);
            feed_object(h, sum, map.len());
        }
    }
}

fn feed_u64(h: &mut Fold, u: u64) {
    h.write_u8(2);
    h.write_u64(u);
}

fn feed_i64(h: &mut Fold, i: i64) {
    match u64::try_from(i) {
        Ok(u) => feed_u64(h, u),
        Err(_) => {
            h.write_u8(3);
            h.write_i64(i);
        }
    }
}

fn feed_f64(h: &mut Fold, f: f64) {
    h.write_u8(4);
    h.write_u64(f.to_bits());
}

fn feed_str(h: &mut Fold, s: &str) {
    h.write_u8(5);
    h.write_usize(s.len());
    h.write(s.as_bytes());
}

fn feed_object(h: &mut Fold, sum: u64, len: usize) {
    h.write_u8(7);
    h.write_u64(sum);
    h.write_usize(len);
}

/// Hashes the JSON value it reads into its hasher, as [`feed_value`] would the value.
struct HashSeed<'h>(&'h mut Fold);

impl<'de> DeserializeSeed<'de> for HashSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for HashSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.write_u8(0);
        Ok(())
    }
    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.0.write_u8(1);
        self.0.write_u8(u8::from(b));
        Ok(())
    }
    fn visit_u64<E>(self, u: u64) -> Result<(), E> {
        feed_u64(self.0, u);
        Ok(())
    }
    fn visit_i64<E>(self, i: i64) -> Result<(), E> {
        feed_i64(self.0, i);
        Ok(())
    }
    fn visit_f64<E>(self, f: f64) -> Result<(), E> {
        feed_f64(self.0, f);
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        feed_str(self.0, s);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.write_u8(6);
        let mut len = 0usize;
        while seq.next_element_seed(HashSeed(&mut *self.0))?.is_some() {
            len += 1;
        }
        self.0.write_u8(8);
        self.0.write_usize(len);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut sum, mut len) = (0u64, 0usize);
        while let Some(key) = map.next_key::<KeyText<'de>>()? {
            let mut e = new_hasher();
            e.write_usize(key.as_str().len());
            e.write(key.as_str().as_bytes());
            map.next_value_seed(HashSeed(&mut e))?;
            sum = sum.wrapping_add(e.finish());
            len += 1;
        }
        feed_object(self.0, sum, len);
        Ok(())
    }
}

/// An object key, borrowed from the text when it has no escapes.
enum KeyText<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl KeyText<'_> {
    fn as_str(&self) -> &str {
        match self {
            KeyText::Borrowed(s) => s,
            KeyText::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for KeyText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<KeyText<'de>, E> {
                Ok(KeyText::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<KeyText<'de>, E> {
                Ok(KeyText::Owned(s.to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// What [`identify`] reads of a record.
struct Identified {
    key: Key,
    /// The content hash ([`content_hash`]), 0 when not asked for.
    hash: u64,
}

/// The identity and (when `with_hash`) the content hash of the endpoint record in `text`
/// (one JSON object), read without building it.
fn identify(text: &str, options: &DiffOptions, with_hash: bool) -> Result<Identified, String> {
    struct Top<'o> {
        options: &'o DiffOptions,
        with_hash: bool,
    }
    impl<'de> Visitor<'de> for Top<'_> {
        type Value = Result<Identified, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an endpoint (a JSON object)")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut id = None;
            let mut target: [Option<Value>; IDENTITY_FIELDS.len()] = Default::default();
            let mut sum = 0u64;
            while let Some(key) = map.next_key::<KeyText<'de>>()? {
                let name = key.as_str();
                let compared = self.with_hash && !self.options.ignored.contains(name);
                let slot = IDENTITY_FIELDS.iter().position(|f| *f == name);
                if name == "id" || slot.is_some() {
                    let value: Value = map.next_value()?;
                    if compared {
                        sum = sum.wrapping_add(entry_hash(name, |h| feed_value(h, &value)));
                    }
                    match slot {
                        Some(i) => target[i] = Some(value),
                        None => id = Some(value),
                    }
                } else if compared {
                    let mut e = new_hasher();
                    e.write_usize(name.len());
                    e.write(name.as_bytes());
                    map.next_value_seed(HashSeed(&mut e))?;
                    sum = sum.wrapping_add(e.finish());
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            let target: Vec<Option<&Value>> = target.iter().map(Option::as_ref).collect();
            Ok(Key::from_parts(&target, id.as_ref()).map(|key| Identified { key, hash: sum }))
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let identified = serde::Deserializer::deserialize_map(&mut de, Top { options, with_hash })
        .map_err(|e| e.to_string())??;
    de.end().map_err(|e| e.to_string())?;
    Ok(identified)
}

/// A record's text parsed in full (for what the diff prints).
fn parse_record(text: &str) -> Result<Map<String, Value>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// What a first pass over OLD keeps of one endpoint.
struct OldEntry {
    hash: u64,
    /// Where its text starts in the file (a line of JSON Lines, an element of a
    /// document), for the second pass to seek to.
    offset: Option<u64>,
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
        read_listing(path, &mut |text, offset| {
            let Identified { key, hash } = identify(text, &options, true)?;
            match entries.entry(key) {
                Entry::Occupied(e) => Err(format!("endpoint {} appears twice", e.key().display())),
                Entry::Vacant(e) => {
                    e.insert(OldEntry {
                        hash,
                        offset,
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

    /// The records of the endpoints `wanted`: a second read of OLD, of only their text
    /// (where the first read saw it start), else (a document on one line) of all of it.
    fn records(
        &self,
        wanted: &BTreeSet<&Key>,
    ) -> Result<HashMap<Key, Map<String, Value>>, CliError> {
        let name = self.path.display();
        let mut found = HashMap::new();
        let mut offsets: Vec<(u64, &Key)> = Vec::new();
        for key in wanted {
            match self.entries.get(*key).and_then(|e| e.offset) {
                Some(offset) => offsets.push((offset, key)),
                None => break,
            }
        }
        if offsets.len() == wanted.len() {
            offsets.sort();
            let file = File::open(&self.path)
                .map_err(|e| CliError::Config(format!("cannot read the listing {name}: {e}")))?;
            let mut reader = BufReader::with_capacity(16 * 1024, file);
            for (offset, key) in offsets {
                reader
                    .seek(SeekFrom::Start(offset))
                    .map_err(|e| CliError::Listing(format!("{name}: {e}")))?;
                // The record starting there: a line of JSON Lines, or an element of a
                // document (over several lines); serde_json reads one value and stops.
                let record = serde_json::Deserializer::from_reader(&mut reader)
                    .into_iter::<Map<String, Value>>()
                    .next()
                    .and_then(Result::ok)
                    .filter(|r| Key::of(r).as_ref() == Ok(key));
                let Some(record) = record else {
                    return Err(self.changed_while_read(key));
                };
                found.insert((*key).clone(), record);
            }
        } else {
            read_listing(&self.path, &mut |text, _| {
                let key = identify(text, &self.options, false)?.key;
                if wanted.contains(&key) {
                    found.insert(key, parse_record(text)?);
                }
                Ok(())
            })?;
        }
        Ok(found)
    }

    fn changed_while_read(&self, key: &Key) -> CliError {
        CliError::Listing(format!(
            "{}: endpoint {} was there on the first read and not on the second: the file \
             changed while it was read",
            self.path.display(),
            key.display()
        ))
    }
}

/// `endpoints diff OLD NEW`: OLD's identities and hashes, NEW compared with them record by
/// record, then OLD's records of what changed or went away.
pub fn compare_files(old: &Path, new: &Path, options: DiffOptions) -> Result<Diff, CliError> {
    let mut comparison = Baseline::read(old, options)?.compare();
    read_listing(new, &mut |text, _| comparison.record(text))?;
    comparison.finish()
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
    /// Compares one endpoint of NEW, given as its JSON text.
    pub fn record(&mut self, text: &str) -> Result<(), String> {
        let Identified { key, hash } = identify(text, &self.baseline.options, true)?;
        let twice = |key: &Key| format!("endpoint {} appears twice", key.display());
        let Some(old) = self.baseline.entries.get_mut(&key) else {
            if self.added.contains_key(&key) {
                return Err(twice(&key));
            }
            self.added.insert(key, parse_record(text)?);
            return Ok(());
        };
        if old.seen_in_new {
            return Err(twice(&key));
        }
        old.seen_in_new = true;
        if old.hash == hash {
            self.unchanged += 1;
        } else {
            self.changed.insert(key, parse_record(text)?);
        }
        Ok(())
    }

    /// Compares every endpoint of a page of a listing.
    pub fn endpoints(&mut self, endpoints: &[vpcep_client::EndpointResp]) -> Result<(), String> {
        let mut text = Vec::with_capacity(2048);
        for endpoint in endpoints {
            text.clear();
            serde_json::to_writer(&mut text, endpoint).map_err(|e| e.to_string())?;
            self.record(std::str::from_utf8(&text).map_err(|e| e.to_string())?)?;
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
        let gone: BTreeSet<&Key> = baseline
            .entries
            .iter()
            .filter(|(_, e)| !e.seen_in_new)
            .map(|(k, _)| k)
            .collect();
        let mut wanted = gone.clone();
        wanted.extend(changed_new.keys());
        let mut old_records = if wanted.is_empty() {
            HashMap::new()
        } else {
            baseline.records(&wanted)?
        };
        let mut removed = Vec::new();
        for key in gone {
            let record = old_records
                .remove(key)
                .ok_or_else(|| baseline.changed_while_read(key))?;
            removed.push((key.clone(), record));
        }
        let mut changed = Vec::new();
        for (key, new) in changed_new {
            let old = old_records
                .remove(&key)
                .ok_or_else(|| baseline.changed_while_read(&key))?;
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
            removed,
            changed,
            unchanged,
            ignored: baseline.options.ignored.iter().cloned().collect(),
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

/// What [`read_listing`] hands over: an endpoint record's JSON text, and where its line
/// starts in a JSON Lines file.
type Each<'a> = dyn FnMut(&str, Option<u64>) -> Result<(), String> + 'a;

/// Calls `each` with the text of every endpoint record of the listing at `path`: a
/// `vpcep -o json` document (`{"endpoints": [...], ...}`, pretty or on one line; read as a
/// stream) or JSON Lines (`-o jsonl`, one endpoint per line; blank lines skipped). An
/// empty file is a listing of no endpoints. `each`'s error is reported with the file's
/// name and the line or element.
pub fn read_listing(path: &Path, each: &mut Each<'_>) -> Result<(), CliError> {
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
    let mut offset = 0u64;
    // The first line that is not blank tells the format.
    let first_offset = loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| bad(e.to_string()))?;
        if read == 0 {
            return Ok(());
        }
        line_number += 1;
        if !line.trim().is_empty() {
            break offset;
        }
        offset += read as u64;
    };
    #[derive(serde::Deserialize)]
    struct OneLine<'a> {
        #[serde(borrow)]
        endpoints: Vec<&'a serde_json::value::RawValue>,
    }
    match serde_json::from_str::<Value>(&line) {
        Ok(Value::Object(doc)) if doc.contains_key("endpoints") => {
            // A document on one line (e.g. `jq -c`).
            drop(doc);
            let doc: OneLine = serde_json::from_str(&line)
                .map_err(|e| bad(format!("\"endpoints\" is not an array of endpoints: {e}")))?;
            for (i, endpoint) in doc.endpoints.iter().enumerate() {
                each(endpoint.get(), None).map_err(|e| bad(format!("endpoints[{i}]: {e}")))?;
            }
            Ok(())
        }
        Ok(Value::Object(_)) => {
            // JSON Lines.
            each(&line, Some(first_offset)).map_err(|e| bad(format!("line {line_number}: {e}")))?;
            offset = first_offset + line.len() as u64;
            loop {
                line.clear();
                let read = reader.read_line(&mut line).map_err(|e| bad(e.to_string()))?;
                if read == 0 {
                    return Ok(());
                }
                line_number += 1;
                let start = offset;
                offset += read as u64;
                if line.trim().is_empty() {
                    continue;
                }
                each(&line, Some(start)).map_err(|e| bad(format!("line {line_number}: {e}")))?;
            }
        }
        Ok(_) => Err(bad(
            "not a vpcep listing: neither a JSON document with \"endpoints\" nor JSON Lines of endpoints"
                .to_owned(),
        )),
        Err(_) => {
            // A document over several lines: streamed, one endpoint at a time.
            match scan_document(open()?, &mut |text, offset| each(text, Some(offset))) {
                Ok(true) => Ok(()),
                Ok(false) => Err(bad(
                    "not a vpcep listing: a JSON object without \"endpoints\"".to_owned(),
                )),
                Err(e) => Err(bad(e)),
            }
        }
    }
}

/// Reads a listing document `{"endpoints": [...], ...}` from `reader` in chunks and hands
/// the text of each element of its `endpoints` array, with the byte offset where it
/// starts, to `each` (which parses it); says whether there was such an array. Only the
/// structure is read here (strings, brackets, the top-level keys): an element's JSON is
/// checked by whoever parses it, the rest of the document is skipped with its brackets
/// balanced. Several times faster than serde_json's reader (byte by byte), and memory is
/// one element.
fn scan_document(
    mut reader: impl io::Read,
    each: &mut dyn FnMut(&str, u64) -> Result<(), String>,
) -> Result<bool, String> {
    let mut chunk = vec![0u8; 256 * 1024];
    // Offset of the chunk in the file.
    let mut base = 0u64;
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    // At depth 1: whether the next string is a key, the key being read, the last key.
    let (mut expect_key, mut reading_key) = (false, false);
    let mut key: Vec<u8> = Vec::new();
    let mut value_of_endpoints = false;
    // Inside the endpoints array (its elements at depth 2); the element being collected.
    let (mut in_endpoints, mut found, mut closed) = (false, false, false);
    let mut element: Vec<u8> = Vec::with_capacity(4096);
    let mut collecting = false;
    let mut element_start = 0u64;
    let mut index = 0usize;
    loop {
        let n = reader.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let buf = &chunk[..n];
        // Where the collected part of this chunk starts.
        let mut segment = 0usize;
        let mut i = 0usize;
        while i < n {
            if in_string {
                if escaped {
                    escaped = false;
                    if reading_key {
                        key.push(buf[i]);
                    }
                    i += 1;
                    continue;
                }
                let rest = &buf[i..];
                let Some(k) = rest.iter().position(|&b| b == b'"' || b == b'\\') else {
                    if reading_key {
                        key.extend_from_slice(rest);
                    }
                    i = n;
                    continue;
                };
                if reading_key {
                    key.extend_from_slice(&rest[..k]);
                }
                i += k;
                if buf[i] == b'\\' {
                    if reading_key {
                        key.push(b'\\');
                    }
                    escaped = true;
                } else {
                    in_string = false;
                    if reading_key {
                        reading_key = false;
                        expect_key = false;
                    }
                }
                i += 1;
                continue;
            }
            // Inside an element, or a value other than endpoints: only strings and
            // brackets matter.
            if depth >= 3 || (depth == 2 && !in_endpoints) {
                let rest = &buf[i..];
                match rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']'))
                {
                    Some(k) => i += k,
                    None => {
                        i = n;
                        continue;
                    }
                }
            }
            let byte = buf[i];
            if byte.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if closed {
                return Err("text after the end of the document".to_owned());
            }
            if depth == 0 && byte != b'{' {
                return Err("not a vpcep listing: not a JSON object".to_owned());
            }
            if in_endpoints && depth == 2 && !collecting {
                match byte {
                    b',' => {
                        i += 1;
                        continue;
                    }
                    b']' => {}
                    b'{' => {
                        collecting = true;
                        element.clear();
                        segment = i;
                        element_start = base + i as u64;
                    }
                    _ => return Err(format!("endpoints[{index}] is not an object")),
                }
            }
            match byte {
                b'"' => {
                    if depth == 1 && value_of_endpoints {
                        return Err("\"endpoints\" is not an array".to_owned());
                    }
                    in_string = true;
                    if depth == 1 && expect_key {
                        reading_key = true;
                        key.clear();
                    }
                }
                b':' if depth == 1 => value_of_endpoints = key == b"endpoints" && !found,
                b',' if depth == 1 => expect_key = true,
                b'{' | b'[' => {
                    if depth == 1 && value_of_endpoints {
                        if byte != b'[' {
                            return Err("\"endpoints\" is not an array".to_owned());
                        }
                        in_endpoints = true;
                        found = true;
                    }
                    value_of_endpoints = false;
                    depth += 1;
                    if depth == 1 {
                        expect_key = true;
                    }
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return Err("unbalanced brackets".to_owned());
                    }
                    depth -= 1;
                    if collecting && depth == 2 {
                        collecting = false;
                        element.extend_from_slice(&buf[segment..=i]);
                        let text = std::str::from_utf8(&element)
                            .map_err(|e| format!("endpoints[{index}]: {e}"))?;
                        each(text, element_start)
                            .map_err(|e| format!("endpoints[{index}]: {e}"))?;
                        index += 1;
                    }
                    if depth == 1 {
                        in_endpoints = false;
                    }
                    if depth == 0 {
                        closed = true;
                    }
                }
                _ => {
                    if depth == 1 && value_of_endpoints {
                        return Err("\"endpoints\" is not an array".to_owned());
                    }
                }
            }
            i += 1;
        }
        if collecting {
            element.extend_from_slice(&buf[segment..n]);
        }
        base += n as u64;
    }
    if !closed {
        return Err("the document ends before it is closed (truncated?)".to_owned());
    }
    Ok(found)
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

    /// The hash read from the text is the hash of the parsed record, whatever the text's
    /// key order and whitespace; and the identity is the same as the parsed record's.
    #[test]
    fn identify_reads_the_hash_of_the_record() {
        let o = options();
        let texts = [
            r#"{"id":"a","n":-3,"f":1.5,"u":7,"b":true,"z":null,"s":"x\u00e9\n","l":[1,[2,{"k":"v"}],{}],"o":{"b":[],"a":{"c":1}},"updated_at":"t"}"#,
            "{\n  \"o\": {\"a\": {\"c\": 1}, \"b\": []},\n  \"l\": [1, [2, {\"k\": \"v\"}], {}],\n  \"s\": \"x\\u00e9\\n\", \"z\": null, \"b\": true,\n  \"u\": 7, \"f\": 1.5, \"n\": -3, \"id\": \"a\", \"updated_at\": \"other\"\n}",
            r#"{"id":"a","target":{"region":"r","account":"acme","project_id":"p"},"project_id":"p","tags":[{"key":"k"}],"e\u0073caped key":1}"#,
        ];
        let first = identify(texts[0], &o, true).unwrap();
        let second = identify(texts[1], &o, true).unwrap();
        assert_eq!(first.hash, second.hash, "key order, whitespace, updated_at");
        assert_eq!(first.key, second.key);
        for text in texts {
            let record = parse_record(text).unwrap();
            let identified = identify(text, &o, true).unwrap();
            assert_eq!(identified.hash, content_hash(&record, &o), "{text}");
            assert_eq!(identified.key, Key::of(&record).unwrap(), "{text}");
        }
        let changed = texts[0].replace("\"u\":7", "\"u\":8");
        assert_ne!(identify(&changed, &o, true).unwrap().hash, first.hash);
        let moved = texts[0]
            .replace("[1,[2,", "[[2,")
            .replace("}],{}]", "}],1,{}]");
        assert_ne!(
            identify(&moved, &o, true).unwrap().hash,
            first.hash,
            "array order counts"
        );
        assert!(identify(r#"{"status":"x"}"#, &o, true).is_err());
        assert!(identify(r#"{"id":"a"} trailing"#, &o, true).is_err());
    }

    fn scan(text: &str) -> Result<(bool, Vec<String>), String> {
        let mut elements = Vec::new();
        // Tiny reads: elements, strings and escapes cross chunk boundaries... of 256 KiB;
        // a reader giving 3 bytes at a time does it here.
        struct Trickle<'a>(&'a [u8]);
        impl io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(3).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let found = scan_document(Trickle(text.as_bytes()), &mut |t, offset| {
            assert_eq!(&text[offset as usize..][..t.len()], t);
            elements.push(t.to_owned());
            Ok(())
        })?;
        Ok((found, elements))
    }

    #[test]
    fn scan_document_finds_the_elements_of_endpoints() {
        let doc = r#" {"total_count": 2, "other": {"endpoints": [{"id": "no"}]}, "s": "a\"]}{[",
            "endpoints": [ {"id": "a", "d": "x}\\\"{", "n": [1, {"k": []}]} ,
            {"id": "b"} ], "after": [] } "#;
        let (found, elements) = scan(doc).unwrap();
        assert!(found);
        assert_eq!(
            elements,
            [
                r#"{"id": "a", "d": "x}\\\"{", "n": [1, {"k": []}]}"#,
                r#"{"id": "b"}"#
            ]
        );
        assert_eq!(scan(r#"{"endpoints": []}"#).unwrap(), (true, vec![]));
        assert_eq!(scan(r#"{"items": [1]}"#).unwrap(), (false, vec![]));
        for (bad, says) in [
            (r#"{"endpoints": [{"id": "a"},"#, "truncated"),
            (r#"{"endpoints": [1]}"#, "endpoints[0] is not an object"),
            (r#"{"endpoints": {"id": "a"}}"#, "not an array"),
            (r#"{"endpoints": "x"}"#, "not an array"),
            (r#"[{"id": "a"}]"#, "not a JSON object"),
            (r#"{"endpoints": []} {}"#, "after the end"),
        ] {
            let e = scan(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn identity_is_the_id_and_the_target() {
        let single = Key::of(&record(json!({"id": "a", "project_id": "p"}))).unwrap();
        assert_eq!(single.display(), "a");
        let multi = Key::of(&record(json!({"id": "a", "project_id": "p",
            "target": {"account": "acme", "region": "cn-north-4", "project_id": null}})))
        .unwrap();
        assert_eq!(multi.display(), "a [acme/cn-north-4/-]");
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
