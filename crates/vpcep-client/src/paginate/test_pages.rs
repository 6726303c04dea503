//! Pages held in memory for the tests of `paginate`: endpoints `ep-{i}` by number.

use crate::generated::types::{EndpointListResp, EndpointResp};

/// A page of the endpoints numbered `ids`, with `total`.
pub(super) fn page(ids: impl IntoIterator<Item = i64>, total: Option<i64>) -> EndpointListResp {
    EndpointListResp {
        endpoints: Some(
            ids.into_iter()
                .map(|i| EndpointResp {
                    id: Some(format!("ep-{i}")),
                    ..Default::default()
                })
                .collect(),
        ),
        total_count: total,
    }
}

/// `n` consecutive numbers from `offset`.
pub(super) fn ids(offset: i64, n: i64) -> std::ops::Range<i64> {
    offset..offset + n
}
