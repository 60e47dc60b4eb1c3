//! The station's memo against fresh working memory (SPEC §1, TREE-1, LB-4): in random sequences
//! over random valid configurations whose stations stand still for runs of steps, every step with
//! the working memory of the last step equals the same step on fresh working memory, and the
//! every-step rules (LB-1, LB-2, LB-3, PS-3, PS-4, LB-9) hold (STYLE.md "Tests": invariants as
//! properties, valid configurations by construction).
//!
//! The random stations, the simulated site (which steps a copy on fresh working memory beside the
//! original) and the checks of every step are in `common/station_gen.rs` and its modules.
//!
//! Failing seeds are kept in `core/proptest-regressions/properties-quiet.txt`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::station_gen::run::{new_sim, run_events, run_property};
use common::station_gen::sim::Checks;
use common::station_gen::{Dt, Event, Model, Scenario, scenario};
use loadpilot_core::VehicleState;
use proptest::prelude::*;

/// Scenarios that stand still between their events: no external control, EVs that follow at
/// once and no faulted pilots, and after each event a run of steps one sample period apart with
/// the same inputs (0 to 40 of them), so that whole stations settle and the step's memo of the
/// station's passes (`StationWork`) is used, then ended by the next event.
fn quiet_scenario() -> impl Strategy<Value = Scenario> {
    (scenario(40..=80), prop::collection::vec(0usize..=40, 80)).prop_map(|(mut s, runs)| {
        s.config.general.external_control = false;
        for p in &mut s.init {
            p.model = Model::Follow;
            if !matches!(
                p.vehicle,
                VehicleState::A | VehicleState::B | VehicleState::C
            ) {
                p.vehicle = VehicleState::C;
            }
        }
        let period = s.config.general.timers.sample_period_ms;
        let mut events = Vec::new();
        for (e, run) in s.events.iter().zip(runs.iter().cycle()) {
            events.push(e.clone());
            for _ in 0..*run {
                events.push(Event {
                    dt: Dt::Tick(period),
                    actions: Vec::new(),
                });
            }
        }
        s.events = events;
        s
    })
}

/// Proves that the station's memo changes nothing: in scenarios whose stations stand still for
/// runs of steps (`quiet_scenario`), every step with the working memory of the last step equals
/// the same step on fresh working memory (outputs, deadline, errors and state; `Sim::run_step`),
/// and the every-step rules (LB-1, LB-2, LB-3, PS-3, PS-4) hold; the steps that repeated the
/// last step's passes are counted (TREE-1, LB-4, LB-6, LB-9, LB-13 decide them).
#[test]
fn tree1_lb4_repeated_steps_equal_fresh_steps() {
    let repeated = AtomicU64::new(0);
    run_property(
        "tree1_lb4_repeated_steps_equal_fresh_steps",
        192,
        "proptest-regressions/properties-quiet.txt",
        quiet_scenario(),
        |s| {
            let mut sim = new_sim(s, Checks { lb9: true });
            run_events(&mut sim, s)?;
            repeated.fetch_add(sim.stats.memo_station, Ordering::Relaxed);
            Ok(sim.stats)
        },
    );
    // Without repeated steps this would prove nothing of them.
    assert!(
        repeated.load(Ordering::Relaxed) > 1_000,
        "only {} steps repeated",
        repeated.load(Ordering::Relaxed)
    );
}
