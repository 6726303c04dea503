//! The ListEndpoints request builder, in the idiom of the generated one: set parameters,
//! then `send()` one page, stream `pages()` / `items()`, or `list_all()`.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use futures::stream::{self, Stream, StreamExt};

use crate::error::{Error, Result, ValidationError};
use crate::executor::Executor;
use crate::paginate::{self, ListAll, Listing, LIST_ALL_PAGE_SIZE};
use crate::query::Query;
use crate::types::{EndpointListResp, EndpointResp, SortDir, SortKey};
use crate::validate::{self, limits};

/// Builder for one ListEndpoints call. Parameters are validated when the request is sent,
/// before any network I/O; the first broken rule is reported.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListEndpoints {
    executor: Executor,
    project_id: Option<String>,
    endpoint_service_name: Option<String>,
    vpc_id: Option<String>,
    id: Option<String>,
    public_border_group: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    sort_key: Option<String>,
    sort_dir: Option<String>,
}

impl ListEndpoints {
    pub(crate) fn new(executor: Executor) -> Self {
        ListEndpoints {
            executor,
            project_id: None,
            endpoint_service_name: None,
            vpc_id: None,
            id: None,
            public_border_group: None,
            limit: None,
            offset: None,
            sort_key: None,
            sort_dir: None,
        }
    }

    /// Project ID (1..64 characters); defaults to the client's.
    pub fn project_id(mut self, value: impl Into<String>) -> Self {
        self.project_id = Some(value.into());
        self
    }

    /// Only endpoints whose service name contains this (case-insensitive), 1..128 characters.
    pub fn endpoint_service_name(mut self, value: impl Into<String>) -> Self {
        self.endpoint_service_name = Some(value.into());
        self
    }

    /// Only endpoints in this VPC (1..64 characters).
    pub fn vpc_id(mut self, value: impl Into<String>) -> Self {
        self.vpc_id = Some(value.into());
        self
    }

    /// Only the endpoint with this ID (1..64 characters).
    pub fn id(mut self, value: impl Into<String>) -> Self {
        self.id = Some(value.into());
        self
    }

    /// Only endpoints in this public border group (at least 1 character).
    pub fn public_border_group(mut self, value: impl Into<String>) -> Self {
        self.public_border_group = Some(value.into());
        self
    }

    /// Page size, 1..=1000 (server default 10; `list_all` defaults to 1000).
    pub fn limit(mut self, value: impl Into<i64>) -> Self {
        self.limit = Some(value.into());
        self
    }

    /// Number of matching endpoints to skip, at least 0.
    pub fn offset(mut self, value: impl Into<i64>) -> Self {
        self.offset = Some(value.into());
        self
    }

    /// Sort field: [`SortKey::CreateAt`] (default) or [`SortKey::UpdateAt`], or their wire
    /// names `create_at` / `update_at`.
    pub fn sort_key(mut self, value: impl ToString) -> Self {
        self.sort_key = Some(value.to_string());
        self
    }

    /// Sort direction: [`SortDir::Desc`] (default) or [`SortDir::Asc`], or `desc` / `asc`.
    pub fn sort_dir(mut self, value: impl ToString) -> Self {
        self.sort_dir = Some(value.to_string());
        self
    }

    /// Checks every parameter and returns the query to send.
    pub(crate) fn validated(&self) -> Result<Query> {
        let project_id = match self
            .project_id
            .clone()
            .or_else(|| self.executor.default_project_id().map(str::to_owned))
        {
            Some(project_id) => {
                validate::length("project_id", &project_id, limits::PROJECT_ID)?;
                project_id
            }
            // Empty: found from the credentials or IAM before the first request.
            None if self.executor.can_resolve_project_id() => String::new(),
            None => {
                return Err(Error::Config(format!(
                    "no project ID: set it on the client or the request, or in {}",
                    crate::auth::ENV_PROJECT_ID
                )))
            }
        };
        let optional = |name: &'static str, value: &Option<String>, lim: (usize, usize)| {
            value
                .as_deref()
                .map(|v| validate::length(name, v, lim).map(|()| v.to_owned()))
                .transpose()
        };
        let limit = self
            .limit
            .map(|v| validate::range("limit", v, limits::LIMIT).map(|()| v as u32))
            .transpose()?;
        let offset = self
            .offset
            .map(|v| validate::range("offset", v, limits::OFFSET).map(|()| v as i32))
            .transpose()?;
        Ok(Query {
            project_id,
            endpoint_service_name: optional(
                "endpoint_service_name",
                &self.endpoint_service_name,
                limits::ENDPOINT_SERVICE_NAME,
            )?,
            vpc_id: optional("vpc_id", &self.vpc_id, limits::VPC_ID)?,
            id: optional("id", &self.id, limits::ID)?,
            public_border_group: optional(
                "public_border_group",
                &self.public_border_group,
                limits::PUBLIC_BORDER_GROUP,
            )?,
            limit,
            offset,
            sort_key: parse_enum::<SortKey>("sort_key", &self.sort_key, "create_at, update_at")?,
            sort_dir: parse_enum::<SortDir>("sort_dir", &self.sort_dir, "desc, asc")?,
        })
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
                    let limit = query.limit.map(i64::from);
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
    /// `total_count`. See [`ListAll`].
    pub fn list_all(self) -> ListAll {
        let request = match self.limit {
            Some(_) => self,
            None => self.limit(LIST_ALL_PAGE_SIZE),
        };
        ListAll::new(request.limit, move || {
            let query = request.validated()?;
            let throttled = Arc::new(AtomicU64::new(0));
            let (executor, counter) = (request.executor.clone(), throttled.clone());
            Ok(Listing {
                first_offset: query.offset.map_or(0, i64::from),
                limit: i64::from(query.limit.unwrap_or(LIST_ALL_PAGE_SIZE)),
                throttled,
                fetch: Arc::new(move |offset, turn| {
                    let (executor, counter) = (executor.clone(), counter.clone());
                    let query = query.at_offset(offset);
                    Box::pin(async move { executor.execute(&query, Some(counter), turn).await })
                }),
            })
        })
    }
}

fn parse_enum<T: std::str::FromStr>(
    parameter: &'static str,
    value: &Option<String>,
    allowed: &str,
) -> Result<Option<T>, ValidationError> {
    value
        .as_deref()
        .map(|v| {
            v.parse::<T>().map_err(|_| {
                ValidationError::new(parameter, format!("must be one of {allowed}"), v)
            })
        })
        .transpose()
}
