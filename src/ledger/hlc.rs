//! Hybrid logical clock: wall time in the high 48 bits, a counter in the low 16.
//!
//! It orders commits roughly by time for display. It never decides *whether* edits were
//! concurrent (that is `base`) nor which concurrent value is shown (that is the commit's
//! Lamport counter, see `project::outranks`): a workstation whose clock runs fast must not
//! win every conflict. It never goes backwards even if the wall clock does, and a peer's
//! commit dated more than a day ahead of the local clock is refused rather than adopted.

/// Packs milliseconds and a counter.
pub fn pack(ms: i64, counter: u16) -> u64 {
    ((ms.max(0) as u64) << 16) | counter as u64
}

/// The wall-clock milliseconds of an HLC value.
pub fn millis(hlc: u64) -> i64 {
    (hlc >> 16) as i64
}

/// The next local timestamp: strictly after everything seen, and at least the wall time.
pub fn next(last_seen: u64, now_ms: i64) -> u64 {
    let wall = pack(now_ms, 0);
    if wall > last_seen {
        wall
    } else {
        last_seen + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_when_the_wall_clock_goes_back() {
        let a = next(0, 1_000);
        let b = next(a, 500);
        assert!(b > a);
        assert_eq!(millis(b), 1_000);
    }

    #[test]
    fn follows_the_wall_clock_when_it_is_ahead() {
        let a = next(pack(1_000, 5), 2_000);
        assert_eq!(a, pack(2_000, 0));
    }
}
