//! A validated ListEndpoints query, and how it is set on the generated builder.
//!
//! Below the request builder (`request.rs`), which makes it, and the executor
//! (`executor.rs`), which sends it: neither imports the other for it.

use std::num::NonZeroU32;

use crate::types::{SortDir, SortKey};

/// A validated query, ready to apply to the generated builder (any number of times: once
/// per attempt).
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub project_id: String,
    pub endpoint_service_name: Option<String>,
    pub vpc_id: Option<String>,
    pub id: Option<String>,
    pub public_border_group: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<i32>,
    pub sort_key: Option<SortKey>,
    pub sort_dir: Option<SortDir>,
}

impl Query {
    /// Sets every parameter on the generated builder. The values were validated against
    /// the same rules the generated types enforce, so its conversions succeed.
    pub fn apply<'a>(
        &self,
        mut b: crate::generated::builder::ListEndpoints<'a>,
    ) -> crate::generated::builder::ListEndpoints<'a> {
        b = b.project_id(self.project_id.as_str());
        if let Some(v) = &self.endpoint_service_name {
            b = b.endpoint_service_name(v.as_str());
        }
        if let Some(v) = &self.vpc_id {
            b = b.vpc_id(v.as_str());
        }
        if let Some(v) = &self.id {
            b = b.id(v.as_str());
        }
        if let Some(v) = &self.public_border_group {
            b = b.public_border_group(v.as_str());
        }
        if let Some(v) = self.limit.and_then(NonZeroU32::new) {
            b = b.limit(v);
        }
        if let Some(v) = self.offset {
            b = b.offset(v);
        }
        if let Some(v) = self.sort_key {
            b = b.sort_key(v);
        }
        if let Some(v) = self.sort_dir {
            b = b.sort_dir(v);
        }
        b
    }

    /// The same query for the page at `offset` (the paginator's one setter).
    pub fn at_offset(&self, offset: i64) -> Self {
        let mut query = self.clone();
        query.offset = Some(i32::try_from(offset).unwrap_or(i32::MAX));
        query
    }
}
