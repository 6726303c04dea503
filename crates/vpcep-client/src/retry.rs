//! Retry and timeout settings.
//!
//! `ListEndpoints` is an idempotent GET, so retries are on by default: up to 3 attempts,
//! exponential backoff with full jitter, on 429, 502, 503, 504, connection failures,
//! truncated bodies and per-attempt timeouts. `Retry-After` is honoured. No other 4xx is
//! ever retried.

use std::time::Duration;

/// How failed attempts are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each retry (before jitter).
    pub initial_backoff: Duration,
    /// Longest backoff between two attempts (before jitter). `Retry-After` may ask for
    /// longer, up to `max_retry_after`.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a server asking for longer gets this.
    pub max_retry_after: Duration,
}

impl RetryConfig {
    /// The default: 3 attempts, 200 ms initial backoff, 5 s maximum, `Retry-After` up to
    /// 30 s.
    pub fn standard() -> Self {
        RetryConfig {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }

    /// No retries: one attempt.
    pub fn disabled() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Sets the number of attempts (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the initial backoff.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the maximum backoff.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The wait before attempt `attempt + 1`, after `attempt` attempts failed (1-based):
    /// the server's `Retry-After` if it gave one (capped), else full jitter over an
    /// exponentially growing window.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let exp = attempt.saturating_sub(1).min(20);
        let window = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        window.mul_f64(fastrand::f64())
    }
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

/// Whether a response status is worth another attempt.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses `Retry-After`: delay-seconds, or an HTTP date (relative to now).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let now = time::OffsetDateTime::now_utc();
    Some(Duration::try_from(when - now).unwrap_or(Duration::ZERO))
}

/// Timeouts. `None` means no limit of that kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutConfig {
    /// Establishing a connection (TCP + TLS).
    pub connect: Option<Duration>,
    /// One attempt: connect, send, and read the whole body.
    pub attempt: Option<Duration>,
    /// The whole operation, retries and backoff included.
    pub operation: Option<Duration>,
}

impl Default for TimeoutConfig {
    /// Connect 10 s, attempt 30 s, operation 120 s.
    fn default() -> Self {
        TimeoutConfig {
            connect: Some(Duration::from_secs(10)),
            attempt: Some(Duration::from_secs(30)),
            operation: Some(Duration::from_secs(120)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 405, 408, 409, 500, 501] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let cfg = RetryConfig::standard();
        for attempt in 1..10 {
            let window = cfg
                .initial_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(cfg.max_backoff);
            for _ in 0..50 {
                assert!(cfg.backoff(attempt, None) <= window);
            }
        }
        assert_eq!(
            cfg.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            cfg.backoff(1, Some(Duration::from_secs(3600))),
            cfg.max_retry_after
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn disabled_means_one_attempt() {
        assert_eq!(RetryConfig::disabled().max_attempts, 1);
        assert_eq!(RetryConfig::standard().with_max_attempts(0).max_attempts, 1);
    }
}
