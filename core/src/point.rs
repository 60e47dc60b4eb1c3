//! Per point, each step: the session-level state that the inputs move (vehicle, faults,
//! metering, over-current, idle, phase detection), and the ceiling, minimum and demand the
//! energy controller works with (LB-2, LB-3, LB-9, LB-10, LB-12, IN-*, EX-*, LOC-1).

use crate::config::{General, Location, PointConfig, min_for, phase_mask, static_ceiling};
use crate::io::{NO_NODE, PointInputs};
use crate::state::{NO_CAND, PointState, Run, StationState, THREE, bits};
use crate::step::{Conditions, fresh};
use crate::types::{AllocReason, PhaseCount, VehicleState};

/// Updates one point's session-level state and computes its ceiling, minimum and whether it
/// wants current this step.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare_point(
    g: &General,
    st: &StationState,
    cond: &Conditions,
    pc: &PointConfig,
    p: &mut PointState,
    pi: &PointInputs,
    now_ms: u64,
    energy_dt: u64,
) -> bool {
    let th = &g.thresholds;
    let t = &g.timers;
    let now = st.stamp(now_ms);
    let vehicle = pi.vehicle;
    let mut lost = false;
    p.w.immediate = false;
    p.w.node = NO_NODE;

    if vehicle == VehicleState::A && (p.vehicle != VehicleState::A || p.run != Run::Idle) {
        // The vehicle left: the session ends, latched EV faults clear (SU-2).
        p.energy = crate::meter::Energy::default();
        p.put(
            bits::STOPPED
                | bits::SHED
                | bits::PILOT_FAULT
                | bits::OVERCURRENT
                | bits::HARD_FAULT
                | bits::IDLE
                | bits::BELOW_IDLE
                | bits::OVER,
            false,
        );
        p.phase_mode = THREE;
        p.phase_cand = NO_CAND;
    }
    if vehicle.is_fault() {
        p.put(bits::PILOT_FAULT, true);
    }
    p.vehicle = vehicle;

    // Measured current per supply phase (wiring), and metering (MT-1).
    p.w.has_meas = pi.measured_ma.is_some();
    p.w.measured = [0; 3];
    let meas = pi.measured_ma.unwrap_or([0; 3]);
    for (k, m) in meas.iter().enumerate() {
        if let Some(sup) = pc.wiring.get(k)
            && let Some(slot) = p.w.measured.get_mut(sup.index())
        {
            *slot = *m;
        }
    }
    if pi.measured_ma.is_some() {
        p.energy.add(g.voltage_mv, &meas, energy_dt);
    }
    let drawn = meas.iter().copied().max().unwrap_or(0);

    // The highest offer within the response time (PS-4), expired.
    if p.offer_ma >= p.offer_high_ma || st.passed(now_ms, p.offer_high_at, t.ev_response_ms) {
        p.offer_high_ma = p.offer_ma;
        p.offer_high_at = now;
    }
    // PS-4: far above the signalled value is an immediate stop. Not during a graceful stop:
    // there the grace time (PS-5) bounds the draw and opens the contactor.
    if !p.has(bits::GRACEFUL) && drawn > p.offer_high_ma.saturating_add(th.overcurrent_hard_ma) {
        p.put(bits::HARD_FAULT, true);
    }
    // LB-9: above signal + tolerance once the response time has run out: graceful stop.
    if p.offer_ma > 0 && drawn > p.offer_ma.saturating_add(th.overcurrent_tolerance_ma) {
        if !p.has(bits::OVER) {
            p.put(bits::OVER, true);
            p.over_since = now;
        } else if st.passed(now_ms, p.over_since, t.ev_response_ms) {
            p.put(bits::OVERCURRENT, true);
        }
    } else {
        p.put(bits::OVER, false);
    }

    phase_detection(g, st, pc, p, &meas, pi.measured_ma.is_some(), now_ms);

    // LB-10: idle EV.
    if p.run == Run::Running && pi.measured_ma.is_some() && drawn < th.idle_threshold_ma {
        if !p.has(bits::BELOW_IDLE) {
            p.put(bits::BELOW_IDLE, true);
            p.idle_since = now;
        } else if st.passed(now_ms, p.idle_since, t.idle_ms) {
            p.put(bits::IDLE, true);
        }
    } else if p.run != Run::Running || pi.measured_ma.is_none() || drawn >= th.idle_threshold_ma {
        p.put(bits::BELOW_IDLE | bits::IDLE, false);
    }

    // Blocks, in order of precedence: (reason, immediate stop).
    let block = if cond.protection {
        Some((AllocReason::ProtectionDevice, true))
    } else if p.has(bits::PILOT_FAULT | bits::HARD_FAULT) {
        Some((AllocReason::Fault, true))
    } else if !vehicle.connected() {
        Some((AllocReason::NoVehicle, true))
    } else if vehicle == VehicleState::D && g.location == Location::Indoor {
        Some((AllocReason::Ventilation, true))
    } else if p.has(bits::OVERCURRENT) {
        Some((AllocReason::EvOverCurrent, false))
    } else if !pi.authorised {
        Some((AllocReason::NotAuthorised, false))
    } else if !pi.commands.is_empty() {
        Some((AllocReason::Command, false))
    } else if cond.postponed {
        Some((AllocReason::Input, false))
    } else {
        None
    };

    // LB-2 ceiling, with the term that binds; LB-3 minimum.
    let single = pc.phases == PhaseCount::One || p.phase_mode != THREE;
    let count = if single {
        PhaseCount::One
    } else {
        PhaseCount::Three
    };
    p.w.min = min_for(th, count);
    p.w.mask = if pc.phases == PhaseCount::One {
        phase_mask(pc)
    } else if p.phase_mode == THREE {
        0b111
    } else {
        pc.wiring
            .get(usize::from(p.phase_mode))
            .map_or(0b111, |ph| ph.bit())
    };
    let mut ceil = pc.rated_ma;
    let mut why = AllocReason::Rated;
    let mut lower = |v: u32, r: AllocReason| {
        if v < ceil {
            ceil = v;
            why = r;
        }
    };
    lower(pc.derated_ma, AllocReason::Derated);
    if let Some(c) = pi.cable_ma {
        lower(c, AllocReason::Cable);
    }
    if let Some(e) = pi.ev_limit_ma {
        lower(e, AllocReason::Ev);
    }
    if cond.load_shedding {
        lower(g.inputs.load_shedding_ma, AllocReason::Input);
    }
    if cond.temporary_limit {
        lower(g.inputs.temporary_limit_ma, AllocReason::Input);
    }
    if g.external_control && pc.external {
        match fresh(pi.setpoint, now_ms, t.setpoint_validity_ms) {
            Some(sp) => lower(sp, AllocReason::SetPoint),
            None => {
                lost = true;
                let fs = pc.fail_safe_ma.unwrap_or_else(|| {
                    let c = static_ceiling(th, pc);
                    crate::config::start_threshold(th, min_for(th, pc.phases), c)
                });
                lower(fs, AllocReason::Fallback);
            }
        }
    }
    if ceil < p.w.min {
        ceil = 0;
    } else if p.has(bits::IDLE) {
        ceil = p.w.min;
        why = AllocReason::EvIdle;
    }
    p.w.ceil = ceil;
    p.w.ceil_reason = why;
    p.w.vip = pi.vip;
    match block {
        Some((r, immediate)) => {
            p.w.wants = false;
            p.w.immediate = immediate;
            p.w.reason = r;
        }
        None => {
            p.w.wants = ceil > 0;
            p.w.reason = why;
        }
    }
    lost
}

/// LB-12: a three-phase point counts as single-phase once only one phase has drawn for the
/// detection time, and reverts in the step in which another phase draws.
fn phase_detection(
    g: &General,
    st: &StationState,
    pc: &PointConfig,
    p: &mut PointState,
    meas: &[u32; 3],
    has_meas: bool,
    now_ms: u64,
) {
    if pc.phases == PhaseCount::One || !pc.phase_detection {
        p.phase_mode = THREE;
        p.phase_cand = NO_CAND;
        return;
    }
    let tol = g.thresholds.phase_tolerance_ma;
    let drawing: u8 = meas
        .iter()
        .enumerate()
        .filter(|(_, m)| **m > tol)
        .fold(0u8, |acc, (k, _)| acc | (1 << k));
    if p.phase_mode != THREE {
        // Revert at once when another phase draws, or when the measurement is gone.
        if !has_meas || drawing & !(1u8 << p.phase_mode) != 0 {
            p.phase_mode = THREE;
            p.phase_cand = NO_CAND;
        }
        return;
    }
    let single = match drawing {
        0b001 => Some(0u8),
        0b010 => Some(1),
        0b100 => Some(2),
        _ => None,
    };
    match single {
        Some(k) if has_meas && p.run == Run::Running => {
            if p.phase_cand != k {
                p.phase_cand = k;
                p.phase_since = st.stamp(now_ms);
            } else if st.passed(now_ms, p.phase_since, g.timers.phase_detection_ms) {
                p.phase_mode = k;
                p.phase_cand = NO_CAND;
            }
        }
        _ => p.phase_cand = NO_CAND,
    }
}
