//! What the fake answers where: VPCEP's one route, `GET /v1/{project_id}/vpc-endpoints`,
//! with its 404 and 405 answers, behind the fault layer and compression; the platform's
//! routes (`platform.rs`) beside it, behind a script's faults only.
//!
//! Order of checks on VPCEP's route: route (404/405) → authentication (401) → parameters
//! (400) → page. Faults and latency come before all of these (`fault_layer.rs`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use http::StatusCode;

use crate::fault_layer::{self, RequestId};
use crate::platform::{self, PlatformRoutes};
use crate::query::{bad_request_code, path_parameters, validate};
use crate::responses::{self, error_response, page_response};
use crate::state::FakeState;

/// VPCEP's route: the spec's path (axum's syntax is the spec's).
const LIST_ENDPOINTS: &str = vpcep_client::contract::LIST_ENDPOINTS_PATH;

/// The fake's router (routing, auth, validation, faults), usable on its own with any
/// server; connection-level faults (`Drop`, `Truncate`) are best effort then.
pub(crate) fn router(state: Arc<FakeState>) -> Router {
    // Faults are applied outside the compression layer: a fault's response goes out as
    // the fault says (a `Respond` body with its own `Content-Encoding` untouched), while
    // `Truncate` cuts what compression made of the normal answer.
    let vpcep = Router::new()
        .route(
            LIST_ENDPOINTS,
            get(list_endpoints).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .layer(crate::link::compression(state.compression))
        .layer(from_fn_with_state(state.clone(), fault_layer::vpcep_front))
        .with_state(state.clone());
    let platform = platform::routes(PlatformRoutes {
        platform: state.platform.clone(),
        auth: state.auth.clone(),
        stopping: state.stopping.subscribe(),
    })
    .layer(from_fn_with_state(state, fault_layer::platform_front));
    vpcep.merge(platform)
}

fn request_id(req: &Request) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Any path but the route: the gateway's 404.
async fn not_found(req: Request) -> Response {
    let message = format!(
        "The API does not exist or has not been published in the environment: {} {}",
        req.method(),
        req.uri().path()
    );
    error_response(
        StatusCode::NOT_FOUND,
        "APIGW.0101",
        &message,
        Some(&request_id(&req)),
    )
}

/// The route with a method other than GET and HEAD.
async fn method_not_allowed(req: Request) -> Response {
    responses::method_not_allowed(req.method(), LIST_ENDPOINTS, "GET, HEAD")
}

/// `GET /v1/{project_id}/vpc-endpoints`: authentication, parameters, the page.
async fn list_endpoints(State(state): State<Arc<FakeState>>, req: Request) -> Response {
    let request_id = request_id(&req);
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if let Err(reason) = state.auth.check(&parts, &body) {
        let message = format!("Incorrect IAM authentication information: {reason}");
        return error_response(
            StatusCode::UNAUTHORIZED,
            "APIGW.0301",
            &message,
            Some(&request_id),
        );
    }
    // The route matched, so the path has the template's shape.
    let path = path_parameters(LIST_ENDPOINTS, parts.uri.path()).unwrap_or_default();
    let query = match validate(&path, parts.uri.query(), &parts.headers) {
        Ok(q) => q,
        Err(rejected) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                bad_request_code(rejected.parameter),
                &rejected.message,
                None,
            )
        }
    };
    let store = state.store_for_page();
    let (total, page) = state.select(&store, &query);
    page_response(store.render(total, &page, state.quirks.load(Ordering::Relaxed)))
}
