//! The endpoints a fake serves, held compactly and indexed for cheap pages.
//!
//! A page is asked for with the request's parameters as the client holds them
//! ([`ListEndpointsQuery`]; the spec's defaults, read from the contract table, fill in what
//! it leaves out) and the fake's own project scope, which is not a request parameter.
//!
//! **What is held** per endpoint is its JSON text (the bytes served) and a few numbers:
//! the sort keys of its two times, its id (in one shared buffer), its position in the
//! data as given, and its place in three orders (by creation time, update time, id). The
//! text is laid out in blocks of [`BLOCK`] endpoints in the default order (`create_at`
//! descending, comma-separated), so a page of the default sort without filters is a run
//! of it, sent as slices of those blocks (no copy); other pages copy their endpoints'
//! pieces. Nothing else is kept: a filter's column (a field's value per endpoint, as an
//! index into its distinct values) is read from the text when first needed, or by a
//! background thread right after loading ([`Store::warm`]). Endpoints are identified by
//! a *handle*, their position in the layout.
//!
//! **Churn** ([`Store::churned`]) makes a new store from an old one: some endpoints gone
//! from the three orders, new ones (each with its own text) inserted; everything else is
//! shared. Requests answered from the old store finish with it.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use bytes::Bytes;
use serde_json::Value;
use vpcep_client::contract::{self, Direction, Location, Match, Parameter, Role};
use vpcep_client::types::EndpointResp;
use vpcep_client::ListEndpointsQuery;

use crate::generate::Pools;
use crate::json_fields::string_fields;
use crate::replay::RecordedEndpoint;

/// What the fake does with a request's parameters, read once from the contract table
/// (the spec's `x-vpcep-…` extensions, openapi/README.md): its filters, its paging and
/// sorting parameters. No parameter is named here.
struct Plan {
    /// Parameters that filter (`x-vpcep-match`); a path one only with project scoping.
    filters: Vec<&'static Parameter>,
    page_size: &'static Parameter,
    page_offset: &'static Parameter,
    sort_field: &'static Parameter,
    sort_direction: &'static Parameter,
}

static PLAN: LazyLock<Plan> = LazyLock::new(|| {
    for p in contract::LIST_ENDPOINTS {
        if let Some(Role::Filter(how)) = p.role {
            // Every way of matching the spec uses is one the fake knows.
            let _ = text_matches(how, "", "");
        }
    }
    let with = |wanted: fn(&Role) -> bool, what: &str| -> &'static Parameter {
        contract::LIST_ENDPOINTS
            .iter()
            .find(|p| p.role.as_ref().is_some_and(wanted))
            .unwrap_or_else(|| panic!("the spec gives one ListEndpoints parameter {what}"))
    };
    Plan {
        filters: contract::LIST_ENDPOINTS
            .iter()
            .filter(|p| matches!(p.role, Some(Role::Filter(_))))
            .collect(),
        page_size: with(|r| *r == Role::PageSize, "x-vpcep-paging: page-size"),
        page_offset: with(|r| *r == Role::PageOffset, "x-vpcep-paging: page-offset"),
        sort_field: with(|r| matches!(r, Role::SortField(_)), "x-vpcep-sort: field"),
        sort_direction: with(
            |r| matches!(r, Role::SortDirection(_)),
            "x-vpcep-sort: direction",
        ),
    }
});

/// Whether an endpoint's field `value` matches the request's `wanted`, the filter's way.
///
/// # Panics
/// On a way of matching (`x-vpcep-match`) the fake does not know yet: add it here.
fn text_matches(how: Match, value: &str, wanted: &str) -> bool {
    match how {
        Match::Exact => value == wanted,
        Match::CaseInsensitiveSubstring => value.to_lowercase().contains(&wanted.to_lowercase()),
        other => panic!("the fake does not know x-vpcep-match {other:?}"),
    }
}

/// The endpoint fields the store keeps an order by (`x-vpcep-sort-fields` must name one).
const SORTED_FIELDS: [&str; 2] = ["created_at", "updated_at"];

/// One filter of a request: an endpoint field (the parameter's name), how it matches, the
/// value asked for.
#[derive(Clone, Debug)]
struct Condition {
    field: &'static str,
    how: Match,
    value: String,
}

/// One request's page as [`Store::select`] reads it: its filters, sort and page, each
/// parameter the request leaves out taking the spec's default.
struct Selection {
    conditions: Vec<Condition>,
    /// The endpoint field sorted by (one of [`SORTED_FIELDS`]).
    sort_field: &'static str,
    direction: Direction,
    limit: usize,
    offset: usize,
}

impl Selection {
    /// `scoped`: the path's parameters filter too (the fake's project scoping).
    fn new(q: &ListEndpointsQuery, scoped: bool) -> Self {
        let plan = &*PLAN;
        // The value sent, else the spec's default (parameters `set` already checked).
        let value = |p: &Parameter| q.get(p.name).or_else(|| p.default.map(str::to_owned));
        let number = |p: &Parameter| value(p).and_then(|v| v.parse::<usize>().ok());
        let conditions = plan
            .filters
            .iter()
            .filter(|p| scoped || p.location != Location::Path)
            .filter_map(|p| {
                let Some(Role::Filter(how)) = p.role else {
                    return None;
                };
                Some(Condition {
                    field: p.name,
                    how,
                    value: q.get(p.name)?,
                })
            })
            .collect();
        let sort = value(plan.sort_field).expect("the sort field parameter has a default");
        let direction =
            value(plan.sort_direction).expect("the sort direction parameter has a default");
        let role = |p: &Parameter| p.role.expect("a parameter of the plan has a role");
        Selection {
            conditions,
            sort_field: role(plan.sort_field)
                .sort_field(&sort)
                .expect("x-vpcep-sort-fields maps every value of the sort parameter"),
            direction: role(plan.sort_direction)
                .sort_direction(&direction)
                .expect("x-vpcep-sort-directions maps every value of the direction parameter"),
            limit: number(plan.page_size).expect("the page size parameter has a default"),
            offset: number(plan.page_offset).unwrap_or(0),
        }
    }
}

/// An endpoint in the shape of the vendor doc's example: booleans as the strings
/// `"true"`/`"false"`, one-element `active_status` and `dns_names` as a single string.
pub fn quirk_value(e: &EndpointResp) -> Value {
    let mut value = serde_json::to_value(e).expect("serializing an endpoint never fails");
    quirk_shape(&mut value);
    value
}

/// Gives an endpoint's JSON the quirks shape in place (see [`quirk_value`]); other
/// fields and shapes are left as they are.
fn quirk_shape(value: &mut Value) {
    if let Value::Object(map) = value {
        for key in ["enable_dns", "enable_whitelist"] {
            if let Some(Value::Bool(b)) = map.get(key) {
                let s = if *b { "true" } else { "false" };
                map.insert(key.to_owned(), Value::String(s.to_owned()));
            }
        }
        for key in ["active_status", "dns_names"] {
            if let Some(Value::Array(items)) = map.get_mut(key) {
                if items.len() == 1 && items[0].is_string() {
                    let single = items.pop().expect("one element");
                    map.insert(key.to_owned(), single);
                }
            }
        }
    }
}

/// The quirks shape of an endpoint's JSON text.
fn quirks_text(text: &[u8]) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(text).expect("the store holds valid JSON");
    quirk_shape(&mut value);
    serde_json::to_vec(&value).expect("serializing JSON never fails")
}

/// Sort key of a timestamp: seconds (and nanoseconds) since the epoch; a missing or
/// unparseable timestamp sorts before every valid one.
pub fn time_key(s: Option<&str>) -> Option<i128> {
    let s = s?;
    if let Some(secs) = parse_plain_utc(s) {
        return Some(i128::from(secs) * 1_000_000_000);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

/// Fast path of [`time_key`] for the documented `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_plain_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month || hh > 23 || mm > 59 || ss > 59 {
        return None; // leave oddities (e.g. leap seconds) to the full parser
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A time's sort key as held: [`time_key`], `MISSING` for none.
type TimeKey = i128;
const MISSING: TimeKey = i128::MIN;

fn key_of(text: Option<&str>) -> TimeKey {
    time_key(text).unwrap_or(MISSING)
}

/// Endpoints per [`Block`].
pub(crate) const BLOCK: usize = 1024;

/// The JSON text of up to [`BLOCK`] consecutive endpoints of the layout, separated by
/// commas (`e0,e1,…`), and where each one's id is.
struct Block {
    text: Bytes,
    /// `starts[k]` is where the k-th endpoint of the block begins; the k-th one ends one
    /// byte (its comma) before `starts[k + 1]`, and the last entry is `text.len() + 1`.
    starts: Vec<u32>,
    /// Where the k-th endpoint's id is: in `text` (the id as written, no escape), or in
    /// `escaped_ids` (an id whose JSON has escapes, decoded).
    ids: Vec<IdAt>,
    escaped_ids: Box<[u8]>,
}

/// Where an id is in its [`Block`] (see [`Block::ids`]).
#[derive(Clone, Copy)]
struct IdAt {
    start: u32,
    /// The length; [`ESCAPED`] set: in `escaped_ids`.
    len: u32,
}

const ESCAPED: u32 = 1 << 31;
const NO_ID: IdAt = IdAt {
    start: u32::MAX,
    len: 0,
};

/// Builds a [`Block`]: pieces pushed one by one, each with its id.
#[derive(Default)]
struct BlockWriter {
    text: Vec<u8>,
    starts: Vec<u32>,
    ids: Vec<IdAt>,
    escaped_ids: Vec<u8>,
}

impl BlockWriter {
    /// Starts the next piece; returns the buffer to write it to.
    fn next(&mut self) -> &mut Vec<u8> {
        if !self.starts.is_empty() {
            self.text.push(b',');
        }
        self.starts.push(self.text.len() as u32);
        &mut self.text
    }

    /// The id of the piece just written: `at` bytes into it (`len` long), as written.
    fn id_in_text(&mut self, at: usize, len: usize) {
        let start = *self.starts.last().expect("a piece") as usize + at;
        self.ids.push(IdAt {
            start: start as u32,
            len: len as u32,
        });
    }

    /// The id of the piece just written, from the piece's own text.
    fn id_of_piece(&mut self) {
        let start = *self.starts.last().expect("a piece") as usize;
        let piece = &self.text[start..];
        match string_fields(piece, &["id"]).pop().flatten() {
            None => self.ids.push(NO_ID),
            Some(Cow::Borrowed(id)) => {
                let at = id.as_ptr() as usize - piece.as_ptr() as usize;
                let len = id.len();
                self.id_in_text(at, len);
            }
            Some(Cow::Owned(id)) => {
                let start = self.escaped_ids.len() as u32;
                self.escaped_ids.extend_from_slice(id.as_bytes());
                self.ids.push(IdAt {
                    start,
                    len: id.len() as u32 | ESCAPED,
                });
            }
        }
    }

    fn finish(mut self) -> Block {
        self.starts.push(self.text.len() as u32 + 1);
        self.text.shrink_to_fit();
        Block {
            text: Bytes::from(self.text),
            starts: self.starts,
            ids: self.ids,
            escaped_ids: self.escaped_ids.into_boxed_slice(),
        }
    }
}

impl Block {
    fn piece(&self, k: usize) -> &[u8] {
        &self.text[self.starts[k] as usize..self.starts[k + 1] as usize - 1]
    }

    /// The block's endpoints `from..to` with the commas between them, as one slice.
    fn run(&self, from: usize, to: usize) -> Bytes {
        self.text
            .slice(self.starts[from] as usize..self.starts[to] as usize - 1)
    }

    /// The k-th endpoint's id, as bytes (compared as the text is: byte order is `str`
    /// order).
    fn id(&self, k: usize) -> Option<&[u8]> {
        let IdAt { start, len } = self.ids[k];
        if start == u32::MAX {
            return None;
        }
        let (start, end) = (start as usize, (start + (len & !ESCAPED)) as usize);
        Some(if len & ESCAPED != 0 {
            &self.escaped_ids[start..end]
        } else {
            &self.text[start..end]
        })
    }
}

/// Marks a missing value in [`Column::ids`].
const NONE: u32 = u32::MAX;

/// One field of every loaded endpoint, as indexes into a table of its distinct values
/// (a filter compares integers; a substring is searched once per distinct value).
struct Column {
    values: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    ids: Vec<u32>,
}

impl Column {
    fn find(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }
}

/// The data as loaded: shared by every store of one load (churn included).
struct Base {
    blocks: Vec<Block>,
    created: Vec<TimeKey>,
    updated: Vec<TimeKey>,
    /// Position of each endpoint in the data as given (the last tie-breaker).
    seq: Vec<u32>,
    /// Replayed data: [`Store::endpoints`] reads each as [`RecordedEndpoint::new`] does.
    replayed: bool,
    /// Filter columns, made on first use (or by [`Store::warm`]).
    columns: Mutex<HashMap<&'static str, Arc<OnceLock<Arc<Column>>>>>,
}

impl Base {
    fn len(&self) -> usize {
        self.created.len()
    }

    fn piece(&self, h: usize) -> &[u8] {
        self.blocks[h / BLOCK].piece(h % BLOCK)
    }

    fn id(&self, h: usize) -> Option<&[u8]> {
        self.blocks[h / BLOCK].id(h % BLOCK)
    }

    /// The column of `field`, made now if need be (once, whichever thread asks first).
    fn column(&self, field: &'static str) -> Arc<Column> {
        let cell = self
            .columns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(field)
            .or_default()
            .clone();
        cell.get_or_init(|| Arc::new(self.read_column(field)))
            .clone()
    }

    /// Reads `field` from every endpoint's text.
    fn read_column(&self, field: &str) -> Column {
        let mut column = Column {
            values: Vec::new(),
            index: HashMap::new(),
            ids: Vec::with_capacity(self.len()),
        };
        for block in &self.blocks {
            for k in 0..block.starts.len() - 1 {
                let value = string_fields(block.piece(k), &[field]).pop().flatten();
                let id = match value {
                    None => NONE,
                    Some(v) => match column.index.get(v.as_ref()) {
                        Some(&id) => id,
                        None => {
                            let id = column.values.len() as u32;
                            let v: Box<str> = v.into();
                            column.values.push(v.clone());
                            column.index.insert(v, id);
                            id
                        }
                    },
                };
                column.ids.push(id);
            }
        }
        column
    }
}

/// An endpoint created by churn: its own text and keys.
struct Extra {
    text: Bytes,
    created: TimeKey,
    updated: TimeKey,
    id: Option<Box<str>>,
    seq: u32,
}

/// The data a fake serves, with its indexes; immutable (churn makes a new one).
pub struct Store {
    base: Arc<Base>,
    /// Endpoints created by churn so far: handle `base.len() + k` is `extra[k]`.
    extra: Arc<Vec<Arc<Extra>>>,
    /// The endpoints served, ascending by (created_at, id, seq), (updated_at, id, seq)
    /// and (id, seq).
    by_create: Arc<Vec<u32>>,
    by_update: Arc<Vec<u32>>,
    by_id: Arc<Vec<u32>>,
}

/// The sort keys of one endpoint, read from its text: its times and its id.
fn keys_of(text: &[u8]) -> (TimeKey, TimeKey, Option<Cow<'_, str>>) {
    let mut fields = string_fields(text, &["created_at", "updated_at", "id"]).into_iter();
    let mut next = || fields.next().flatten();
    let (created, updated, id) = (next(), next(), next());
    (key_of(created.as_deref()), key_of(updated.as_deref()), id)
}

impl Store {
    /// Indexes endpoints given as JSON texts, in this order (the last tie-breaker);
    /// `replayed`: recorded data (see [`Store::endpoints`]).
    pub fn from_texts(texts: Vec<Vec<u8>>, replayed: bool) -> Self {
        assert!(
            texts.len() < u32::MAX as usize,
            "too many endpoints for one fake"
        );
        let keys: Vec<_> = texts.iter().map(|t| keys_of(t)).collect();
        let mut order: Vec<u32> = (0..texts.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (ka, kb) = (&keys[a as usize], &keys[b as usize]);
            (kb.0, &kb.2, b).cmp(&(ka.0, &ka.2, a))
        });
        // `order` is the layout: the default order (created_at descending).
        let blocks = order
            .chunks(BLOCK)
            .map(|chunk| {
                let mut block = BlockWriter::default();
                for &i in chunk {
                    block.next().extend_from_slice(&texts[i as usize]);
                    block.id_of_piece();
                }
                block.finish()
            })
            .collect();
        let base = Base {
            blocks,
            created: order.iter().map(|&i| keys[i as usize].0).collect(),
            updated: order.iter().map(|&i| keys[i as usize].1).collect(),
            seq: order,
            replayed,
            columns: Mutex::default(),
        };
        Self::index(base)
    }

    /// Indexes endpoints given typed (served as `serde_json` writes them).
    pub fn from_endpoints(endpoints: &[EndpointResp]) -> Self {
        let texts = endpoints
            .iter()
            .map(|e| serde_json::to_vec(e).expect("serializing an endpoint never fails"))
            .collect();
        Self::from_texts(texts, false)
    }

    /// `n` generated endpoints ([`crate::generate()`]`(n, seed, project_id)`), written
    /// straight into the layout: their sort keys are drawn first (a few numbers each), the
    /// layout decided, then each block written, blocks in parallel.
    pub fn generated(n: usize, seed: u64, project_id: &str) -> Self {
        assert!(n < u32::MAX as usize, "too many endpoints for one fake");
        let pools = Pools::new(seed, project_id);
        let threads = std::thread::available_parallelism()
            .map(|t| t.get())
            .unwrap_or(1)
            .clamp(1, 8);
        // The sort keys (whole seconds, and the id as the number its text writes).
        let keys: Vec<(i64, u128, i64)> = parallel_map(n, threads, |i| {
            let d = pools.draws(i);
            (d.created, d.id, d.updated)
        });
        // Three orders of (key, id, index) tuples, sorted as they are (no indirection).
        let sorted = |key: fn(&(i64, u128, i64)) -> i64| -> Vec<u32> {
            let mut tuples: Vec<(i64, u128, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (key(k), k.1, i as u32))
                .collect();
            tuples.sort_unstable();
            tuples.into_iter().map(|t| t.2).collect()
        };
        let (mut layout, by_update, by_id) = std::thread::scope(|scope| {
            let by_update = scope.spawn(|| sorted(|k| k.2));
            let by_id = scope.spawn(|| sorted(|_| 0));
            let by_create = sorted(|k| k.0);
            (
                by_create,
                by_update.join().expect("sorting thread panicked"),
                by_id.join().expect("sorting thread panicked"),
            )
        });
        // The layout: the default order (created_at descending).
        layout.reverse();
        let mut handle = vec![0u32; n];
        for (h, &i) in layout.iter().enumerate() {
            handle[i as usize] = h as u32;
        }
        let to_handles = |order: Vec<u32>| -> Arc<Vec<u32>> {
            Arc::new(order.into_iter().map(|i| handle[i as usize]).collect())
        };
        let (by_update, by_id) = (to_handles(by_update), to_handles(by_id));
        drop(handle);
        let chunks: Vec<&[u32]> = layout.chunks(BLOCK).collect();
        let blocks: Vec<Block> = parallel_map(chunks.len(), threads, |b| {
            let mut block = BlockWriter::default();
            block.text.reserve(chunks[b].len() * 800);
            for &i in chunks[b] {
                let text = block.next();
                let start = text.len();
                let id_at = pools.write(&pools.draws(i as usize), text);
                block.id_in_text(id_at - start, 36);
            }
            block.finish()
        });
        let nanos = |secs: i64| i128::from(secs) * 1_000_000_000;
        let base = Base {
            blocks,
            created: layout.iter().map(|&i| nanos(keys[i as usize].0)).collect(),
            updated: layout.iter().map(|&i| nanos(keys[i as usize].2)).collect(),
            seq: layout,
            replayed: false,
            columns: Mutex::default(),
        };
        Store {
            base: Arc::new(base),
            extra: Arc::default(),
            by_create: Arc::new((0..n as u32).rev().collect()),
            by_update,
            by_id,
        }
    }

    /// The three orders of freshly laid-out data (handle = default-order position).
    fn index(base: Base) -> Self {
        let n = base.len() as u32;
        let mut store = Store {
            base: Arc::new(base),
            extra: Arc::default(),
            by_create: Arc::new((0..n).rev().collect()),
            by_update: Arc::default(),
            by_id: Arc::default(),
        };
        let (mut by_update, mut by_id): (Vec<u32>, Vec<u32>) = ((0..n).collect(), (0..n).collect());
        std::thread::scope(|scope| {
            let s = &store;
            scope.spawn(|| by_update.sort_unstable_by(|&a, &b| s.cmp_update(a, b)));
            by_id.sort_unstable_by(|&a, &b| s.cmp_id(a, b));
        });
        store.by_update = Arc::new(by_update);
        store.by_id = Arc::new(by_id);
        store
    }

    fn extra(&self, h: u32) -> Option<&Extra> {
        (h as usize)
            .checked_sub(self.base.len())
            .map(|k| &*self.extra[k])
    }

    fn created(&self, h: u32) -> TimeKey {
        self.extra(h)
            .map_or_else(|| self.base.created[h as usize], |e| e.created)
    }

    fn updated(&self, h: u32) -> TimeKey {
        self.extra(h)
            .map_or_else(|| self.base.updated[h as usize], |e| e.updated)
    }

    fn id(&self, h: u32) -> Option<&str> {
        self.id_bytes(h)
            .map(|b| std::str::from_utf8(b).expect("ids are text"))
    }

    fn id_bytes(&self, h: u32) -> Option<&[u8]> {
        match self.extra(h) {
            Some(e) => e.id.as_deref().map(str::as_bytes),
            None => self.base.id(h as usize),
        }
    }

    fn seq(&self, h: u32) -> u32 {
        self.extra(h)
            .map_or_else(|| self.base.seq[h as usize], |e| e.seq)
    }

    fn piece(&self, h: u32) -> &[u8] {
        match self.extra(h) {
            Some(e) => &e.text,
            None => self.base.piece(h as usize),
        }
    }

    /// By (created_at, id, seq).
    fn cmp_create(&self, a: u32, b: u32) -> Ordering {
        self.created(a)
            .cmp(&self.created(b))
            .then_with(|| self.cmp_id(a, b))
    }

    /// By (updated_at, id, seq).
    fn cmp_update(&self, a: u32, b: u32) -> Ordering {
        self.updated(a)
            .cmp(&self.updated(b))
            .then_with(|| self.cmp_id(a, b))
    }

    /// By (id, seq); a missing id first.
    fn cmp_id(&self, a: u32, b: u32) -> Ordering {
        self.id_bytes(a)
            .cmp(&self.id_bytes(b))
            .then_with(|| self.seq(a).cmp(&self.seq(b)))
    }

    /// Makes the filter columns (the server runs this on a background thread after
    /// loading; a filtered page before it gets there makes the column it needs).
    pub fn warm(&self) {
        for p in &PLAN.filters {
            if !self.id_fast_path(p.name, Match::Exact) {
                self.base.column(p.name);
            }
        }
    }

    /// Number of endpoints served.
    pub fn len(&self) -> usize {
        self.by_create.len()
    }

    /// Whether no endpoint is served.
    pub fn is_empty(&self) -> bool {
        self.by_create.is_empty()
    }

    /// The endpoints, in the order they were given (created ones last, in order), read
    /// from their text (replayed ones as [`RecordedEndpoint::new`] reads them).
    pub fn endpoints(&self) -> Vec<EndpointResp> {
        let mut handles = self.by_create.to_vec();
        handles.sort_unstable_by_key(|&h| (self.extra(h).is_some(), self.seq(h)));
        self.decode(&handles)
    }

    /// The endpoints of these handles, decoded.
    pub fn decode(&self, handles: &[u32]) -> Vec<EndpointResp> {
        handles
            .iter()
            .map(|&h| {
                let text = self.piece(h);
                if self.base.replayed && self.extra(h).is_none() {
                    let json = serde_json::from_slice(text).expect("valid JSON");
                    RecordedEndpoint::new(json).endpoint
                } else {
                    serde_json::from_slice(text).expect("the store holds valid endpoints")
                }
            })
            .collect()
    }

    /// The ids of the endpoints served (those without one left out).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_create.iter().filter_map(|&h| self.id(h))
    }

    /// The id of the endpoint `h` (current or gone, for the churn log).
    pub(crate) fn id_of(&self, h: u32) -> Option<&str> {
        self.id(h)
    }

    /// Handles of the endpoints loaded (`0..n`) and created so far (`n..`).
    pub(crate) fn handles_ever(&self) -> usize {
        self.base.len() + self.extra.len()
    }

    /// A new store: the endpoints at `delete_at` (positions drawn one after the other in
    /// the creation-time order, each among those left) gone, `created` (JSON texts)
    /// added. Returns it with the handles deleted and created.
    pub(crate) fn churned(
        &self,
        mut delete_at: impl FnMut(usize) -> usize,
        deletions: usize,
        created: Vec<Vec<u8>>,
    ) -> (Store, Vec<u32>, Vec<u32>) {
        let mut by_create = self.by_create.to_vec();
        let mut deleted = Vec::with_capacity(deletions);
        for _ in 0..deletions.min(by_create.len()) {
            let at = delete_at(by_create.len());
            deleted.push(by_create.remove(at));
        }
        let gone: std::collections::HashSet<u32> = deleted.iter().copied().collect();
        let mut extra = self.extra.to_vec();
        let first = self.handles_ever() as u32;
        let seq_base = self.base.len() as u32 + extra.len() as u32;
        let mut added = Vec::with_capacity(created.len());
        for (k, text) in created.into_iter().enumerate() {
            let (created_key, updated_key, id) = keys_of(&text);
            let id = id.map(|id| id.into_owned().into_boxed_str());
            extra.push(Arc::new(Extra {
                text: Bytes::from(text),
                created: created_key,
                updated: updated_key,
                id,
                seq: seq_base + k as u32,
            }));
            added.push(first + k as u32);
        }
        let mut next = Store {
            base: self.base.clone(),
            extra: Arc::new(extra),
            by_create: Arc::default(),
            by_update: Arc::default(),
            by_id: Arc::default(),
        };
        let keep = |order: &[u32]| -> Vec<u32> {
            order
                .iter()
                .copied()
                .filter(|h| !gone.contains(h))
                .collect()
        };
        let mut by_update = keep(&self.by_update);
        let mut by_id = keep(&self.by_id);
        for &h in &added {
            let at = by_create.partition_point(|&o| next.cmp_create(o, h) == Ordering::Less);
            by_create.insert(at, h);
            let at = by_update.partition_point(|&o| next.cmp_update(o, h) == Ordering::Less);
            by_update.insert(at, h);
            let at = by_id.partition_point(|&o| next.cmp_id(o, h) == Ordering::Less);
            by_id.insert(at, h);
        }
        next.by_create = Arc::new(by_create);
        next.by_update = Arc::new(by_update);
        next.by_id = Arc::new(by_id);
        (next, deleted, added)
    }

    /// The value of `field` of endpoint `h`, for a created one (read from its text).
    fn extra_value(&self, h: u32, field: &str) -> Option<String> {
        let e = self.extra(h)?;
        string_fields(&e.text, &[field])
            .pop()
            .flatten()
            .map(Cow::into_owned)
    }

    /// The page `query` asks for: the number of matches and the handles of this page's
    /// endpoints, in order. Parameters `query` leaves out take the spec's defaults.
    /// `scoped`: the path's parameters filter too — `project_id` lists only that
    /// project's endpoints (endpoints without one never match); the server says so when
    /// project scoping is on ([`crate::FakeConfig::project_scoped`]).
    pub fn select(&self, query: &ListEndpointsQuery, scoped: bool) -> (usize, Vec<u32>) {
        self.select_with(query, scoped, true)
    }

    /// Whether a filter on `field` is looked up in the id order instead of a column: the
    /// endpoints' `id` is (all but) unique, so few candidates, and a column of every id
    /// would cost memory for nothing. An optimisation: the answer is the same
    /// (`tests::the_id_fast_path_answers_as_a_column_does`).
    fn id_fast_path(&self, field: &str, how: Match) -> bool {
        field == "id" && how == Match::Exact
    }

    fn select_with(
        &self,
        query: &ListEndpointsQuery,
        scoped: bool,
        fast: bool,
    ) -> (usize, Vec<u32>) {
        let q = Selection::new(query, scoped);
        let order: &[u32] = match q.sort_field {
            "created_at" => &self.by_create,
            "updated_at" => &self.by_update,
            other => panic!("the fake sorts by {SORTED_FIELDS:?}, not {other}"),
        };
        let n = order.len();
        let asc = q.direction == Direction::Ascending;
        let at = |pos: usize| -> u32 {
            if asc {
                order[pos]
            } else {
                order[n - 1 - pos]
            }
        };
        if q.conditions.is_empty() {
            let start = q.offset.min(n);
            let end = q.offset.saturating_add(q.limit).min(n);
            return (n, (start..end).map(at).collect());
        }
        let by_id = q
            .conditions
            .iter()
            .position(|c| fast && self.id_fast_path(c.field, c.how));
        let rest: Vec<Condition> = q
            .conditions
            .iter()
            .enumerate()
            .filter(|(k, _)| Some(*k) != by_id)
            .map(|(_, c)| c.clone())
            .collect();
        let Some(filter) = self.compile(&rest) else {
            return (0, Vec::new());
        };
        if let Some(k) = by_id {
            // Few candidates: found by binary search in the id order, then put in the
            // page's order.
            let id = q.conditions[k].value.as_str();
            let by_id = &self.by_id;
            let first = by_id.partition_point(|&h| self.id(h) < Some(id));
            let mut hits: Vec<u32> = by_id[first..]
                .iter()
                .copied()
                .take_while(|&h| self.id(h) == Some(id))
                .filter(|&h| self.matches(h, &filter))
                .collect();
            hits.sort_unstable_by(|&a, &b| match q.sort_field {
                "created_at" => self.cmp_create(a, b),
                _ => self.cmp_update(a, b),
            });
            if !asc {
                hits.reverse();
            }
            let total = hits.len();
            let page = hits.into_iter().skip(q.offset).take(q.limit).collect();
            return (total, page);
        }
        let mut total = 0usize;
        let mut page = Vec::with_capacity(q.limit.min(n));
        let end = q.offset.saturating_add(q.limit);
        for pos in 0..n {
            let h = at(pos);
            if self.matches(h, &filter) {
                if total >= q.offset && total < end {
                    page.push(h);
                }
                total += 1;
            }
        }
        (total, page)
    }

    /// The conditions as integer comparisons over the columns; `None` when nothing can
    /// match.
    fn compile<'c>(&self, conditions: &'c [Condition]) -> Option<Vec<Compiled<'c>>> {
        let mut compiled = Vec::new();
        for c in conditions {
            let column = self.base.column(c.field);
            // Exact: one value's id to compare; otherwise, which distinct values match.
            let base = match c.how {
                Match::Exact => BaseMatch::Id(column.find(&c.value)),
                how => BaseMatch::Table(
                    column
                        .values
                        .iter()
                        .map(|v| text_matches(how, v, &c.value))
                        .collect(),
                ),
            };
            let impossible = match &base {
                BaseMatch::Id(id) => id.is_none(),
                BaseMatch::Table(ok) => !ok.contains(&true),
            };
            if impossible && self.extra.is_empty() {
                return None;
            }
            compiled.push(Compiled {
                condition: c,
                column,
                base,
            });
        }
        Some(compiled)
    }

    fn matches(&self, h: u32, filter: &[Compiled<'_>]) -> bool {
        filter.iter().all(|f| {
            if self.extra(h).is_some() {
                let value = self.extra_value(h, f.condition.field);
                return value
                    .is_some_and(|v| text_matches(f.condition.how, &v, &f.condition.value));
            }
            let id = f.column.ids[h as usize];
            match &f.base {
                BaseMatch::Id(want) => *want == Some(id) && id != NONE,
                BaseMatch::Table(ok) => id != NONE && ok[id as usize],
            }
        })
    }

    /// The JSON body of a page, `{"endpoints":[…],"total_count":N}`, in a few pieces to
    /// send one after the other. A page that is a run of the layout (every page of the
    /// default sort without filters, before churn) is slices of the store's text, no
    /// copy; other pages are copied together from their endpoints' pieces.
    pub fn render(&self, total: usize, page: &[u32], quirks: bool) -> Vec<Bytes> {
        const HEAD: &[u8] = b"{\"endpoints\":[";
        let tail = Bytes::from(format!("],\"total_count\":{total}}}"));
        let loaded = self.base.len() as u32;
        if let (false, Some(&from)) = (quirks, page.first()) {
            let is_run = page
                .iter()
                .enumerate()
                .all(|(k, &h)| h < loaded && h == from + k as u32);
            if is_run {
                let (from, to) = (from as usize, from as usize + page.len());
                let mut parts = vec![Bytes::from_static(HEAD)];
                let mut pos = from;
                while pos < to {
                    let b = pos / BLOCK;
                    let end = to.min((b + 1) * BLOCK);
                    if pos > from {
                        parts.push(Bytes::from_static(b","));
                    }
                    parts.push(self.base.blocks[b].run(pos - b * BLOCK, end - b * BLOCK));
                    pos = end;
                }
                parts.push(tail);
                return parts;
            }
        }
        let size: usize = page.iter().map(|&h| self.piece(h).len() + 1).sum();
        let mut out = Vec::with_capacity(HEAD.len() + size + size / 8 * usize::from(quirks));
        out.extend_from_slice(HEAD);
        for (k, &h) in page.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            if quirks {
                out.extend_from_slice(&quirks_text(self.piece(h)));
            } else {
                out.extend_from_slice(self.piece(h));
            }
        }
        vec![Bytes::from(out), tail]
    }
}

/// A condition against the loaded endpoints: the id of the value wanted in the column
/// (`None`: no loaded endpoint has it), or which distinct values match.
enum BaseMatch {
    Id(Option<u32>),
    Table(Vec<bool>),
}

struct Compiled<'c> {
    condition: &'c Condition,
    column: Arc<Column>,
    base: BaseMatch,
}

/// `f(0..n)` on `threads` threads, in order.
fn parallel_map<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if n < 2 * threads || threads == 1 {
        return (0..n).map(f).collect();
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let parts: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                scope.spawn(move || (start..(start + chunk).min(n)).map(f).collect::<Vec<T>>())
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for part in parts {
            out.extend(part.join().expect("a worker thread panicked"));
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body as it was made before the shared JSON text: one piece per endpoint.
    fn reference(store: &Store, total: usize, page: &[u32], quirks: bool) -> Vec<u8> {
        let pieces: Vec<Vec<u8>> = store
            .decode(page)
            .iter()
            .map(|e| {
                if quirks {
                    serde_json::to_vec(&quirk_value(e)).unwrap()
                } else {
                    serde_json::to_vec(e).unwrap()
                }
            })
            .collect();
        let mut out = b"{\"endpoints\":[".to_vec();
        out.extend_from_slice(&pieces.join(&b","[..]));
        out.extend_from_slice(format!("],\"total_count\":{total}}}").as_bytes());
        out
    }

    /// A request's parameters, from wire names and texts.
    fn query(sort: &[(&str, &str)], rest: &[(&str, &str)]) -> ListEndpointsQuery {
        let mut q = ListEndpointsQuery::default();
        for (name, value) in sort.iter().chain(rest) {
            assert_eq!(q.set(name, value), Ok(true), "{name}={value}");
        }
        q
    }

    #[test]
    fn pages_are_the_bytes_of_their_endpoints_however_loaded() {
        let endpoints = crate::generate(2100, 7, "p"); // three blocks
        let generated = Store::generated(2100, 7, "p");
        let typed = Store::from_endpoints(&endpoints);
        assert_eq!(generated.endpoints(), endpoints);
        assert_eq!(typed.endpoints(), endpoints);
        let mut queries = Vec::new();
        let id = endpoints[3].id.clone().unwrap();
        for sort_key in ["create_at", "update_at"] {
            for sort_dir in ["desc", "asc"] {
                let sort = [("sort_key", sort_key), ("sort_dir", sort_dir)];
                for (offset, limit) in [(0, 300), (900, 300), (2090, 20), (2100, 5), (7, 1)] {
                    let (offset, limit) = (offset.to_string(), limit.to_string());
                    queries.push(query(&sort, &[("offset", &offset), ("limit", &limit)]));
                }
                queries.push(query(
                    &sort,
                    &[("limit", "300"), ("endpoint_service_name", "A")],
                ));
                queries.push(query(&sort, &[("id", &id)]));
            }
        }
        // Filter columns made by `warm` or on first use answer alike.
        let warm = Store::generated(2100, 7, "p");
        warm.warm();
        for q in &queries {
            let (total, page) = generated.select(q, false);
            assert_eq!(typed.select(q, false), (total, page.clone()), "{q:?}");
            assert_eq!(warm.select(q, false), (total, page.clone()), "{q:?}");
            for quirks in [true, false] {
                let want = reference(&generated, total, &page, quirks);
                assert_eq!(
                    generated.render(total, &page, quirks).concat(),
                    want,
                    "{q:?}"
                );
                assert_eq!(typed.render(total, &page, quirks).concat(), want, "{q:?}");
            }
        }
        assert_eq!(
            generated.render(0, &[], false).concat(),
            b"{\"endpoints\":[],\"total_count\":0}"
        );
        // A default-order page is sent from the shared text, not copied.
        let (total, page) =
            generated.select(&query(&[], &[("limit", "1000"), ("offset", "200")]), false);
        let parts = generated.render(total, &page, false);
        let text = &generated.base.blocks[0].text;
        assert!(text.as_ptr_range().contains(&parts[1].as_ptr()));
    }

    #[test]
    fn parameters_left_out_take_the_spec_defaults() {
        let store = Store::generated(60, 3, "p");
        let (total, page) = store.select(&ListEndpointsQuery::default(), false);
        assert_eq!(total, 60);
        let mut explicit = ListEndpointsQuery::default();
        let mut defaults = 0;
        for p in contract::LIST_ENDPOINTS {
            if let (contract::Location::Query, Some(default)) = (p.location, p.default) {
                assert_eq!(explicit.set(p.name, default), Ok(true), "{}", p.name);
                defaults += 1;
            }
        }
        assert!(defaults >= 3, "limit, sort_key and sort_dir have defaults");
        assert_eq!(store.select(&explicit, false), (total, page.clone()));
        let limit: usize = contract::parameter("limit")
            .unwrap()
            .default
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(page.len(), limit);
        // And they are not what any other value gives.
        let mut asc = explicit.clone();
        asc.set("sort_dir", "asc").unwrap();
        assert_ne!(store.select(&asc, false).1, page);
    }

    /// After churn, every order is what sorting the endpoints left from scratch gives.
    #[test]
    fn churned_orders_are_the_sorted_orders_of_what_is_left() {
        let store = Store::generated(3000, 2, "p");
        let pools = Pools::new(9, "p");
        let mut rng = fastrand::Rng::with_seed(4);
        let created = (0..50).map(|k| pools.json(3000 + k)).collect();
        let (next, deleted, added) = store.churned(|len| rng.usize(..len), 50, created);
        assert_eq!((deleted.len(), added.len(), next.len()), (50, 50, 3000));
        let mut endpoints = next.endpoints();
        let fresh = Store::from_endpoints(&endpoints);
        for sort_key in ["create_at", "update_at"] {
            for sort_dir in ["desc", "asc"] {
                let q = query(
                    &[("sort_key", sort_key), ("sort_dir", sort_dir)],
                    &[("limit", "1000"), ("offset", "1500")],
                );
                let (total, page) = next.select(&q, false);
                let (fresh_total, fresh_page) = fresh.select(&q, false);
                assert_eq!(total, fresh_total);
                assert_eq!(next.decode(&page), fresh.decode(&fresh_page), "{q:?}");
            }
        }
        // A created endpoint is found by id and by a filter.
        endpoints.retain(|e| e.id.is_some());
        let new_id = next.id_of(added[0]).unwrap().to_owned();
        let (total, page) = next.select(&query(&[], &[("id", &new_id)]), false);
        assert_eq!((total, page), (1, vec![added[0]]));
        let service = next.decode(&added[..1])[0]
            .endpoint_service_name
            .clone()
            .unwrap();
        let (_, page) = next.select(
            &query(
                &[],
                &[("limit", "1000"), ("endpoint_service_name", &service)],
            ),
            false,
        );
        assert!(page.contains(&added[0]));
    }

    /// The `id` filter's lookup in the id order (an optimisation) answers as a column
    /// of ids would, alone or with other filters, in every order, also after churn.
    #[test]
    fn the_id_fast_path_answers_as_a_column_does() {
        let mut endpoints = crate::generate(1500, 5, "p");
        // Duplicated ids (recorded data may have them) and an endpoint without one.
        endpoints[7].id = endpoints[3].id.clone();
        endpoints[8].id = endpoints[3].id.clone();
        endpoints[9].id = None;
        let store = Store::from_endpoints(&endpoints);
        let pools = Pools::new(9, "p");
        let created = (0..20).map(|k| pools.json(1500 + k)).collect();
        let (churned, _, added) = store.churned(|len| len / 2, 20, created);
        let new_id = churned.id_of(added[0]).unwrap().to_owned();
        let dup = endpoints[3].id.clone().unwrap();
        let service = endpoints[3].endpoint_service_name.clone().unwrap();
        for (store, id) in [(&store, dup.as_str()), (&churned, new_id.as_str())] {
            for sort in [("create_at", "desc"), ("update_at", "asc")] {
                for extra in [vec![], vec![("endpoint_service_name", service.as_str())]] {
                    let mut rest = vec![("id", id), ("limit", "2"), ("offset", "1")];
                    rest.extend(extra.iter().copied());
                    let q = query(&[("sort_key", sort.0), ("sort_dir", sort.1)], &rest);
                    assert_eq!(
                        store.select_with(&q, false, true),
                        store.select_with(&q, false, false),
                        "{q:?}"
                    );
                }
            }
        }
        let q = query(&[], &[("id", &dup)]);
        assert_eq!(store.select(&q, false).0, 3, "three endpoints share the id");
    }

    /// Every value of the sort parameters is mapped to a field the store sorts by and a
    /// direction (`x-vpcep-sort-fields`, `x-vpcep-sort-directions`), and each gives its
    /// own order.
    #[test]
    fn every_sort_value_of_the_spec_sorts() {
        let store = Store::generated(300, 4, "p");
        let mut orders = std::collections::BTreeSet::new();
        for key in PLAN.sort_field.allowed {
            for dir in PLAN.sort_direction.allowed {
                let q = query(
                    &[(PLAN.sort_field.name, key), (PLAN.sort_direction.name, dir)],
                    &[("limit", "300")],
                );
                orders.insert(store.select(&q, false).1);
            }
        }
        let combinations = PLAN.sort_field.allowed.len() * PLAN.sort_direction.allowed.len();
        assert!(combinations >= 4);
        assert_eq!(orders.len(), combinations);
    }

    #[test]
    fn fast_time_parse_agrees_with_the_full_parser() {
        for s in [
            "2018-10-18T06:49:46Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2100-03-01T12:00:00Z",
            "0001-01-01T00:00:00Z",
        ] {
            let full =
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .unwrap()
                    .unix_timestamp_nanos();
            assert_eq!(time_key(Some(s)), Some(full), "{s}");
            assert_eq!(
                parse_plain_utc(s)
                    .map(i128::from)
                    .map(|x| x * 1_000_000_000),
                Some(full)
            );
        }
        assert_eq!(parse_plain_utc("2018-02-30T00:00:00Z"), None);
        assert!(time_key(Some("2018-10-18T06:49:46.5+08:00")).is_some());
        assert_eq!(time_key(Some("yesterday")), None);
        assert_eq!(time_key(None), None);
    }
}
