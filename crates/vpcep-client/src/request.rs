//! The ListEndpoints request builder, in the idiom of the generated one: set parameters,
//! then `send()` one page, stream `pages()` / `items()`, or `list_all()`.

use std::sync::Arc;

use futures::stream::{self, Stream, StreamExt};

use crate::contract::{self, ListEndpointsQuery as Query};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::paginate::{self, ListAll, Listing, LIST_ALL_PAGE_SIZE};
use crate::receipt::CallStats;
use crate::types::{EndpointListResp, EndpointResp};
#[cfg(doc)]
use crate::types::{SortDir, SortKey};

/// Builder for one ListEndpoints call. Parameters are validated when the request is sent,
/// before any network I/O, against the spec's rules (the generated types and
/// [`crate::contract::LIST_ENDPOINTS`]); the first broken rule, in the spec's order of
/// parameters, is reported.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListEndpoints {
    executor: Executor,
    /// The parameters set, by wire name, as wire text (the last one set wins).
    params: Vec<(&'static str, String)>,
}

impl ListEndpoints {
    pub(crate) fn new(executor: Executor) -> Self {
        ListEndpoints {
            executor,
            params: Vec::new(),
        }
    }

    fn param(mut self, name: &'static str, value: String) -> Self {
        debug_assert!(contract::parameter(name).is_some(), "{name}");
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value));
        self
    }

    /// Project ID (1..64 characters); defaults to the client's.
    pub fn project_id(self, value: impl Into<String>) -> Self {
        self.param("project_id", value.into())
    }

    /// Only endpoints whose service name contains this (case-insensitive), 1..128 characters.
    pub fn endpoint_service_name(self, value: impl Into<String>) -> Self {
        self.param("endpoint_service_name", value.into())
    }

    /// Only endpoints in this VPC (1..64 characters).
    pub fn vpc_id(self, value: impl Into<String>) -> Self {
        self.param("vpc_id", value.into())
    }

    /// Only the endpoint with this ID (1..64 characters).
    pub fn id(self, value: impl Into<String>) -> Self {
        self.param("id", value.into())
    }

    /// Only endpoints in this public border group (at least 1 character).
    pub fn public_border_group(self, value: impl Into<String>) -> Self {
        self.param("public_border_group", value.into())
    }

    /// Page size, 1..=1000 (server default 10; `list_all` defaults to 1000).
    pub fn limit(self, value: impl Into<i64>) -> Self {
        self.param("limit", value.into().to_string())
    }

    /// Number of matching endpoints to skip, at least 0.
    pub fn offset(self, value: impl Into<i64>) -> Self {
        self.param("offset", value.into().to_string())
    }

    /// Sort field: [`SortKey::CreateAt`] (default) or [`SortKey::UpdateAt`], or their wire
    /// names `create_at` / `update_at`.
    pub fn sort_key(self, value: impl ToString) -> Self {
        self.param("sort_key", value.to_string())
    }

    /// Sort direction: [`SortDir::Desc`] (default) or [`SortDir::Asc`], or `desc` / `asc`.
    pub fn sort_dir(self, value: impl ToString) -> Self {
        self.param("sort_dir", value.to_string())
    }

    /// The page size this request asks for, if set (valid or not).
    fn limit_value(&self) -> Option<i64> {
        self.params
            .iter()
            .find(|(n, _)| *n == "limit")
            .and_then(|(_, v)| v.parse().ok())
    }

    /// Checks every parameter, in the spec's order, and returns the query to send. A
    /// missing project ID is left unset when the credentials can find it.
    pub(crate) fn validated(&self) -> Result<Query> {
        let mut query = Query::default();
        let given = |name: &str| {
            self.params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        for p in contract::LIST_ENDPOINTS
            .iter()
            .filter(|p| p.is_request_parameter())
        {
            let value = match p.name {
                "project_id" => given(p.name).or(self.executor.default_project_id()),
                name => given(name),
            };
            if let Some(value) = value {
                query.set(p.name, value)?;
            }
        }
        if query.project_id.is_none() && !self.executor.can_resolve_project_id() {
            return Err(Error::Config(format!(
                "no project ID: set it on the client or the request, or in {}",
                crate::auth::ENV_PROJECT_ID
            )));
        }
        Ok(query)
    }

    /// Sends the request: one page.
    pub async fn send(self) -> Result<EndpointListResp> {
        let query = self.validated()?;
        self.executor.execute(&query, None, None).await
    }

    /// A lazy stream of pages, fetched one after another from `offset` (default 0) until
    /// the listing is exhausted.
    pub fn pages(self) -> impl Stream<Item = Result<EndpointListResp>> {
        // Checked when the stream is first polled, before any network I/O.
        stream::once(async move { self.validated().map(|query| (self.executor, query)) }).flat_map(
            |checked| match checked {
                Ok((executor, query)) => {
                    let first_offset = query.offset.map_or(0, i64::from);
                    let limit = query.limit.map(|l| i64::from(l.get()));
                    paginate::pages(first_offset, limit, move |offset| {
                        let (executor, query) = (executor.clone(), query.at_offset(offset));
                        async move { executor.execute(&query, None, None).await }
                    })
                    .left_stream()
                }
                Err(e) => stream::iter(std::iter::once(Err(e))).right_stream(),
            },
        )
    }

    /// A lazy stream of endpoints over [`pages`](Self::pages).
    pub fn items(self) -> impl Stream<Item = Result<EndpointResp>> {
        paginate::items(self.pages())
    }

    /// Every matching endpoint, fetching pages concurrently once the first page gives
    /// `total_count`: complete (every endpoint that existed for the whole walk, exactly
    /// once) or an error, with a receipt. See [`ListAll`].
    pub fn list_all(self) -> ListAll {
        let request = match self.limit_value() {
            Some(_) => self,
            None => self.limit(LIST_ALL_PAGE_SIZE),
        };
        ListAll::new(request.limit_value(), move |stats: Arc<CallStats>| {
            let query = request.validated()?;
            let (executor, counters) = (request.executor.clone(), stats);
            Ok(Listing {
                first_offset: query.offset.map_or(0, i64::from),
                limit: i64::from(query.limit.map_or(LIST_ALL_PAGE_SIZE, |l| l.get())),
                fetch: Arc::new(move |offset, turn| {
                    let (executor, counters) = (executor.clone(), counters.clone());
                    let query = query.at_offset(offset);
                    Box::pin(async move { executor.execute(&query, Some(&counters), turn).await })
                }),
            })
        })
    }
}
