//! The endpoints a fake serves, indexed for cheap pages.
//!
//! A page is asked for with the request's parameters as the client holds them
//! ([`ListEndpointsQuery`]; the spec's defaults, read from the contract table, fill in what
//! it leaves out) and the fake's own project scope, which is not a request parameter.
//!
//! Everything that does not depend on the request is computed once: when the data is
//! loaded, the ascending orders by creation and update time (ties by id, then position),
//! the order by id, and the filter columns as integers (distinct values interned); the
//! JSON text of every endpoint in the normal shape, made by a background thread right after
//! loading into one buffer in the default order (`create_at` descending, comma-separated),
//! and in the quirks shape on first use, one endpoint at a time, then kept. A page without
//! filters is then a slice of a precomputed order; its body is a slice of that buffer when
//! the page is a run of it (every default-order page: no copy at all), else a copy of the
//! selected JSON pieces. A filtered page is one pass of integer comparisons over the order.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use bytes::Bytes;
use serde_json::Value;
use vpcep_client::contract;
use vpcep_client::types::{EndpointResp, SortDir, SortKey};
use vpcep_client::ListEndpointsQuery;

/// What the server assumes for a parameter a request leaves out: the spec's defaults,
/// read from the contract table (`limit` 10, `sort_key` `create_at`, `sort_dir` `desc`;
/// `offset`, which has none, skips nothing).
struct Defaults {
    limit: usize,
    offset: usize,
    sort_key: SortKey,
    sort_dir: SortDir,
}

static DEFAULTS: LazyLock<Defaults> = LazyLock::new(|| {
    fn default_of<T: std::str::FromStr>(name: &str) -> Option<T> {
        let parameter = contract::parameter(name)
            .unwrap_or_else(|| panic!("`{name}` is a parameter of the spec"));
        let text = parameter.default?;
        let value = text.parse().ok();
        assert!(
            value.is_some(),
            "the spec's default of `{name}`, {text:?}, parses"
        );
        value
    }
    let required = |name: &str| -> ! { panic!("the spec gives `{name}` a default") };
    Defaults {
        limit: default_of("limit").unwrap_or_else(|| required("limit")),
        offset: default_of("offset").unwrap_or(0),
        sort_key: default_of("sort_key").unwrap_or_else(|| required("sort_key")),
        sort_dir: default_of("sort_dir").unwrap_or_else(|| required("sort_dir")),
    }
});

/// One request's page as [`Store::select`] reads it: the parameters of the request (its
/// [`ListEndpointsQuery`], validated) with the spec's defaults filled in, and the fake's
/// own project scoping.
struct Selection<'a> {
    endpoint_service_name: Option<&'a str>,
    vpc_id: Option<&'a str>,
    id: Option<&'a str>,
    public_border_group: Option<&'a str>,
    project: Option<&'a str>,
    sort_key: SortKey,
    sort_dir: SortDir,
    limit: usize,
    offset: usize,
}

impl<'a> Selection<'a> {
    fn new(q: &'a ListEndpointsQuery, project: Option<&'a str>) -> Self {
        let defaults = &*DEFAULTS;
        Selection {
            endpoint_service_name: q.endpoint_service_name.as_deref().map(String::as_str),
            vpc_id: q.vpc_id.as_deref().map(String::as_str),
            id: q.id.as_deref().map(String::as_str),
            public_border_group: q.public_border_group.as_deref().map(String::as_str),
            project,
            sort_key: q.sort_key.unwrap_or(defaults.sort_key),
            sort_dir: q.sort_dir.unwrap_or(defaults.sort_dir),
            limit: q.limit.map_or(defaults.limit, |n| n.get() as usize),
            // Never negative: `set` checked the spec's minimum (0).
            offset: q
                .offset
                .map_or(defaults.offset, |n| usize::try_from(n).unwrap_or(0)),
        }
    }
}

fn quirks_json(e: &EndpointResp, raw: Option<&[u8]>) -> Box<[u8]> {
    let value = match raw {
        // Recorded JSON: the same shapes applied to what was recorded (the rest kept).
        Some(raw) => {
            let mut value = serde_json::from_slice(raw).expect("recorded JSON was valid");
            quirk_shape(&mut value);
            value
        }
        None => quirk_value(e),
    };
    serde_json::to_vec(&value)
        .expect("serializing an endpoint never fails")
        .into_boxed_slice()
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

/// Endpoints per [`Block`].
const BLOCK: usize = 1024;

/// The JSON text of [`BLOCK`] consecutive endpoints of the default order (`create_at`
/// descending) in the normal shape, separated by commas: `e0,e1,…`.
struct Block {
    text: Bytes,
    /// `starts[k]` is where the k-th endpoint of the block begins; the k-th one ends one
    /// byte (its comma) before `starts[k + 1]`, and the last entry is `text.len() + 1`.
    starts: Vec<usize>,
}

impl Block {
    fn piece(&self, k: usize) -> &[u8] {
        &self.text[self.starts[k]..self.starts[k + 1] - 1]
    }

    /// The block's endpoints `from..to` with the commas between them, as one slice.
    fn run(&self, from: usize, to: usize) -> Bytes {
        self.text.slice(self.starts[from]..self.starts[to] - 1)
    }
}

/// The data a fake serves, with its precomputed indexes.
pub struct Store {
    endpoints: Vec<EndpointResp>,
    /// Replayed data: the JSON text served for each endpoint, as recorded (`endpoints`
    /// then only says what the filters, sorts and pages read). `None`: serialize
    /// `endpoints`.
    raw: Option<Vec<Box<[u8]>>>,
    /// JSON text of the endpoints in the normal shape, [`BLOCK`] by [`BLOCK`] in the
    /// default order, made by [`Store::warm`] or by the first page that is a run of the
    /// block (other pages serialize what is not made yet themselves).
    normal: Vec<OnceLock<Block>>,
    /// JSON text of each endpoint in the quirks shape, made on first use.
    quirks: Vec<OnceLock<Box<[u8]>>>,
    /// Indices sorted ascending by (created_at, id, index).
    by_create: Vec<u32>,
    /// Indices sorted ascending by (updated_at, id, index).
    by_update: Vec<u32>,
    /// Position of each endpoint in `by_create` / `by_update`.
    rank_create: Vec<u32>,
    rank_update: Vec<u32>,
    /// Indices sorted by (id, index), for `id` lookups by binary search.
    by_id: Vec<u32>,
    /// Each endpoint's `endpoint_service_name`, `vpc_id`, `public_border_group` (and,
    /// below, `project_id`) as
    /// indexes into tables of distinct values: filters compare integers, and a
    /// service-name substring is searched once per distinct name.
    names: Interned,
    names_lower: Vec<String>,
    vpcs: Interned,
    borders: Interned,
    /// Each endpoint's `project_id`, for project scoping.
    projects: Interned,
}

impl Store {
    /// Indexes `endpoints` (kept in the given order as the last tie-breaker).
    #[cfg(test)]
    pub fn new(endpoints: Vec<EndpointResp>) -> Self {
        Self::with_raw(endpoints, None)
    }

    /// Indexes `endpoints` (kept in the given order as the last tie-breaker), and serves `raw[i]` (JSON text) for endpoint `i`; `endpoints`
    /// are what filters, sorts and pages read.
    ///
    /// # Panics
    /// If `raw` is given and is not as long as `endpoints`.
    pub fn with_raw(endpoints: Vec<EndpointResp>, raw: Option<Vec<Box<[u8]>>>) -> Self {
        if let Some(raw) = &raw {
            assert_eq!(
                raw.len(),
                endpoints.len(),
                "one recorded JSON text per endpoint"
            );
        }
        assert!(
            endpoints.len() < u32::MAX as usize,
            "too many endpoints for one fake"
        );
        let n = endpoints.len();
        let mut by_id: Vec<u32> = (0..n as u32).collect();
        by_id.sort_unstable_by(|&a, &b| {
            endpoints[a as usize]
                .id
                .cmp(&endpoints[b as usize].id)
                .then(a.cmp(&b))
        });
        let id_rank = rank(&by_id);
        let ((by_create, by_update), (names, vpcs, borders, projects)) =
            std::thread::scope(|scope| {
                let sorts = scope.spawn(|| {
                    (
                        sorted_by(&endpoints, &id_rank, |e| e.created_at.as_deref()),
                        sorted_by(&endpoints, &id_rank, |e| e.updated_at.as_deref()),
                    )
                });
                let columns = (
                    Interned::build(endpoints.iter().map(|e| e.endpoint_service_name.as_deref())),
                    Interned::build(endpoints.iter().map(|e| e.vpc_id.as_deref())),
                    Interned::build(endpoints.iter().map(|e| e.public_border_group.as_deref())),
                    Interned::build(endpoints.iter().map(|e| e.project_id.as_deref())),
                );
                (sorts.join().expect("sorting thread panicked"), columns)
            });
        let names_lower = names.values.iter().map(|v| v.to_lowercase()).collect();
        Self {
            normal: (0..n.div_ceil(BLOCK)).map(|_| OnceLock::new()).collect(),
            quirks: (0..n).map(|_| OnceLock::new()).collect(),
            rank_create: rank(&by_create),
            rank_update: rank(&by_update),
            by_create,
            by_update,
            by_id,
            names,
            names_lower,
            vpcs,
            borders,
            projects,
            endpoints,
            raw,
        }
    }

    /// Writes the JSON text of endpoint `i` (normal shape: as recorded for replayed data).
    fn write_normal(&self, out: &mut Vec<u8>, i: usize) {
        match &self.raw {
            Some(raw) => out.extend_from_slice(&raw[i]),
            None => serde_json::to_writer(out, &self.endpoints[i])
                .expect("serializing an endpoint never fails"),
        }
    }

    /// Makes the JSON text of every endpoint in the normal shape (the server runs this on
    /// a background thread after loading).
    pub fn warm(&self) {
        for b in 0..self.normal.len() {
            self.block(b);
        }
    }

    /// Block `b` of the JSON text, made now if need be (or waited for, if another thread
    /// is making it: a few milliseconds).
    fn block(&self, b: usize) -> &Block {
        self.normal[b].get_or_init(|| {
            let n = self.endpoints.len();
            let positions = b * BLOCK..n.min((b + 1) * BLOCK);
            let mut text = Vec::new();
            let mut starts = Vec::with_capacity(positions.len() + 1);
            for (k, pos) in positions.enumerate() {
                if k > 0 {
                    text.push(b',');
                }
                starts.push(text.len());
                self.write_normal(&mut text, self.by_create[n - 1 - pos] as usize);
            }
            starts.push(text.len() + 1);
            text.shrink_to_fit();
            Block {
                text: Bytes::from(text),
                starts,
            }
        })
    }

    /// Position of endpoint `i` in the default order (`create_at` descending).
    fn default_pos(&self, i: usize) -> usize {
        self.endpoints.len() - 1 - self.rank_create[i] as usize
    }

    /// The endpoints, in the order they were given.
    pub fn endpoints(&self) -> &[EndpointResp] {
        &self.endpoints
    }

    /// Number of endpoints.
    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    /// Whether there are no endpoints.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
    }

    /// The query's filters as integer comparisons; `None` when nothing can match.
    fn compile(&self, q: &Selection<'_>) -> Option<Filter> {
        let exact = |table: &Interned, want: Option<&str>| match want {
            None => Some(None),
            Some(w) => table.find(w).map(Some),
        };
        let names = match q.endpoint_service_name {
            None => None,
            Some(want) => {
                let want = want.to_lowercase();
                let ok: Vec<bool> = self
                    .names_lower
                    .iter()
                    .map(|n| n.contains(want.as_str()))
                    .collect();
                if !ok.contains(&true) {
                    return None;
                }
                Some(ok)
            }
        };
        Some(Filter {
            names,
            vpc: exact(&self.vpcs, q.vpc_id)?,
            border: exact(&self.borders, q.public_border_group)?,
            project: exact(&self.projects, q.project)?,
            id: q.id.map(str::to_owned),
        })
    }

    fn matches(&self, i: usize, f: &Filter) -> bool {
        if let Some(v) = f.vpc {
            if self.vpcs.ids[i] != v {
                return false;
            }
        }
        if let Some(b) = f.border {
            if self.borders.ids[i] != b {
                return false;
            }
        }
        if let Some(p) = f.project {
            if self.projects.ids[i] != p {
                return false;
            }
        }
        if let Some(ok) = &f.names {
            let n = self.names.ids[i];
            if n == NONE || !ok[n as usize] {
                return false;
            }
        }
        if let Some(id) = &f.id {
            if self.endpoints[i].id.as_deref() != Some(id.as_str()) {
                return false;
            }
        }
        true
    }

    /// The page `query` asks for: the number of matches and the indices of this page's
    /// endpoints, in order. Parameters `query` leaves out take the spec's defaults.
    /// `project`: only that project's endpoints (endpoints without a `project_id` never
    /// match); the server passes the project of the path when project scoping is on
    /// ([`crate::FakeConfig::project_scoped`]). It is not a query parameter.
    pub fn select(&self, query: &ListEndpointsQuery, project: Option<&str>) -> (usize, Vec<usize>) {
        let q = &Selection::new(query, project);
        let (order, rank) = match q.sort_key {
            SortKey::CreateAt => (&self.by_create, &self.rank_create),
            SortKey::UpdateAt => (&self.by_update, &self.rank_update),
        };
        let n = order.len();
        let asc = q.sort_dir == SortDir::Asc;
        let at = |pos: usize| -> usize {
            if asc {
                order[pos] as usize
            } else {
                order[n - 1 - pos] as usize
            }
        };
        let unfiltered = q.endpoint_service_name.is_none()
            && q.vpc_id.is_none()
            && q.id.is_none()
            && q.public_border_group.is_none()
            && q.project.is_none();
        if unfiltered {
            let start = q.offset.min(n);
            let end = q.offset.saturating_add(q.limit).min(n);
            return (n, (start..end).map(at).collect());
        }
        let Some(filter) = self.compile(q) else {
            return (0, Vec::new());
        };
        if let Some(id) = q.id {
            // Few candidates: order them by their position in the sort order.
            let id_of = |k: usize| self.endpoints[self.by_id[k] as usize].id.as_deref();
            let first = self
                .by_id
                .partition_point(|&i| self.endpoints[i as usize].id.as_deref() < Some(id));
            let mut hits: Vec<usize> = (first..self.by_id.len())
                .take_while(|&k| id_of(k) == Some(id))
                .map(|k| self.by_id[k] as usize)
                .collect();
            hits.retain(|&i| self.matches(i, &filter));
            hits.sort_by_key(|&i| rank[i]);
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
            let i = at(pos);
            if self.matches(i, &filter) {
                if total >= q.offset && total < end {
                    page.push(i);
                }
                total += 1;
            }
        }
        (total, page)
    }

    /// The JSON body of a page, `{"endpoints":[…],"total_count":N}`, in a few pieces to
    /// send one after the other. A page that is a run of the default order (every page of
    /// the default sort without filters) is slices of the store's JSON text, no copy; other
    /// pages are copied together from the JSON of their endpoints.
    pub fn render(&self, total: usize, page: &[usize], quirks: bool) -> Vec<Bytes> {
        const HEAD: &[u8] = b"{\"endpoints\":[";
        let tail = Bytes::from(format!("],\"total_count\":{total}}}"));
        if let (false, Some(&first)) = (quirks, page.first()) {
            let from = self.default_pos(first);
            let to = from + page.len();
            let is_run = page
                .iter()
                .enumerate()
                .all(|(k, &i)| self.default_pos(i) == from + k);
            if is_run {
                let mut parts = vec![Bytes::from_static(HEAD)];
                let mut pos = from;
                while pos < to {
                    let b = pos / BLOCK;
                    let end = to.min((b + 1) * BLOCK);
                    if pos > from {
                        parts.push(Bytes::from_static(b","));
                    }
                    parts.push(self.block(b).run(pos - b * BLOCK, end - b * BLOCK));
                    pos = end;
                }
                parts.push(tail);
                return parts;
            }
        }
        let made = |i: usize| -> Option<&[u8]> {
            let pos = self.default_pos(i);
            let block = self.normal[pos / BLOCK].get()?;
            Some(block.piece(pos % BLOCK))
        };
        let size: usize = page
            .iter()
            .map(|&i| match made(i) {
                Some(piece) if !quirks => piece.len() + 1,
                _ => 800,
            })
            .sum();
        let mut out = Vec::with_capacity(HEAD.len() + size);
        out.extend_from_slice(HEAD);
        for (k, &i) in page.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            if quirks {
                let piece = self.quirks[i].get_or_init(|| {
                    let raw = self.raw.as_ref().map(|raw| &raw[i][..]);
                    quirks_json(&self.endpoints[i], raw)
                });
                out.extend_from_slice(piece);
            } else if let Some(piece) = made(i) {
                out.extend_from_slice(piece);
            } else {
                // Not made yet (still warming): serialize it here.
                self.write_normal(&mut out, i);
            }
        }
        vec![Bytes::from(out), tail]
    }
}

/// Marks a missing value in [`Interned::ids`].
const NONE: u32 = u32::MAX;

/// A column of optional strings stored as indexes into a table of distinct values.
struct Interned {
    values: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    ids: Vec<u32>,
}

impl Interned {
    fn build<'a>(column: impl Iterator<Item = Option<&'a str>>) -> Self {
        let mut table = Interned {
            values: Vec::new(),
            index: HashMap::new(),
            ids: Vec::with_capacity(column.size_hint().0),
        };
        for value in column {
            let id = match value {
                None => NONE,
                Some(v) => match table.index.get(v) {
                    Some(&id) => id,
                    None => {
                        let id = table.values.len() as u32;
                        let v: Box<str> = v.into();
                        table.values.push(v.clone());
                        table.index.insert(v, id);
                        id
                    }
                },
            };
            table.ids.push(id);
        }
        table
    }

    fn find(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }
}

/// A query's filters, compiled against a [`Store`].
struct Filter {
    names: Option<Vec<bool>>,
    vpc: Option<u32>,
    border: Option<u32>,
    project: Option<u32>,
    id: Option<String>,
}

fn rank(order: &[u32]) -> Vec<u32> {
    let mut rank = vec![0u32; order.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i as usize] = pos as u32;
    }
    rank
}

/// Indices sorted by (time, id, index); `id_rank` orders by (id, index).
fn sorted_by(
    endpoints: &[EndpointResp],
    id_rank: &[u32],
    field: impl Fn(&EndpointResp) -> Option<&str>,
) -> Vec<u32> {
    let mut keys: Vec<(Option<i128>, u32, u32)> = endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| (time_key(field(e)), id_rank[i], i as u32))
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|(_, _, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body as it was made before the shared JSON text: one piece per endpoint.
    fn reference(store: &Store, total: usize, page: &[usize], quirks: bool) -> Vec<u8> {
        let pieces: Vec<Vec<u8>> = page
            .iter()
            .map(|&i| {
                let e = &store.endpoints()[i];
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
    fn pages_are_the_same_bytes_before_and_after_warming() {
        let endpoints = crate::generate(1100, 7, "p"); // two blocks
        let warm = Store::new(endpoints.clone());
        warm.warm();
        let mut queries = Vec::new();
        let id = warm.endpoints()[3].id.clone().unwrap();
        for sort_key in ["create_at", "update_at"] {
            for sort_dir in ["desc", "asc"] {
                let sort = [("sort_key", sort_key), ("sort_dir", sort_dir)];
                for (offset, limit) in [(0, 300), (900, 300), (1090, 20), (1100, 5), (7, 1)] {
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
        for q in &queries {
            let (total, page) = warm.select(q, None);
            let cold = Store::new(endpoints.clone());
            let partial = Store::new(endpoints.clone());
            partial.block(1);
            for quirks in [true, false] {
                let want = reference(&warm, total, &page, quirks);
                assert_eq!(warm.render(total, &page, quirks).concat(), want, "{q:?}");
                assert_eq!(cold.render(total, &page, quirks).concat(), want, "{q:?}");
                assert_eq!(partial.render(total, &page, quirks).concat(), want, "{q:?}");
            }
        }
        assert_eq!(
            warm.render(0, &[], false).concat(),
            b"{\"endpoints\":[],\"total_count\":0}"
        );
        // A default-order page is sent from the shared text, not copied.
        let (total, page) = warm.select(&query(&[], &[("limit", "1000"), ("offset", "200")]), None);
        let parts = warm.render(total, &page, false);
        let text = &warm.normal[0].get().unwrap().text;
        assert!(text.as_ptr_range().contains(&parts[1].as_ptr()));
    }

    #[test]
    fn parameters_left_out_take_the_spec_defaults() {
        let store = Store::new(crate::generate(60, 3, "p"));
        let (total, page) = store.select(&ListEndpointsQuery::default(), None);
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
        assert_eq!(store.select(&explicit, None), (total, page.clone()));
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
        assert_ne!(store.select(&asc, None).1, page);
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
