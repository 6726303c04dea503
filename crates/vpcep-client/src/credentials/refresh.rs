//! The cache in front of a provider: hands out current credentials and renews temporary
//! ones before they expire, one renewal at a time.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::CredentialsError;
use super::{format_time, Identity, ProvideCredentials, DEFAULT_REFRESH_MARGIN};

/// After a failed renewal while the credentials are still valid, wait this long before
/// asking again (requests meanwhile use the current credentials).
const RETRY_FAILED_REFRESH_AFTER: Duration = Duration::from_secs(10);

struct Inner {
    provider: Box<dyn ProvideCredentials>,
    current: Mutex<Option<Identity>>,
    last_failure: Mutex<Option<Instant>>,
    refreshing: tokio::sync::Mutex<()>,
    margin_ms: AtomicU64,
    fetches: AtomicU64,
}

/// Credentials from a provider, cached and renewed before signing when less than the
/// refresh margin remains. Cheap to clone: clones share the cache. `Debug` shows no secret.
#[derive(Clone)]
pub struct CredentialsProvider {
    inner: Arc<Inner>,
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.inner.current.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("CredentialsProvider")
            .field("provider", &self.inner.provider)
            .field("current", &*current)
            .finish()
    }
}

impl CredentialsProvider {
    /// Puts `provider` behind the cache, with the default 40-minute margin.
    pub fn new(provider: impl ProvideCredentials + 'static) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider: Box::new(provider),
                current: Mutex::new(None),
                last_failure: Mutex::new(None),
                refreshing: tokio::sync::Mutex::new(()),
                margin_ms: AtomicU64::new(DEFAULT_REFRESH_MARGIN.as_millis() as u64),
                fetches: AtomicU64::new(0),
            }),
        }
    }

    /// Renew temporary credentials when less than `margin` remains.
    pub fn with_refresh_margin(self, margin: Duration) -> Self {
        self.inner
            .margin_ms
            .store(margin.as_millis() as u64, Ordering::Relaxed);
        self
    }

    /// How many times the provider was asked (first fetch and renewals).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The credentials cached now, if any (no I/O).
    pub fn cached(&self) -> Option<Identity> {
        self.inner
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn margin(&self) -> Duration {
        Duration::from_millis(self.inner.margin_ms.load(Ordering::Relaxed))
    }

    /// Cached credentials that need no renewal.
    fn fresh(&self, now: SystemTime) -> Option<Identity> {
        let current = self.cached()?;
        match current.expires_at() {
            None => Some(current),
            Some(at)
                if at
                    .duration_since(now)
                    .is_ok_and(|left| left > self.margin()) =>
            {
                Some(current)
            }
            Some(_) => None,
        }
    }

    /// Current credentials: the cached ones, or fetched/renewed now. Concurrent callers
    /// share one fetch. Never returns expired credentials.
    pub async fn identity(&self) -> Result<Identity, CredentialsError> {
        if let Some(id) = self.fresh(SystemTime::now()) {
            return Ok(id);
        }
        let _one_at_a_time = self.inner.refreshing.lock().await;
        let now = SystemTime::now();
        if let Some(id) = self.fresh(now) {
            return Ok(id);
        }
        let old = self.cached().filter(|id| !id.is_expired_at(now));
        if let Some(old) = &old {
            let failed_recently = self
                .inner
                .last_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_some_and(|at| at.elapsed() < RETRY_FAILED_REFRESH_AFTER);
            if failed_recently {
                return Ok(old.clone());
            }
        }
        self.inner.fetches.fetch_add(1, Ordering::Relaxed);
        // Credentials that cannot be sent are refused here, whichever provider gave them:
        // no request leaves without the credentials it was meant to carry.
        let fetched = match self.inner.provider.provide().await {
            Ok(id) => super::check_keys(id.provider(), id.keys()).map(|()| id),
            Err(e) => Err(CredentialsError::Provider(e)),
        };
        match fetched {
            Ok(id) => {
                let now = SystemTime::now();
                if id.is_expired_at(now) {
                    return Err(CredentialsError::Expired {
                        provider: id.provider(),
                        expired_at: id.expires_at().map(format_time).unwrap_or_default(),
                        reason: "the provider handed out credentials that had already expired"
                            .to_owned(),
                    });
                }
                tracing::debug!(
                    provider = id.provider(),
                    ak_prefix = %id.access_key_prefix(),
                    expires_at = %id.expires_at().map(format_time).unwrap_or_else(|| "never".into()),
                    "credentials fetched"
                );
                *self.inner.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(id.clone());
                *self
                    .inner
                    .last_failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = None;
                Ok(id)
            }
            Err(e) => {
                *self
                    .inner
                    .last_failure
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                match (old, self.cached()) {
                    (Some(old), _) => {
                        tracing::warn!(
                            provider = old.provider(),
                            expires_at = %old.expires_at().map(format_time).unwrap_or_default(),
                            error = %e,
                            "could not renew the credentials; using the current ones until they expire"
                        );
                        Ok(old)
                    }
                    (None, Some(expired)) => Err(CredentialsError::Expired {
                        provider: expired.provider(),
                        expired_at: expired.expires_at().map(format_time).unwrap_or_default(),
                        reason: e.to_string(),
                    }),
                    (None, None) => Err(e),
                }
            }
        }
    }
}
