//! The wait after repeated failed logins on one workstation.
//!
//! A shared exam-room machine is where a password gets guessed, so after
//! [`FREE_ATTEMPTS`] failures in a row every further attempt waits, and the wait doubles
//! with each failure up to [`MAX_WAIT_MS`]. A success clears it. Time comes from the
//! caller's clock, so the waits are testable without sleeping.

/// Failures allowed before any wait.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first wait, after the fifth failure.
pub const FIRST_WAIT_MS: i64 = 15_000;
/// The longest wait.
pub const MAX_WAIT_MS: i64 = 15 * 60_000;

#[derive(Debug, Default, Clone)]
pub struct Throttle {
    failures: u32,
    last_failure_ms: i64,
}

impl Throttle {
    /// Milliseconds still to wait before the next attempt, or `None` when one may be made.
    pub fn wait_ms(&self, now_ms: i64) -> Option<i64> {
        if self.failures < FREE_ATTEMPTS {
            return None;
        }
        let doublings = (self.failures - FREE_ATTEMPTS).min(16);
        let wait = (FIRST_WAIT_MS << doublings).min(MAX_WAIT_MS);
        let left = self.last_failure_ms + wait - now_ms;
        (left > 0).then_some(left)
    }

    pub fn failed(&mut self, now_ms: i64) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure_ms = now_ms;
    }

    pub fn succeeded(&mut self) {
        *self = Throttle::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_then_the_wait_doubles_up_to_the_limit() {
        let mut t = Throttle::default();
        for i in 0..FREE_ATTEMPTS {
            assert_eq!(t.wait_ms(i as i64), None, "attempt {i} waits");
            t.failed(i as i64);
        }
        let at = FREE_ATTEMPTS as i64 - 1;
        assert_eq!(t.wait_ms(at), Some(FIRST_WAIT_MS));
        assert_eq!(t.wait_ms(at + FIRST_WAIT_MS), None);
        t.failed(at + FIRST_WAIT_MS);
        assert_eq!(t.wait_ms(at + FIRST_WAIT_MS), Some(2 * FIRST_WAIT_MS));
        for _ in 0..30 {
            t.failed(0);
        }
        assert_eq!(t.wait_ms(0), Some(MAX_WAIT_MS));
        t.succeeded();
        assert_eq!(t.wait_ms(0), None);
    }
}
