//! Retry policy for the host's HTTP client. Pure: decides, does no I/O.

use std::time::Duration;

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Use this result.
    Done,
    /// Try again after this delay.
    RetryAfter(Duration),
}

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in total (first one included).
    pub max_attempts: u32,
    /// First backoff; doubles each attempt.
    pub base_delay: Duration,
    /// Longest wait, also for `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Decides on a response status (`retry_after` is the header's value, if any).
    pub fn on_status(&self, attempt: u32, status: u16, retry_after: Option<&str>) -> Decision {
        let retriable =
            status == 429 || status == 408 || (500..=599).contains(&status) && status != 501;
        if !retriable || attempt + 1 >= self.max_attempts {
            return Decision::Done;
        }
        let hinted = retry_after
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Decision::RetryAfter(
            hinted
                .unwrap_or_else(|| self.backoff(attempt))
                .min(self.max_delay),
        )
    }

    /// Decides on a transport error (connect failure, timeout).
    pub fn on_transport_error(&self, attempt: u32) -> Decision {
        if attempt + 1 >= self.max_attempts {
            Decision::Done
        } else {
            Decision::RetryAfter(self.backoff(attempt))
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_retry_after_and_gives_up() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.on_status(0, 429, Some("2")),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            p.on_status(1, 503, None),
            Decision::RetryAfter(Duration::from_millis(400))
        );
        assert_eq!(p.on_status(4, 503, None), Decision::Done);
        assert_eq!(p.on_status(0, 404, None), Decision::Done);
        assert_eq!(p.on_status(0, 200, None), Decision::Done);
        assert_eq!(
            p.on_status(0, 429, Some("3600")),
            Decision::RetryAfter(Duration::from_secs(30))
        );
    }
}
