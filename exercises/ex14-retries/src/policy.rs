//! How often a write is tried and how long it waits between attempts.
//!
//! A [`Policy`] is three numbers: attempts in all, a base step and a cap.
//! The step before retry `n` is `base · 2^(n−1)`, at most `cap` (exponential
//! backoff: a database that is still busy gets more room each time). The
//! delay actually slept is *equal jitter*: half the step fixed, half random,
//! so it lies in `[step/2, step)`. The fixed half keeps the backoff a backoff
//! (the second retry waits at least as long as the first could have); the
//! random half spreads out writers that failed together, which would
//! otherwise meet again at the same instant (a thundering herd).
//!
//! Like the backoffs of `backon` and `tokio-retry`, the delays are an
//! iterator ([`Policy::backoff`]): the retry loop asks it for the next delay
//! and gives up when it has none left.

use std::time::Duration;

/// Attempts, base step and cap of a retried operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in all, the first one included (0 is taken as 1).
    pub attempts: u32,
    /// The step before the first retry; each retry after it doubles it.
    pub base: Duration,
    /// No step is longer than this.
    pub cap: Duration,
}

impl Policy {
    /// Lesson 14's writes: 3 attempts, 25 ms doubling, capped at 1 s. The
    /// delays are 12.5–25 ms before the second attempt and 25–50 ms before
    /// the third: a write that fails every time is answered within about
    /// 75 ms plus its three attempts.
    pub const WRITES: Self = Self {
        attempts: 3,
        base: Duration::from_millis(25),
        cap: Duration::from_secs(1),
    };

    /// The delay before retry `retry` (1 is the retry after the first
    /// attempt) for a random `unit` in `[0, 1)`: the step `base · 2^(retry−1)`
    /// capped at `cap`, half of it fixed and half of it times `unit`.
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        // starter: the step `base · 2^(retry − 1)`, at most `cap` (saturating: a large `retry`
        // must not overflow); then equal jitter: half the step, plus the other half times
        // `unit` (clamped to 0..=1).
        let doubling = 2_u32.checked_pow(retry.saturating_sub(1));
        let step = doubling
            .map_or(self.cap, |factor| self.base.saturating_mul(factor))
            .min(self.cap);
        let half = step / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The delays between this policy's attempts (one fewer than the
    /// attempts), each with fresh randomness.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            policy: *self,
            retries: 0,
        }
    }
}

/// The delays of one retried operation, in order: the loop takes one before
/// each retry, and none is left once the last attempt has been made.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// Whose delays these are.
    policy: Policy,
    /// Delays handed out so far.
    retries: u32,
}

impl Iterator for Backoff {
    type Item = Duration;

    /// The delay before the next retry, or `None`: no attempt is left.
    fn next(&mut self) -> Option<Duration> {
        if self.retries.saturating_add(1) >= self.policy.attempts {
            return None;
        }
        self.retries += 1;
        Some(self.policy.delay(self.retries, fastrand::f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_step_doubles_up_to_the_cap() {
        let policy = Policy {
            attempts: 10,
            base: 10 * MS,
            cap: 70 * MS,
        };
        // unit 1.0 is the whole step.
        let steps: Vec<_> = (1..=5).map(|retry| policy.delay(retry, 1.0)).collect();
        assert_eq!(steps, [10 * MS, 20 * MS, 40 * MS, 70 * MS, 70 * MS]);
        assert_eq!(policy.delay(u32::MAX, 1.0), 70 * MS, "no overflow");
        assert_eq!(policy.delay(0, 1.0), 10 * MS, "retry 0 is taken as 1");
    }

    #[test]
    fn equal_jitter_keeps_half_the_step() {
        let policy = Policy::WRITES;
        assert_eq!(policy.delay(1, 0.0), Duration::from_micros(12_500));
        assert_eq!(policy.delay(1, 0.5), Duration::from_micros(18_750));
        assert_eq!(policy.delay(2, 0.0), 25 * MS);
        assert_eq!(policy.delay(2, 1.0), 50 * MS);
        // Out of range units are clamped, never a panic or a negative delay.
        assert_eq!(policy.delay(1, -3.0), policy.delay(1, 0.0));
        assert_eq!(policy.delay(1, 7.0), policy.delay(1, 1.0));
    }

    /// Drawn many times: every first delay in 12.5..25 ms, every second in
    /// 25..50 ms (so never shorter than any first), and they vary.
    #[test]
    fn the_writes_backoff_stays_in_its_ranges() {
        let mut firsts = Vec::new();
        let mut seconds = Vec::new();
        for _ in 0..2_000 {
            let delays: Vec<_> = Policy::WRITES.backoff().collect();
            let [first, second] = delays[..] else {
                panic!("3 attempts have 2 delays between them, got {delays:?}");
            };
            assert!(
                (Duration::from_micros(12_500)..25 * MS).contains(&first),
                "{first:?}"
            );
            assert!((25 * MS..50 * MS).contains(&second), "{second:?}");
            firsts.push(first);
            seconds.push(second);
        }
        for delays in [&mut firsts, &mut seconds] {
            delays.sort_unstable();
            delays.dedup();
            assert!(delays.len() > 1_000, "hardly random: {}", delays.len());
        }
        let mean = |delays: &[Duration]| delays.iter().sum::<Duration>() / delays.len() as u32;
        assert!(mean(&firsts) > 17 * MS && mean(&firsts) < 21 * MS);
        assert!(mean(&seconds) > 35 * MS && mean(&seconds) < 40 * MS);
    }

    #[test]
    fn one_delay_fewer_than_attempts() {
        for (attempts, delays) in [(0, 0), (1, 0), (2, 1), (3, 2), (5, 4)] {
            let policy = Policy {
                attempts,
                ..Policy::WRITES
            };
            assert_eq!(policy.backoff().count(), delays, "{attempts} attempts");
        }
    }
}
