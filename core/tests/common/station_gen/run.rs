//! The runners of the properties: proptest with a failure-persistence file per property (the
//! seeds in `core/proptest-regressions/`), and the statistics of what the cases went through.

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};

use super::Scenario;
use super::build::build;
use super::sim::{Checks, Sim};

/// What the cases went through, so that a run shows it is not vacuous.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub steps: u64,
    /// Point-steps with a connected vehicle, by the LB-11 reason.
    pub reasons: [u64; 32],
    /// Point-steps with an allocation.
    pub charging: u64,
    /// Point-steps charging single-phase on a three-phase point (LB-12 detection).
    pub detected_single: u64,
    /// Point-steps with a closed contactor and no PWM (graceful stop, PS-4).
    pub grace: u64,
    /// LB-4 cases that ended with ≥ 2 points charging, and with some point below its ceiling.
    pub shared: u64,
    pub bound: u64,
    /// Point-steps whose preparation, and whose outputs, came from the memo of the point's
    /// step (the comparison with fresh working memory in every step then checks it).
    pub memo_prep: u64,
    pub memo_fin: u64,
    /// Steps that repeated the last step's passes (the station's memo).
    pub memo_station: u64,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.steps += o.steps;
        for (a, b) in self.reasons.iter_mut().zip(o.reasons) {
            *a += b;
        }
        self.charging += o.charging;
        self.detected_single += o.detected_single;
        self.grace += o.grace;
        self.shared += o.shared;
        self.bound += o.bound;
        self.memo_prep += o.memo_prep;
        self.memo_fin += o.memo_fin;
        self.memo_station += o.memo_station;
    }
}

pub fn runner(cases: u32, file: &'static str) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })
}

pub fn run_property(
    name: &str,
    cases: u32,
    file: &'static str,
    strategy: impl Strategy<Value = Scenario>,
    case: impl Fn(&Scenario) -> Result<Stats, String>,
) {
    let cases = crate::common::proptest_cases(cases);
    let total = std::sync::Mutex::new(Stats::default());
    let ran = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let result = runner(cases, file).run(&strategy, |s| {
        let st = case(&s).map_err(TestCaseError::fail)?;
        total.lock().unwrap().add(&st);
        ran.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    let st = total.into_inner().unwrap();
    let r = |x: loadpilot_core::AllocReason| st.reasons[usize::from(x as u8)];
    use loadpilot_core::AllocReason as R;
    println!(
        "{name}: {} passing cases, {} steps, {:.1} s; point-steps charging {}, single-phase \
         detected {}, in grace {}; reasons: node limit {}, shed {}, transfer {}, rate limit {}, \
         idle {}, over-current {}, fallback {}, set point {}, min pause {}, input {}, command {}, \
         fault {}; LB-4 cases shared {} bound {}; from the memo: preparations {}, outputs {}, \
         steps repeated {}",
        ran.load(Ordering::Relaxed),
        st.steps,
        started.elapsed().as_secs_f64(),
        st.charging,
        st.detected_single,
        st.grace,
        r(R::NodeLimit),
        r(R::Shed),
        r(R::Transfer),
        r(R::RateLimit),
        r(R::EvIdle),
        r(R::EvOverCurrent),
        r(R::Fallback),
        r(R::SetPoint),
        r(R::MinimumPause),
        r(R::Input),
        r(R::Command),
        r(R::Fault),
        st.shared,
        st.bound,
        st.memo_prep,
        st.memo_fin,
        st.memo_station,
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// Runs the random part of a scenario; returns the steps run.
pub fn run_events(sim: &mut Sim, s: &Scenario) -> Result<(), String> {
    for e in &s.events {
        sim.event(e)?;
    }
    Ok(())
}

pub fn new_sim(s: &Scenario, checks: Checks) -> Sim {
    let mut sim = Sim::new(build(&s.config), &s.init, s.contacts, s.start_ms);
    sim.checks = checks;
    sim
}
