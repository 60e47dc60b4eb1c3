//! Configuration validation, the PS-1 timing budget: P × (1 + ⌈safer debounce / P⌉) + R ≤ 100 ms
//! (sample period P, contactor release time R), or the configuration is refused naming the safer
//! debounce and the time it needs; the defaults fit it at every sample period the SPEC allows.

mod common;

use common::config_checks::{accepted, base, refused};
use loadpilot_core::{Field, Reason};

/// Proves PS-1: P × (1 + ⌈safer debounce / P⌉) + R ≤ 100 ms, or the configuration is refused.
#[test]
fn ps1_timing_budget_refused() {
    let mut raw = base();
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_safer_ms = 60;
    raw.timers.contactor_release_ms = 30;
    // 40 × (1 + 2) + 30 = 150 ms.
    refused(
        raw,
        Field::Timer("debounce_safer_ms"),
        Reason::TimingBudget {
            needed: 150,
            allowed: 100,
        },
    );
    // At the edge: 10 × (1 + 6) + 30 = 100 ms is accepted, 31 ms of release time is not.
    let mut raw = base();
    raw.timers.sample_period_ms = 10;
    raw.timers.debounce_safer_ms = 60;
    raw.timers.contactor_release_ms = 30;
    accepted(raw.clone());
    raw.timers.contactor_release_ms = 31;
    refused(
        raw,
        Field::Timer("debounce_safer_ms"),
        Reason::TimingBudget {
            needed: 101,
            allowed: 100,
        },
    );
    // A debounce that is not a multiple of P rounds up: 40 × (1 + ⌈1/40⌉) + 21 = 101 ms.
    let mut raw = base();
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_safer_ms = 1;
    raw.timers.contactor_release_ms = 21;
    refused(
        raw,
        Field::Timer("debounce_safer_ms"),
        Reason::TimingBudget {
            needed: 101,
            allowed: 100,
        },
    );
}

/// Proves PS-1: the default debounce and release times fit the budget at every sample period
/// the SPEC allows (10–40 ms), so a slow loop needs no other change.
#[test]
fn ps1_defaults_fit_every_sample_period() {
    for period in 10..=40 {
        let mut raw = base();
        raw.timers.sample_period_ms = period;
        accepted(raw);
    }
}
