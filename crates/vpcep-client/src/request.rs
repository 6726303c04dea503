//! The ListEndpoints request builder, in the idiom of the generated one: set parameters,
//! then `send()` one page, stream `pages()` / `items()`, or `list_all()`.

use std::num::NonZeroU32;

use crate::client::Client;
use crate::error::{Error, Result, ValidationError};
use crate::types::{EndpointListResp, EndpointResp, SortDir, SortKey};
use crate::validate::{self, limits};

/// Builder for one ListEndpoints call. Parameters are validated when the request is sent,
/// before any network I/O; the first broken rule is reported.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListEndpoints {
    pub(crate) client: Client,
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
    pub(crate) fn new(client: Client) -> Self {
        ListEndpoints {
            client,
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

    /// The page size this request asks for, if set.
    pub(crate) fn limit_value(&self) -> Option<i64> {
        self.limit
    }

    /// Checks every parameter and returns the query to send.
    pub(crate) fn validated(&self) -> Result<Query> {
        let project_id = match self
            .project_id
            .clone()
            .or_else(|| self.client.shared.project_id.clone())
        {
            Some(project_id) => {
                validate::length("project_id", &project_id, limits::PROJECT_ID)?;
                project_id
            }
            // Empty: found from the credentials or IAM before the first request.
            None if self.client.can_resolve_project_id() => String::new(),
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
        self.client.execute(&query, None).await
    }

    /// A lazy stream of pages, fetched one after another from `offset` (default 0) until
    /// the listing is exhausted.
    pub fn pages(self) -> impl futures::Stream<Item = Result<EndpointListResp>> {
        crate::paginate::pages(self)
    }

    /// A lazy stream of endpoints over [`pages`](Self::pages).
    pub fn items(self) -> impl futures::Stream<Item = Result<EndpointResp>> {
        crate::paginate::items(self)
    }

    /// Every matching endpoint, fetching pages concurrently once the first page gives
    /// `total_count`. See [`crate::paginate::ListAll`].
    pub fn list_all(self) -> crate::paginate::ListAll {
        crate::paginate::ListAll::new(self)
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
}
