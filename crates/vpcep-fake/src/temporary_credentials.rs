//! The temporary AK/SK the metadata service hands out (`platform.rs`), and what
//! authentication (`auth.rs`) checks of a request signed with one: its SK, its
//! `X-Security-Token`, its expiry. Shared by both, so neither depends on the other.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

struct Issued {
    sk: SecretString,
    token: SecretString,
    expires_at: SystemTime,
}

#[derive(Default)]
struct Keys {
    current: Option<String>,
    issued: HashMap<String, Issued>,
}

/// A handed-out credential, as the metadata service shows it.
pub(crate) struct Credential {
    pub(crate) access: String,
    pub(crate) secret: String,
    pub(crate) security_token: String,
    pub(crate) expires_at: SystemTime,
}

/// Every temporary credential handed out so far (expired ones too, so that their
/// requests are refused as expired rather than unknown).
#[derive(Default)]
pub(crate) struct TemporaryCredentials {
    keys: Mutex<Keys>,
    counter: AtomicU64,
}

impl TemporaryCredentials {
    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current credential, or a new one of `lifetime` when there is none or less than
    /// half of `lifetime` is left of it.
    pub(crate) fn current_or_new(&self, lifetime: Duration) -> Credential {
        let now = SystemTime::now();
        // A lifetime beyond what the clock (and the metadata format) holds ends at the
        // end of time.
        let lifetime = far_future()
            .duration_since(now)
            .map_or(lifetime, |most| lifetime.min(most));
        let mut keys = self.lock();
        let keep = keys
            .current
            .as_ref()
            .and_then(|ak| keys.issued.get(ak))
            .is_some_and(|i| {
                i.expires_at
                    .duration_since(now)
                    .is_ok_and(|left| left > lifetime / 2)
            });
        if !keep {
            let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
            let ak = format!("TMPAK{n:015}");
            let issued = Issued {
                sk: SecretString::from(format!("tmp-sk-{n}-{:016x}", fastrand::u64(..))),
                token: SecretString::from(format!("tmp-token-{n}-{:032x}", fastrand::u128(..))),
                expires_at: now + lifetime,
            };
            keys.issued.insert(ak.clone(), issued);
            keys.current = Some(ak);
        }
        let ak = keys.current.clone().expect("set above");
        let issued = &keys.issued[&ak];
        Credential {
            secret: issued.sk.expose_secret().to_owned(),
            security_token: issued.token.expose_secret().to_owned(),
            expires_at: issued.expires_at,
            access: ak,
        }
    }

    /// The next [`TemporaryCredentials::current_or_new`] hands out a new credential.
    pub(crate) fn rotate(&self) {
        self.lock().current = None;
    }

    /// The access key handed out last, if any.
    pub(crate) fn current_access_key(&self) -> Option<String> {
        self.lock().current.clone()
    }

    /// Every secret key and security token handed out.
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.lock()
            .issued
            .values()
            .flat_map(|i| {
                [
                    i.sk.expose_secret().to_owned(),
                    i.token.expose_secret().to_owned(),
                ]
            })
            .collect()
    }

    /// The SK of an issued access key (expired or not), for signature checks.
    pub(crate) fn secret_of(&self, ak: &str) -> Option<SecretString> {
        self.lock().issued.get(ak).map(|i| i.sk.clone())
    }

    /// For a request verified as signed by `ak`: if `ak` is temporary, its security token
    /// must be sent and it must not have expired.
    pub(crate) fn check(&self, ak: &str, headers: &HeaderMap) -> Result<(), String> {
        let keys = self.lock();
        let Some(issued) = keys.issued.get(ak) else {
            return Ok(());
        };
        let sent = headers
            .get("x-security-token")
            .and_then(|v| v.to_str().ok());
        if sent != Some(issued.token.expose_secret()) {
            return Err("temporary credentials need their X-Security-Token".into());
        }
        if issued.expires_at <= SystemTime::now() {
            return Err("the security token has expired".into());
        }
        Ok(())
    }
}

/// 9999-12-31T23:59:59Z, the latest time the metadata service's format can write.
fn far_future() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lifetime_beyond_the_clock_expires_at_the_end_of_time() {
        let credentials = TemporaryCredentials::default();
        let credential = credentials.current_or_new(Duration::MAX);
        assert_eq!(credential.expires_at, far_future());
        // And is kept (more than half of "forever" is left).
        let again = credentials.current_or_new(Duration::MAX);
        assert_eq!(again.access, credential.access);
    }
}
