//! Step-level scenarios of the cable and the contactor (SPEC §3.5, §4.2, §4.1): CAB-1 (a cable left
//! behind, the lock), CAB-2 (cable capacity per PP band, cable faults, attached cables), CAB-3
//! (domestic sockets) and CT-1 (a welded contactor, by feedback and by current). The golden table
//! of the PP bands lives in `core/src/cp.rs`; here everything goes through the step, on the rig of
//! `common/pilot_rig.rs`, which checks the signal and contactor invariants in every step, so each
//! scenario is also an invariant run.

mod common;

use common::pilot_rig::{A_MV, B_MV, C_MV, Meas, P32, Rig, big, one, two};
use loadpilot_core::cp::CableStatus;
use loadpilot_core::{
    AllocReason, LastError, NodeConfig, OutletStatus, Phase, PilotOutput, PointConfig, PointFlags,
    ProductFamily, RawConfig, SetPoint, SocketType, StationErrors, VehicleState,
};

// ---------------------------------------------------------------------------------------------
// CAB-1, CAB-2, CAB-3: cables and domestic sockets
// ---------------------------------------------------------------------------------------------

/// Proves CAB-1: when the EV leaves and the cable stays, `KO_PlugStillDetected` is raised at
/// once and the lock is released; with "allow cable left connected" the session ends quietly.
#[test]
fn cab1_cable_left_notifies_and_releases_the_lock() {
    for allow in [false, true] {
        let mut raw = one(P32);
        raw.session.allow_cable_left = allow;
        let mut r = Rig::new(raw);
        r.charge(0);
        r.after(500);
        assert!(r.po(0).lock, "locked while charging");
        r.level(0, A_MV);
        let t = r.now;
        let t_a = r.until(t + 500, |r| r.state(0) == VehicleState::A);
        r.at(t_a + 50);
        let po = r.po(0);
        assert!(
            !po.lock,
            "allow {allow}: lock held after the EV left: {po:?}"
        );
        let want = if allow {
            LastError::None
        } else {
            LastError::PlugStillDetected
        };
        assert_eq!(po.last_error, want, "allow {allow}");
        if allow {
            assert_eq!(po.status, OutletStatus::InitDone);
        }
    }
}

/// Proves CAB-1 and CT-1: while a welded contactor holds, the cable stays locked after the EV
/// left.
#[test]
fn cab1_ct1_lock_held_while_welded() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    // The auxiliary contact follows the contactor, then sticks closed.
    r.pi(0, |pi| pi.contactor_feedback = Some(true));
    r.after(500);
    r.level(0, A_MV).pp(0, None);
    let t = r.now;
    r.until(t + 500, |r| r.po(0).flags.contains(PointFlags::WELDED));
    r.after(3_000);
    assert!(r.po(0).lock, "{:?}", r.po(0));
    assert!(r.po(0).flags.contains(PointFlags::WELDED));
}

/// Proves CAB-2: the cable's capacity per PP band is a ceiling term (reason Cable), 63 A on a
/// three-phase point and 70 A on a single-phase one.
#[test]
fn cab2_capacity_per_band() {
    let cases = [
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            1_500,
            13_000,
            "13 A",
        ),
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            680,
            20_000,
            "20 A",
        ),
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            220,
            32_000,
            "32 A",
        ),
        (
            PointConfig::single_phase(0, 80_000, Phase::L1),
            100,
            70_000,
            "63 A_OR_70 A",
        ),
        (
            PointConfig::three_phase(0, 80_000),
            100,
            63_000,
            "63 A_OR_70 A",
        ),
        (
            PointConfig::three_phase(0, 80_000),
            80,
            63_000,
            "63 A_OR_70 A",
        ),
        (PointConfig::three_phase(0, 80_000), 308, 32_000, "32 A"),
        (PointConfig::three_phase(0, 80_000), 936, 20_000, "20 A"),
    ];
    for (pc, ohm, cap, name) in cases {
        let mut r = Rig::new(big(pc));
        r.pp(0, Some(ohm)).level(0, C_MV).at(1_000);
        let po = r.po(0);
        assert_eq!(po.allocation_ma, cap, "{ohm} Ω: {po:?}");
        assert_eq!(po.reason, AllocReason::Cable, "{ohm} Ω");
        assert_eq!(po.cable.name(), name);
        assert!(po.contactor);
    }
}

/// Proves CAB-2: a resistance outside every band, or no cable while the pilot shows a vehicle,
/// is a cable fault: no charge starts (no PWM, contactor open), flag and station bit set. An
/// attached cable (T1) ignores PP and uses the rated current.
#[test]
fn cab2_fault_blocks_the_start_attached_cable_ignores_pp() {
    for ohm in [0, 79, 150, 350, 1_000, 3_000, 4_500, 10_000, u32::MAX] {
        let mut r = Rig::new(two(P32));
        r.pp(1, Some(ohm)).level(1, C_MV);
        for _ in 0..300 {
            r.step();
            assert!(
                !r.pwm(1) && !r.closed(1),
                "{ohm} Ω at {} ms: {:?}",
                r.now,
                r.po(1)
            );
        }
        // The point's fault flag says it too.
        assert!(
            r.po(1)
                .flags
                .contains(PointFlags::CABLE_FAULT | PointFlags::FAULT),
            "{ohm} Ω"
        );
        assert!(r.errors().contains(StationErrors::CABLE_FAULT_2), "{ohm} Ω");
        assert!(
            !r.errors().contains(StationErrors::CABLE_FAULT_1),
            "{ohm} Ω"
        );
    }
    let mut pc = P32;
    pc.socket = SocketType::T1;
    let mut r = Rig::new(one(pc));
    r.pp(0, Some(3_000)).level(0, C_MV).at(1_000);
    assert!(
        r.closed(0) && r.po(0).allocation_ma == 32_000,
        "{:?}",
        r.po(0)
    );
    assert_eq!(r.po(0).cable, CableStatus::NotPlugged);
}

/// A domestic (TE) point of 16 A on L1 and a 32 A Type 2 point under a station node whose
/// external set point the test moves.
fn domestic_pair() -> Rig<2, 1> {
    let mut te = PointConfig::single_phase(0, 16_000, Phase::L1);
    te.socket = SocketType::TE;
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [te, P32],
        [NodeConfig::station(None, 64_000)],
    );
    raw.timers.stagger_ms = 0;
    raw.timers.min_pause_ms = 0;
    raw.timers.min_run_ms = 0;
    raw.timers.rise_interval_ms = 1_000;
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    let mut r = Rig::new(raw);
    r.inp.nodes[0].setpoint = Some(SetPoint {
        current_ma: 64_000,
        received_ms: 0,
    });
    r
}

/// Proves CAB-3: a domestic socket has no pilot (+12 V), is switched on at its rated current
/// while a plug is in, and off when it leaves.
#[test]
fn cab3_domestic_socket_switched_on_at_rated() {
    let mut r = domestic_pair();
    r.at(500);
    assert!(!r.closed(0) && r.po(0).allocation_ma == 0);
    r.pi(0, |pi| pi.domestic = true);
    let t = r.now;
    r.until(t + 1_000, |r| r.closed(0));
    let po = r.po(0);
    assert_eq!(po.allocation_ma, 16_000);
    assert_eq!(po.pilot, PilotOutput::Steady12V);
    assert!(po.flags.contains(PointFlags::DOMESTIC_CABLE_DETECTED));
    r.pi(0, |pi| pi.domestic = false).step();
    assert!(!r.closed(0) && r.po(0).allocation_ma == 0);
}

/// Proves CAB-3 for a combined outlet (T2-TE): only its TE side is domestic. A plug in the TE
/// side switches it on at its rated current with no pilot; a Type 2 cable in the Type 2 side
/// charges under PWM as any Type 2 socket, with no domestic cable shown.
#[test]
fn cab3_a_t2_te_outlet_is_domestic_on_its_te_side_only() {
    let mut pc = PointConfig::single_phase(0, 16_000, Phase::L1);
    pc.socket = SocketType::T2TE;
    let mut te = Rig::new(one(pc));
    te.at(500).pi(0, |pi| pi.domestic = true);
    let t = te.now;
    te.until(t + 1_000, |r| r.closed(0));
    let po = te.po(0);
    assert_eq!(po.allocation_ma, 16_000);
    assert_eq!(po.pilot, PilotOutput::Steady12V);
    assert!(po.flags.contains(PointFlags::DOMESTIC_CABLE_DETECTED));
    let mut t2 = Rig::new(one(pc));
    t2.at(500).charge(0);
    let po = t2.po(0);
    assert_eq!(po.pilot, PilotOutput::Pwm, "{po:?}");
    assert_eq!(po.allocation_ma, 16_000);
    assert!(!po.flags.contains(PointFlags::DOMESTIC_CABLE_DETECTED));
}

/// Proves CAB-3: as the station's set point falls and rises, the domestic socket is shed
/// (0) or on at its rated current, never reduced in between.
#[test]
fn cab3_domestic_socket_shed_but_never_reduced() {
    let mut r = domestic_pair();
    r.pi(0, |pi| pi.domestic = true);
    r.charge(1);
    r.at(2_000);
    let (mut on, mut off) = (0, 0);
    let sweep = (0..=64).rev().chain(0..=64);
    for a in sweep {
        r.inp.nodes[0].setpoint = Some(SetPoint {
            current_ma: a * 1_000,
            received_ms: r.now,
        });
        for _ in 0..30 {
            r.step();
            let po = r.po(0);
            assert!(
                po.allocation_ma == 0 || po.allocation_ma == 16_000,
                "limit {a} A: domestic reduced: {po:?}"
            );
            assert_eq!(
                po.contactor,
                po.allocation_ma == 16_000,
                "limit {a} A: {po:?}"
            );
            // No pilot: "PWM on" stands for "switched on", and no duty is signalled.
            assert_eq!(
                po.flags.contains(PointFlags::PWM_ON),
                po.allocation_ma == 16_000,
                "limit {a} A: {po:?}"
            );
            assert!(
                po.signal_ma == 0 && po.duty_permille == 0 && po.pilot == PilotOutput::Steady12V,
                "limit {a} A: {po:?}"
            );
            if po.allocation_ma == 0 {
                off += 1;
            } else {
                on += 1;
            }
        }
    }
    assert!(on > 0 && off > 0, "on {on} steps, off {off} steps");
}

// ---------------------------------------------------------------------------------------------
// CT-1: welded contactor
// ---------------------------------------------------------------------------------------------

/// Proves CT-1 (feedback path): a contactor commanded open whose feedback still reads closed
/// after the release time is welded: State F, flag, station bit, lock held, no new session
/// until an explicit reset.
#[test]
fn ct1_su2_feedback_welded_state_f_lock_no_session_until_reset() {
    let mut r = Rig::new(one(P32));
    r.charge(0);
    // The auxiliary contact follows the contactor, then sticks closed.
    r.pi(0, |pi| pi.contactor_feedback = Some(true));
    r.after(500);
    r.level(0, B_MV);
    let t = r.now;
    let t_open = r.until(t + 200, |r| !r.closed(0));
    r.at(t_open + 10);
    assert!(
        !r.po(0).flags.contains(PointFlags::WELDED),
        "before the release time"
    );
    r.at(t_open + 20);
    let po = r.po(0);
    assert!(
        po.flags.contains(PointFlags::WELDED | PointFlags::FAULT),
        "{po:?}"
    );
    assert_eq!(po.pilot, PilotOutput::StateF);
    assert!(po.lock);
    assert!(r.errors().contains(StationErrors::WELDED_CONTACTOR));
    // The EV leaves, a new one comes: no session.
    r.level(0, A_MV).pp(0, None).at(t_open + 1_000);
    r.pp(0, Some(220)).level(0, C_MV);
    for _ in 0..300 {
        r.step();
        let po = r.po(0);
        assert!(
            !po.contactor && po.pilot == PilotOutput::StateF && po.lock,
            "{po:?}"
        );
        assert_ne!(po.status, OutletStatus::ChargeLoopStarted);
    }
    r.level(0, A_MV).pp(0, None);
    r.after(500);
    // Reset, with the feedback now open.
    r.pi(0, |pi| pi.contactor_feedback = Some(false));
    r.pulse(0, |pi, on| pi.reset = on);
    assert!(!r.po(0).flags.contains(PointFlags::WELDED));
    assert!(!r.errors().contains(StationErrors::WELDED_CONTACTOR));
    r.after(500);
    // A new session charges again.
    r.charge(0);
    assert!(!r.po(0).flags.contains(PointFlags::WELDED));
}

/// Proves CT-1 with PS-1's deadline: once the contactor is commanded open, its release time is a
/// deadline only while the feedback reads closed (a weld is declared there). With no feedback,
/// or feedback that reads open, nothing happens then, so `next_deadline_ms` does not ask for a
/// step at it (feedback that comes to read closed later is an input change: the caller steps
/// then, and that step sees the release time passed).
#[test]
fn ct1_ps1_the_release_time_is_a_deadline_only_while_the_feedback_reads_closed() {
    for feedback in [None, Some(false), Some(true)] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.pi(0, |pi| pi.contactor_feedback = feedback);
        r.after(500);
        r.level(0, B_MV);
        let t_open = r.until(r.now + 200, |r| !r.closed(0));
        let release = t_open + 20;
        // The step after the opening (the opening's own step asks for the next at once).
        r.step();
        let d = r.out().station.next_deadline_ms;
        if feedback == Some(true) {
            assert_eq!(d, release, "feedback closed: a step at the release time");
            r.at(release);
            assert!(r.po(0).flags.contains(PointFlags::WELDED));
        } else {
            assert!(
                d > release,
                "{feedback:?}: deadline {d}, release at {release}"
            );
            r.at(release);
            assert!(!r.po(0).flags.contains(PointFlags::WELDED));
            // The feedback comes to read closed later: the step of that change declares the
            // weld (the release time has passed).
            r.pi(0, |pi| pi.contactor_feedback = Some(true)).step();
            assert!(r.po(0).flags.contains(PointFlags::WELDED), "{feedback:?}");
        }
    }
}

/// Proves CT-1 (current path): more than 1 A through a contactor commanded open for 500 ms is
/// welded; 1 A is not.
#[test]
fn ct1_current_through_an_open_contactor() {
    for (ma, welded) in [(1_000, false), (1_001, true)] {
        let mut r = Rig::new(one(P32));
        r.charge(0);
        r.after(500);
        r.level(0, B_MV);
        let t = r.now;
        let t_open = r.until(t + 200, |r| !r.closed(0));
        r.ev[0].meas = Meas::Fixed([ma, 0, 0]);
        let t_first = r.next_t();
        r.at(t_first + 490);
        assert!(
            !r.po(0).flags.contains(PointFlags::WELDED),
            "{ma} mA at {} ms",
            r.now
        );
        r.at(t_first + 510);
        let po = r.po(0);
        assert_eq!(
            po.flags.contains(PointFlags::WELDED),
            welded,
            "{ma} mA: {po:?}"
        );
        if welded {
            assert_eq!(po.pilot, PilotOutput::StateF);
        }
        r.at(t_open + 3_000);
        assert_eq!(
            r.po(0).flags.contains(PointFlags::WELDED),
            welded,
            "{ma} mA"
        );
    }
}
