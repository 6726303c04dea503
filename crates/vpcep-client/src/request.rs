//! The ListEndpoints request builder, in the idiom of the generated one: set parameters,
//! then `send()` one page, stream `pages()` / `items()`, or `list_all()`.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{self, Stream, StreamExt};

use crate::contract::{self, ListEndpointsQuery as Query, Parameter};
use crate::error::{Error, Result, ValidationError};
use crate::executor::Executor;
use crate::generated::types::{EndpointListResp, EndpointResp};
use crate::paginate::{self, ListAll, Listing, LIST_ALL_PAGE_SIZE};
use crate::receipt::CallStats;

// The setters, one per parameter: written by `cargo xtask codegen` from the spec.
#[rustfmt::skip]
mod setters;

/// Builder for one ListEndpoints call: one setter per parameter of the spec, named after
/// it (`vpc_id`, `limit`, …; generated from the spec with its description and rules), or
/// [`parameter`](Self::parameter) by wire name. `project_id` defaults to the client's.
///
/// Each value is converted to the type the generated client takes for its parameter as
/// it is set, against the spec's rules (the generated types and
/// [`crate::contract::LIST_ENDPOINTS`]); a value that breaks one is reported when the
/// request is sent, before any network I/O: the first, in the spec's order of
/// parameters.
#[derive(Clone, Debug)]
#[must_use]
pub struct ListEndpoints {
    executor: Executor,
    /// The valid values set, as the generated client's types (the last one set wins).
    query: Query,
    /// The values that broke a rule, by their parameter's place in the table (unknown
    /// names after every parameter): the first is the error of the request.
    invalid: BTreeMap<usize, ValidationError>,
}

impl ListEndpoints {
    pub(crate) fn new(executor: Executor) -> Self {
        ListEndpoints {
            executor,
            query: Query::default(),
            invalid: BTreeMap::new(),
        }
    }

    /// Keeps the converted value of the parameter at `index` of the table in its `field`,
    /// or the rule it broke.
    fn put<T>(
        mut self,
        index: usize,
        converted: std::result::Result<T, ValidationError>,
        field: impl FnOnce(&mut Query) -> &mut Option<T>,
    ) -> Self {
        let kept = converted.map(|value| *field(&mut self.query) = Some(value));
        self.record(index, kept);
        self
    }

    /// Records whether the value last set for the parameter at `index` broke a rule.
    fn record(&mut self, index: usize, checked: std::result::Result<(), ValidationError>) {
        match checked {
            Ok(()) => self.invalid.remove(&index),
            Err(e) => self.invalid.insert(index, e),
        };
    }

    /// Sets the parameter `name` (its wire name, e.g. `vpc_id`) from its text as sent on
    /// the wire (`limit` as `"50"`): for callers that hold parameters by name, as the
    /// `vpcep` CLI does with its flags. Checked like every setter; a name that is not a
    /// path or query parameter of ListEndpoints is an error when the request is sent.
    pub fn parameter(mut self, name: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        let index = contract::LIST_ENDPOINTS
            .iter()
            .position(|p| p.name == name && p.is_request_parameter());
        let (index, checked) = match index {
            Some(index) => (index, self.query.set(name, &value).map(|_| ())),
            None => (
                contract::LIST_ENDPOINTS.len(),
                Err(ValidationError::new(
                    name,
                    "is not a path or query parameter of ListEndpoints",
                    &value,
                )),
            ),
        };
        self.record(index, checked);
        self
    }

    /// Whether `limit` was set (valid or not).
    fn limit_set(&self) -> bool {
        self.query.limit.is_some() || self.invalid.contains_key(&table("limit").0)
    }

    /// Checks every parameter, in the spec's order, and returns the query to send. A
    /// missing project ID is the client's, or left unset when the credentials can find it.
    pub(crate) fn validated(&self) -> Result<Query> {
        if let Some(e) = self.invalid.values().next() {
            return Err(e.clone().into());
        }
        let mut query = self.query.clone();
        if query.project_id.is_none() {
            if let Some(default) = self.executor.default_project_id() {
                query.set("project_id", default)?;
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
    /// `total_count`, in pages of 1000 (the spec's largest `limit`) unless `limit` is set:
    /// complete (every endpoint that existed for the whole walk, exactly once) or an
    /// error, with a receipt. See [`ListAll`].
    pub fn list_all(self) -> ListAll {
        let request = if self.limit_set() {
            self
        } else {
            self.limit(LIST_ALL_PAGE_SIZE)
        };
        let page_size = request.query.limit.map(|l| i64::from(l.get()));
        ListAll::new(page_size, move |stats: Arc<CallStats>| {
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

/// The place in the table and the rules of the parameter `name`.
fn table(name: &str) -> (usize, &'static Parameter) {
    let index = contract::LIST_ENDPOINTS
        .iter()
        .position(|p| p.name == name)
        .unwrap_or_else(|| panic!("the spec has no ListEndpoints parameter `{name}`"));
    (index, &contract::LIST_ENDPOINTS[index])
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::generated::types::{SortDir, SortKey};

    fn request() -> ListEndpoints {
        crate::Client::builder()
            .base_url("http://127.0.0.1:9")
            .project_id("p")
            .token("t")
            .build()
            .unwrap()
            .list_endpoints()
    }

    fn error(r: &ListEndpoints) -> String {
        r.validated().unwrap_err().to_string()
    }

    #[test]
    fn values_are_kept_as_the_generated_types() {
        let q = request()
            .limit(50)
            .offset(7)
            .sort_key(SortKey::UpdateAt)
            .validated();
        let q = q.unwrap();
        assert_eq!(q.limit, NonZeroU32::new(50));
        assert_eq!(q.offset, Some(7));
        assert_eq!(q.sort_key, Some(SortKey::UpdateAt));
        assert_eq!(q.project_id.unwrap().to_string(), "p");
    }

    #[test]
    fn the_first_broken_rule_in_the_specs_order_is_reported() {
        // Set in the opposite order of the spec's (vpc_id comes before limit).
        let r = request().limit(0).vpc_id("");
        assert_eq!(
            error(&r),
            r#"invalid vpc_id: must be 1 to 64 characters long, is 0 (got "")"#
        );
        let r = r.vpc_id("v");
        assert_eq!(
            error(&r),
            r#"invalid limit: must be between 1 and 1000 (got "0")"#
        );
        // The last value set wins, valid or not.
        assert!(r.clone().limit(5).validated().is_ok());
        assert!(request().limit(5).limit(0).validated().is_err());
    }

    #[test]
    fn every_setter_keeps_what_its_parameter_by_name_keeps() {
        for p in contract::LIST_ENDPOINTS
            .iter()
            .filter(|p| p.is_request_parameter())
        {
            let value = p.example();
            let by_setter = request()
                .set_with_setter(p.name, &value)
                .unwrap_or_else(|| panic!("no setter for `{}`", p.name))
                .validated()
                .unwrap();
            let by_name = request().parameter(p.name, value.as_str()).validated();
            assert_eq!(by_setter, by_name.unwrap(), "{}", p.name);
            assert_eq!(
                by_setter.get(p.name).as_deref(),
                Some(value.as_str()),
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn integers_are_checked_without_text() {
        assert_eq!(
            error(&request().offset(i64::from(i32::MAX) + 1)),
            r#"invalid offset: must be at most 2147483647 (int32) (got "2147483648")"#
        );
        assert_eq!(
            error(&request().offset(-1)),
            r#"invalid offset: must be at least 0 (got "-1")"#
        );
    }

    #[test]
    fn a_parameter_set_by_name_is_the_setter_s() {
        let by_name = request()
            .parameter("limit", "50")
            .parameter("sort_dir", "asc")
            .parameter("vpc_id", "v");
        let by_setter = request().limit(50).sort_dir(SortDir::Asc).vpc_id("v");
        assert_eq!(by_name.validated().unwrap(), by_setter.validated().unwrap());
        assert_eq!(
            error(&request().parameter("limit", "0")),
            error(&request().limit(0))
        );
        assert_eq!(
            error(
                &request()
                    .parameter("sort_dir", "up")
                    .parameter("vpc_id", "")
            ),
            r#"invalid vpc_id: must be 1 to 64 characters long, is 0 (got "")"#
        );
        assert_eq!(
            error(&request().parameter("colour", "red").limit(0)),
            r#"invalid limit: must be between 1 and 1000 (got "0")"#
        );
        assert_eq!(
            error(&request().parameter("colour", "red")),
            r#"invalid colour: is not a path or query parameter of ListEndpoints (got "red")"#
        );
    }
}
