//! Core behaviour found while building the C ABI (issue 5) that contradicts the SPEC; each test
//! is logged in /tmp/lp/bugs.md for the lead. Driven through core's Rust API so that the failure
//! is core's, not the ABI's.

use loadpilot_core::{
    Commands, Controller, CpReading, PilotOutput, PointFlags, PointInputs, StepInputs,
    two_point_station,
};

fn ev(high_mv: i32, pp_ohm: Option<u32>) -> PointInputs {
    PointInputs {
        cp: Some(CpReading {
            high_mv,
            low_mv: -12_000,
        }),
        pp_ohm,
        authorised: true,
        ..PointInputs::default()
    }
}

/// Proves PS-7: the wake-up is for an EV that *stays* in B after PWM returned. An EV that went
/// to C after the resume and, much later, back to B (battery full) gets no State F pulse.
#[test]
fn ps7_no_wake_up_for_an_ev_that_charged_after_the_resume() {
    let mut raw = two_point_station(40_000);
    raw.timers.stagger_ms = 0;
    raw.timers.min_pause_ms = 0;
    let mut ctl = Controller::<2, 1>::new(raw).unwrap();
    let mut inputs = StepInputs::<2, 1>::default();
    let mut t = 0;
    let mut run = |ctl: &mut Controller<2, 1>, inputs: &StepInputs<2, 1>, until: u64| {
        let mut wake = false;
        while t < until {
            let out = ctl.step(inputs, t);
            wake |= out.points[0].pilot == PilotOutput::StateF
                || out.points[0].flags.contains(PointFlags::WAKE_UP);
            t += 10;
        }
        wake
    };
    inputs.points[0] = ev(6_000, Some(220)); // plugged, charging (C)
    assert!(!run(&mut ctl, &inputs, 10_000));
    inputs.points[0].commands = Commands::SUSPEND; // a pause …
    assert!(!run(&mut ctl, &inputs, 20_000));
    inputs.points[0].commands = Commands::EMPTY; // … and a resume: PWM returns, EV in C at once
    assert!(!run(&mut ctl, &inputs, 60_000));
    assert_eq!(ctl.outputs().points[0].pilot, PilotOutput::Pwm);
    assert!(ctl.outputs().points[0].contactor);
    inputs.points[0] = ev(9_000, Some(220)); // battery full: back to B, 40 s after the resume
    assert!(
        !run(&mut ctl, &inputs, 70_000),
        "PS-7: State F wake-up for an EV that did not stay in B after PWM returned"
    );
}

/// Proves CAB-2: pulling the plug opens PP and brings the pilot to A in the same sample; that
/// is a normal unplug, not a cable fault ("not plugged while the pilot shows a vehicle" must not
/// fire while the pilot's A is only being debounced).
#[test]
fn cab2_a_normal_unplug_is_no_cable_fault() {
    use loadpilot_core::{AllocReason, StationErrors};
    let mut raw = two_point_station(40_000);
    raw.timers.stagger_ms = 0;
    let mut ctl = Controller::<2, 1>::new(raw).unwrap();
    let mut inputs = StepInputs::<2, 1>::default();
    let mut t = 0;
    while t <= 8_000 {
        inputs.points[0] = if (1_000..5_000).contains(&t) {
            ev(9_000, Some(220)) // plugged, EV in B with PWM
        } else {
            ev(12_000, Some(100_000)) // unplugged: PP open and +12 V together
        };
        let out = ctl.step(&inputs, t);
        let o = out.points[0];
        assert!(
            !o.flags.contains(PointFlags::CABLE_FAULT)
                && o.reason != AllocReason::Fault
                && !out.station.errors.contains(StationErrors::CABLE_FAULT_1),
            "t={t}: CAB-2 cable fault on a normal unplug: {o:?} {:?}",
            out.station.errors
        );
        t += 10;
    }
}
