//! The endpoints a fake serves, indexed for cheap pages.
//!
//! Everything that does not depend on the request is computed once, when the data is
//! loaded: each endpoint's JSON text (normal shape eagerly, quirks shape on first use), the
//! ascending orders by creation and update time, and the lower-cased service names. A page
//! without filters is then a slice of a precomputed order plus a copy of the selected JSON
//! pieces; a filtered page is one pass over the order.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;
use vpcep_client::types::{EndpointResp, SortDir, SortKey};

/// A request's filters, sort and page, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Case-insensitive substring of `endpoint_service_name`.
    pub endpoint_service_name: Option<String>,
    /// Exact `vpc_id`.
    pub vpc_id: Option<String>,
    /// Exact `id`.
    pub id: Option<String>,
    /// Exact `public_border_group`.
    pub public_border_group: Option<String>,
    /// Sort field.
    pub sort_key: SortKey,
    /// Sort direction.
    pub sort_dir: SortDir,
    /// Page size.
    pub limit: usize,
    /// Matches to skip.
    pub offset: usize,
}

impl Default for Query {
    fn default() -> Self {
        Self {
            endpoint_service_name: None,
            vpc_id: None,
            id: None,
            public_border_group: None,
            sort_key: SortKey::CreateAt,
            sort_dir: SortDir::Desc,
            limit: 10,
            offset: 0,
        }
    }
}

/// JSON text of every endpoint, back to back, with `starts[i]..starts[i + 1]` the bytes of
/// endpoint `i`.
struct Pieces {
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

impl Pieces {
    fn build(endpoints: &[EndpointResp], quirks: bool) -> Self {
        let mut bytes = Vec::with_capacity(endpoints.len() * 700);
        let mut starts = Vec::with_capacity(endpoints.len() + 1);
        for e in endpoints {
            starts.push(bytes.len());
            if quirks {
                let value = quirk_value(e);
                serde_json::to_writer(&mut bytes, &value).expect("serializing a Value never fails");
            } else {
                serde_json::to_writer(&mut bytes, e).expect("serializing an endpoint never fails");
            }
        }
        starts.push(bytes.len());
        Self { bytes, starts }
    }

    fn get(&self, i: usize) -> &[u8] {
        &self.bytes[self.starts[i]..self.starts[i + 1]]
    }
}

/// An endpoint in the shape of the vendor doc's example: booleans as the strings
/// `"true"`/`"false"`, one-element `active_status` and `dns_names` as a single string.
pub fn quirk_value(e: &EndpointResp) -> Value {
    let mut value = serde_json::to_value(e).expect("serializing an endpoint never fails");
    if let Value::Object(map) = &mut value {
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
    value
}

/// Sort key of a timestamp: seconds (and nanoseconds) since the epoch; a missing or
/// unparseable timestamp sorts before every valid one.
pub fn time_key(s: Option<&str>) -> Option<i128> {
    let s = s?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

/// The data a fake serves, with its precomputed indexes.
pub struct Store {
    endpoints: Vec<EndpointResp>,
    normal: Pieces,
    quirks: OnceLock<Pieces>,
    /// Indices sorted ascending by (created_at, id, index).
    by_create: Vec<u32>,
    /// Indices sorted ascending by (updated_at, id, index).
    by_update: Vec<u32>,
    /// Position of each endpoint in `by_create` / `by_update`.
    rank_create: Vec<u32>,
    rank_update: Vec<u32>,
    /// Lower-cased `endpoint_service_name` of each endpoint.
    names_lower: Vec<Option<Box<str>>>,
    /// Endpoints by id.
    by_id: HashMap<String, Vec<u32>>,
}

impl Store {
    /// Indexes `endpoints` (kept in the given order as the last tie-breaker).
    pub fn new(endpoints: Vec<EndpointResp>) -> Self {
        assert!(
            endpoints.len() < u32::MAX as usize,
            "too many endpoints for one fake"
        );
        let (normal, (by_create, by_update)) = std::thread::scope(|scope| {
            let pieces = scope.spawn(|| Pieces::build(&endpoints, false));
            let create = sorted_by(&endpoints, |e| e.created_at.as_deref());
            let update = sorted_by(&endpoints, |e| e.updated_at.as_deref());
            (
                pieces.join().expect("serializing thread panicked"),
                (create, update),
            )
        });
        let rank = |order: &[u32]| {
            let mut rank = vec![0u32; order.len()];
            for (pos, &i) in order.iter().enumerate() {
                rank[i as usize] = pos as u32;
            }
            rank
        };
        let rank_create = rank(&by_create);
        let rank_update = rank(&by_update);
        let names_lower = endpoints
            .iter()
            .map(|e| {
                e.endpoint_service_name
                    .as_deref()
                    .map(|n| n.to_lowercase().into_boxed_str())
            })
            .collect();
        let mut by_id: HashMap<String, Vec<u32>> = HashMap::with_capacity(endpoints.len());
        for (i, e) in endpoints.iter().enumerate() {
            if let Some(id) = &e.id {
                by_id.entry(id.clone()).or_default().push(i as u32);
            }
        }
        Self {
            endpoints,
            normal,
            quirks: OnceLock::new(),
            by_create,
            by_update,
            rank_create,
            rank_update,
            names_lower,
            by_id,
        }
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

    fn pieces(&self, quirks: bool) -> &Pieces {
        if quirks {
            self.quirks
                .get_or_init(|| Pieces::build(&self.endpoints, true))
        } else {
            &self.normal
        }
    }

    fn matches(&self, i: usize, q: &Query) -> bool {
        let e = &self.endpoints[i];
        if let Some(want) = &q.vpc_id {
            if e.vpc_id.as_deref() != Some(want.as_str()) {
                return false;
            }
        }
        if let Some(want) = &q.id {
            if e.id.as_deref() != Some(want.as_str()) {
                return false;
            }
        }
        if let Some(want) = &q.public_border_group {
            if e.public_border_group.as_deref() != Some(want.as_str()) {
                return false;
            }
        }
        if let Some(want) = &q.endpoint_service_name {
            match &self.names_lower[i] {
                Some(name) if name.contains(want.as_str()) => {}
                _ => return false,
            }
        }
        true
    }

    /// The page `q` asks for: the number of matches and the indices of this page's
    /// endpoints, in order.
    pub fn select(&self, q: &Query) -> (usize, Vec<usize>) {
        let q = Query {
            endpoint_service_name: q.endpoint_service_name.as_ref().map(|s| s.to_lowercase()),
            ..q.clone()
        };
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
            && q.public_border_group.is_none();
        if unfiltered {
            let start = q.offset.min(n);
            let end = q.offset.saturating_add(q.limit).min(n);
            return (n, (start..end).map(at).collect());
        }
        if let Some(id) = &q.id {
            // Few candidates: order them by their position in the sort order.
            let mut hits: Vec<usize> = self
                .by_id
                .get(id)
                .map(|v| v.iter().map(|&i| i as usize).collect())
                .unwrap_or_default();
            hits.retain(|&i| self.matches(i, &q));
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
            if self.matches(i, &q) {
                if total >= q.offset && total < end {
                    page.push(i);
                }
                total += 1;
            }
        }
        (total, page)
    }

    /// The JSON body of a page: `{"endpoints":[…],"total_count":N}`.
    pub fn render(&self, total: usize, page: &[usize], quirks: bool) -> Vec<u8> {
        let pieces = self.pieces(quirks);
        let size: usize = page.iter().map(|&i| pieces.get(i).len() + 1).sum();
        let mut out = Vec::with_capacity(size + 48);
        out.extend_from_slice(b"{\"endpoints\":[");
        for (k, &i) in page.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(pieces.get(i));
        }
        out.extend_from_slice(b"],\"total_count\":");
        out.extend_from_slice(total.to_string().as_bytes());
        out.push(b'}');
        out
    }
}

fn sorted_by(
    endpoints: &[EndpointResp],
    field: impl Fn(&EndpointResp) -> Option<&str>,
) -> Vec<u32> {
    let keys: Vec<Option<i128>> = endpoints.iter().map(|e| time_key(field(e))).collect();
    let mut order: Vec<u32> = (0..endpoints.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        keys[a]
            .cmp(&keys[b])
            .then_with(|| endpoints[a].id.cmp(&endpoints[b].id))
            .then_with(|| a.cmp(&b))
    });
    order
}
