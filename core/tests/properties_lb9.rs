//! The LB-9 property (SPEC §3): in every step of random sequences over random valid
//! configurations, a point rises (or starts) only by what is free under the count, sum of
//! max(allocation, measured current), on every node and phase above it (STYLE.md "Tests":
//! invariants as properties, valid configurations by construction).
//!
//! The random stations, the simulated site and the checks (LB-9 in `check_lb9`, the count computed
//! from the brief, not taken from core) are in `common/station_gen.rs` and its modules; the other
//! every-step rules are checked on the way (`properties.rs`).
//!
//! Failing seeds are kept in `core/proptest-regressions/properties-lb9.txt`.

mod common;

use common::station_gen::run::{new_sim, run_events, run_property};
use common::station_gen::scenario;
use common::station_gen::sim::Checks;

/// Proves LB-9 in every step: a point rises (or starts) only by what is free under the count
/// sum of max(allocation, measured current) on every node and phase above it, with EVs that
/// follow late or never and measurements that come and go.
#[test]
fn lb9_rises_only_by_what_is_free_under_the_count() {
    run_property(
        "lb9_rises_only_by_what_is_free_under_the_count",
        192,
        "proptest-regressions/properties-lb9.txt",
        scenario(200..=400),
        |s| {
            let mut sim = new_sim(s, Checks { lb9: true });
            run_events(&mut sim, s)?;
            Ok(sim.stats)
        },
    );
}
