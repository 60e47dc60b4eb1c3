//! The one step function: (configuration, state, inputs of this tick, `now_ms`) → outputs and
//! new state. Wires the clock (SU-3), function inputs (IN-1 … IN-5), external control (EX-1,
//! EX-2, LB-8), per-point ceilings (LB-2, LB-3, LB-10, LB-12), the LB-9 over-current checks, the
//! selection of `shed.rs`, the target of `balance.rs`, the safe transfer (LB-9) and rise interval
//! (PS-5), and the pilot and contactor outputs (PS-3, PS-4, LOC-1).
//!
//! Choices where the SPEC is silent:
//! - An EV over-current stop (LB-9) and a hard over-current (PS-4) latch until the vehicle leaves
//!   (state A), like the pilot faults of SU-2: an EV that does not follow the pilot is not
//!   offered current again in the same session.
//! - The minimum pause applies after every stop within a session (shed, input, command, set
//!   point below the minimum), not only after a shed: it protects the EV and the contactor from
//!   cycling whatever the cause. A new vehicle (after state A) starts without it.
//! - A start (0 → current) is not held by the rise interval; it sets it, so the next rise waits.
//! - Protection devices (IN-2) and latched pilot faults show State F; other stops show +12 V.
//! - The contactor closes only after the vehicle has been in C (or D outdoors) with PWM on for
//!   the debounce time towards C (SU-1, PS-4), in every case, not only at start-up.
//! - `next_deadline_ms` is at most one sample period ahead while a contactor is closed or a
//!   transfer waits, at most `max_gap_ms` ahead otherwise; call sooner when an input changes.

use crate::balance::{add_on_constraints, fill, for_each_ancestor, phases};
use crate::config::{
    ConfigView, General, Input1Function, Input2Function, Location, NodeConfig, PointConfig,
    default_node_fail_safe, is_beneath, min_for, phase_mask, static_ceiling,
};
use crate::io::{
    Inputs, NO_NODE, NodeInputs, PointInputs, PointOutput, SetPoint, StationOutput, StepError,
};
use crate::pilot::{decode_ma, duty_permille};
use crate::shed::{select, start_hold};
use crate::state::{NO_CAND, NodeState, PointState, Run, StationState, THREE, bits};
use crate::types::{
    AllocReason, Commands, PhaseCount, PilotOutput, PointFlags, StationErrors, VehicleState,
};

/// Core's state over caller-owned memory: one entry per configured point and node.
#[derive(Debug)]
pub struct State<'a> {
    /// Station state.
    pub station: &'a mut StationState,
    /// One per point.
    pub points: &'a mut [PointState],
    /// One per node.
    pub nodes: &'a mut [NodeState],
}

/// Where the step writes its outputs: caller-owned memory.
#[derive(Debug)]
pub struct Outputs<'a> {
    /// Station output.
    pub station: &'a mut StationOutput,
    /// One per point.
    pub points: &'a mut [PointOutput],
}

fn check_len(what: &'static str, len: usize, expected: usize) -> Result<(), StepError> {
    if len == expected {
        Ok(())
    } else {
        Err(StepError::Length {
            what,
            len,
            expected,
        })
    }
}

/// Station-wide conditions of this step, from the function inputs.
#[derive(Clone, Copy)]
struct Conditions {
    protection: bool,
    load_shedding: bool,
    postponed: bool,
    temporary_limit: bool,
}

impl Conditions {
    fn of(g: &General, inputs: &Inputs<'_>) -> Self {
        let in1 = g.inputs.in1_polarity.active(inputs.station.in1_closed);
        let in2 = g.inputs.in2_polarity.active(inputs.station.in2_closed);
        Conditions {
            protection: g.inputs.in1 == Input1Function::ProtectionDevices && in1,
            load_shedding: g.inputs.in1 == Input1Function::LoadShedding && in1,
            postponed: (g.inputs.in1 == Input1Function::DelayedStart && in1)
                || (g.inputs.in2 == Input2Function::ConditionalStart && !in2),
            temporary_limit: g.inputs.in2 == Input2Function::TemporaryLimitation && in2,
        }
    }
}

/// Whether an external set point is fresh at `now_ms` (LB-8): received no later than now and
/// within the validity time.
fn fresh(sp: Option<SetPoint>, now_ms: u64, validity_ms: u32) -> Option<u32> {
    let sp = sp?;
    if sp.received_ms > now_ms || now_ms.saturating_sub(sp.received_ms) > u64::from(validity_ms) {
        None
    } else {
        Some(sp.current_ma)
    }
}

/// Runs one step over slices. Refuses (changing nothing) when a slice does not have one entry
/// per configured point or node.
pub fn step(
    cfg: &ConfigView<'_>,
    state: State<'_>,
    inputs: &Inputs<'_>,
    now_ms: u64,
    out: Outputs<'_>,
) -> Result<(), StepError> {
    let (pcfg, ncfg) = (cfg.points, cfg.nodes);
    check_len("state.points", state.points.len(), pcfg.len())?;
    check_len("inputs.points", inputs.points.len(), pcfg.len())?;
    check_len("outputs.points", out.points.len(), pcfg.len())?;
    check_len("state.nodes", state.nodes.len(), ncfg.len())?;
    check_len("inputs.nodes", inputs.nodes.len(), ncfg.len())?;
    let g = &cfg.general;
    let st = state.station;
    let points = state.points;
    let nodes = state.nodes;

    // SU-3: a clock going backwards stops everything until it is back.
    if st.started && now_ms < st.max_now_ms {
        clock_fault(points, out.points);
        out.station.errors = StationErrors::CLOCK_FAULT;
        out.station.next_deadline_ms = st.max_now_ms;
        return Ok(());
    }
    let mut errors = StationErrors::EMPTY;
    let dt = if st.started {
        now_ms.saturating_sub(st.max_now_ms)
    } else {
        *st = StationState {
            epoch_ms: now_ms,
            max_now_ms: now_ms,
            start: crate::state::Stamp(0),
            last_rotation: crate::state::Stamp(0),
            started: true,
        };
        0
    };
    let shift = st.shift_epoch(now_ms);
    if shift > 0 {
        points.iter_mut().for_each(|p| p.shift(shift));
        nodes.iter_mut().for_each(|n| n.shift(shift));
    }
    st.max_now_ms = now_ms;
    let t = &g.timers;
    if dt > u64::from(t.max_gap_ms) {
        errors |= StationErrors::STEP_GAP;
    }
    let any_closed = points.iter().any(|p| p.has(bits::CONTACTOR));
    if any_closed && dt > u64::from(t.sample_period_ms) {
        errors |= StationErrors::GAP_WHILE_CLOSED;
    }
    // SU-3 / PS-1: a gap this long with a contactor closed may have hidden a C→B.
    let budget_broken = dt
        .saturating_add(u64::from(t.debounce_safer_ms))
        .saturating_add(u64::from(t.contactor_release_ms))
        > 100;
    let energy_dt = dt.min(u64::from(t.max_gap_ms));

    let cond = Conditions::of(g, inputs);
    if cond.protection {
        errors |= StationErrors::PROTECTION_TRIPPED;
    }
    node_limits(g, pcfg, ncfg, nodes, inputs.nodes, now_ms, &mut errors);

    for (i, ((pc, p), pi)) in pcfg
        .iter()
        .zip(points.iter_mut())
        .zip(inputs.points)
        .enumerate()
    {
        if prepare_point(g, st, &cond, pc, p, pi, now_ms, energy_dt) {
            errors |= StationErrors::SETPOINT_LOST;
        }
        if budget_broken && p.has(bits::CONTACTOR) {
            p.w.immediate = true;
            p.w.wants = false;
        }
        if i < 2 && p.has(bits::PILOT_FAULT) {
            errors |= if i == 0 {
                StationErrors::PILOT_FAULT_1
            } else {
                StationErrors::PILOT_FAULT_2
            };
        }
    }
    site_headroom(
        g,
        st,
        pcfg,
        ncfg,
        points,
        nodes,
        inputs.nodes,
        now_ms,
        &mut errors,
    );
    node_overload(g, st, pcfg, ncfg, points, nodes, now_ms, &mut errors);

    // Points that ran and may no longer: stop them (graceful or immediate, decided below).
    for p in points.iter_mut() {
        if !p.vehicle.connected() {
            p.run = Run::Idle;
        } else if p.run == Run::Idle {
            p.run = Run::Waiting;
            p.since = st.stamp(now_ms);
        } else if p.run == Run::Running && !p.w.wants {
            p.run = Run::Waiting;
            p.since = st.stamp(now_ms);
            p.put(bits::STOPPED, true);
        }
    }

    select(g, st, pcfg, ncfg, points, nodes, now_ms);
    fill(pcfg, ncfg, points, nodes);
    transfer(g, st, pcfg, ncfg, points, nodes, now_ms);
    stop_below_minimum(st, points, now_ms);

    let cluster = ncfg
        .iter()
        .filter(|n| n.kind == crate::config::NodeKind::Station)
        .count()
        > 1;
    let mut deadline = now_ms.saturating_add(u64::from(t.max_gap_ms));
    for (i, ((pc, p), (pi, po))) in pcfg
        .iter()
        .zip(points.iter_mut())
        .zip(inputs.points.iter().zip(out.points.iter_mut()))
        .enumerate()
    {
        finish_point(g, st, pc, p, pi, po, now_ms, cluster);
        if po.flags.contains(PointFlags::EV_OVERCURRENT) {
            errors |= StationErrors::EV_OVERCURRENT;
        }
        deadline = deadline.min(point_deadline(g, st, p, i, now_ms));
        if g.external_control
            && pc.external
            && let Some(sp) = pi.setpoint
            && fresh(Some(sp), now_ms, t.setpoint_validity_ms).is_some()
        {
            let expiry = sp
                .received_ms
                .saturating_add(u64::from(t.setpoint_validity_ms));
            deadline = deadline.min(expiry.saturating_add(1));
        }
    }
    for (nc, (ns, ni)) in ncfg.iter().zip(nodes.iter().zip(inputs.nodes)) {
        deadline = deadline.min(node_deadline(g, st, nc, ns, ni, now_ms));
    }
    if let Some(interval) = g.rotation_interval_ms {
        let due = st.at(st.last_rotation).saturating_add(u64::from(interval));
        if due > now_ms {
            deadline = deadline.min(due);
        }
    }
    out.station.errors = errors;
    out.station.next_deadline_ms = deadline.max(now_ms.saturating_add(1));
    Ok(())
}

fn clock_fault(points: &mut [PointState], out: &mut [PointOutput]) {
    for (p, po) in points.iter_mut().zip(out.iter_mut()) {
        p.alloc_ma = 0;
        p.offer_ma = 0;
        p.put(bits::CONTACTOR | bits::GRACEFUL, false);
        if p.run == Run::Running {
            p.run = Run::Waiting;
            p.put(bits::STOPPED, true);
        }
        *po = PointOutput {
            reason: AllocReason::ClockFault,
            reason_node: NO_NODE,
            energy_mwh: p.energy.mwh,
            ..PointOutput::default()
        };
    }
}

/// Effective limit of every node this step: configured, external set point, fallback (EX-1,
/// LB-8, TREE-1).
fn node_limits(
    g: &General,
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    nodes: &mut [NodeState],
    inputs: &[NodeInputs],
    now_ms: u64,
    errors: &mut StationErrors,
) {
    for (i, (nc, (ns, ni))) in ncfg.iter().zip(nodes.iter_mut().zip(inputs)).enumerate() {
        ns.lim = nc.limit_ma;
        ns.lim_reason = [AllocReason::NodeLimit; 3];
        if !(g.external_control && nc.external) {
            continue;
        }
        match fresh(ni.setpoint, now_ms, g.timers.setpoint_validity_ms) {
            Some(sp) => {
                for (l, r) in ns.lim.iter_mut().zip(ns.lim_reason.iter_mut()) {
                    if sp < *l {
                        *l = sp;
                        *r = AllocReason::SetPoint;
                    }
                }
            }
            None => {
                *errors |= StationErrors::SETPOINT_LOST;
                let fs = nc
                    .fail_safe_ma
                    .unwrap_or_else(|| default_node_fail_safe(&g.thresholds, pcfg, ncfg, i));
                for ((l, r), f) in ns.lim.iter_mut().zip(ns.lim_reason.iter_mut()).zip(fs) {
                    *l = f.min(*l);
                    *r = AllocReason::Fallback;
                }
            }
        }
    }
}

/// Updates one point's session-level state and computes its ceiling, minimum and whether it
/// wants current this step.
#[allow(clippy::too_many_arguments)]
fn prepare_point(
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

/// LB-9: a node whose measured total stays above its limit beyond the response time stops the
/// points drawing most above their signal, at once, until it fits.
#[allow(clippy::too_many_arguments)]
fn node_overload(
    g: &General,
    st: &StationState,
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &mut [PointState],
    nodes: &mut [NodeState],
    now_ms: u64,
    errors: &mut StationErrors,
) {
    // Measured totals per node and phase (a point without a measurement counts its allocation).
    count_into_used(pcfg, ncfg, points, nodes, false);
    for ni in 0..nodes.len() {
        for ph in 0..3usize {
            let Some(ns) = nodes.get_mut(ni) else {
                continue;
            };
            let (Some(&used), Some(&lim)) = (ns.used.get(ph), ns.lim.get(ph)) else {
                continue;
            };
            let bit = 1u8 << ph;
            if used <= lim {
                ns.over &= !bit;
                continue;
            }
            if ns.over & bit == 0 {
                ns.over |= bit;
                if let Some(s) = ns.over_since.get_mut(ph) {
                    *s = st.stamp(now_ms);
                }
                continue;
            }
            let since = ns.over_since.get(ph).copied().unwrap_or_default();
            if !st.passed(now_ms, since, g.timers.ev_response_ms) {
                continue;
            }
            *errors |= StationErrors::OVERLOAD;
            let mut guard = pcfg.len();
            while nodes
                .get(ni)
                .and_then(|n| n.used.get(ph))
                .is_some_and(|u| *u > lim)
                && guard > 0
            {
                guard = guard.saturating_sub(1);
                // The point beneath drawing most above its signal on this phase.
                let mut worst: Option<(u32, usize)> = None;
                for (i, (pc, p)) in pcfg.iter().zip(points.iter()).enumerate() {
                    if p.has(bits::OVERCURRENT) && p.w.immediate {
                        continue;
                    }
                    let beneath = is_beneath(ncfg, usize::from(pc.node), ni);
                    let m = p.w.measured.get(ph).copied().unwrap_or(0);
                    let sig = if p.w.mask & bit != 0 { p.offer_ma } else { 0 };
                    let above = m.saturating_sub(sig);
                    if beneath && p.w.has_meas && above > 0 && worst.is_none_or(|w| above > w.0) {
                        worst = Some((above, i));
                    }
                }
                let Some((_, v)) = worst else { break };
                let (Some(pc), Some(p)) = (pcfg.get(v), points.get_mut(v)) else {
                    break;
                };
                p.put(bits::OVERCURRENT, true);
                p.w.immediate = true;
                p.w.wants = false;
                p.w.reason = AllocReason::EvOverCurrent;
                // Its current no longer counts on any phase of any node above it.
                for ph2 in 0..3usize {
                    let v = count_on(p, ph2, p.alloc_ma, false);
                    add_on_constraints(ncfg, nodes, pc.node, 1 << ph2, |n| &mut n.used, v, true);
                }
            }
        }
    }
}

/// What a point counts against a constraint on supply phase `ph` (LB-9): the larger of its
/// allocation there and its measured current (its allocation alone without a measurement; with
/// `lb9` false, its measured current alone where it has one).
fn count_on(p: &PointState, ph: usize, alloc: u32, lb9: bool) -> u32 {
    let a = if p.w.mask & (1 << ph) != 0 { alloc } else { 0 };
    if !p.w.has_meas {
        return a;
    }
    let m = p.w.measured.get(ph).copied().unwrap_or(0);
    if lb9 { a.max(m) } else { m }
}

/// Sums every point's `count_on` (with `lb9` as given) into `used` of every node above it.
fn count_into_used(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &[PointState],
    nodes: &mut [NodeState],
    lb9: bool,
) {
    for n in nodes.iter_mut() {
        n.used = [0; 3];
    }
    for (pc, p) in pcfg.iter().zip(points.iter()) {
        let v = [0usize, 1, 2].map(|ph| count_on(p, ph, p.alloc_ma, lb9));
        if v == [0; 3] {
            continue;
        }
        for_each_ancestor(ncfg, pc.node, |n| {
            if let Some(ns) = nodes.get_mut(n) {
                for (u, x) in ns.used.iter_mut().zip(v) {
                    *u = u.saturating_add(x);
                }
            }
        });
    }
}

/// Applies the targets: reductions at once, rises by the rise interval (PS-5) and only by what
/// is free under the LB-9 count on every constraint above the point.
fn transfer(
    g: &General,
    st: &StationState,
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &mut [PointState],
    nodes: &mut [NodeState],
    now_ms: u64,
) {
    for p in points.iter_mut() {
        p.alloc_ma = if p.w.in_s && p.run == Run::Running {
            p.alloc_ma.min(p.w.target)
        } else {
            0
        };
    }
    count_into_used(pcfg, ncfg, points, nodes, true);
    for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
        if !p.w.in_s || p.w.target <= p.alloc_ma {
            continue;
        }
        // A point whose minimum rose with its phase mode (LB-12) is below its minimum: it is
        // brought up to it like a start, or stopped below (LB-3).
        let starting = p.run != Run::Running || p.alloc_ma < p.w.min;
        if !starting && !st.passed(now_ms, p.last_rise, g.timers.rise_interval_ms) {
            p.w.reason = AllocReason::RateLimit;
            p.w.node = NO_NODE;
            continue;
        }
        // The most this point may have: on each constraint, the limit less what the others count.
        let mut x_max = u32::MAX;
        let mut at = NO_NODE;
        for_each_ancestor(ncfg, pc.node, |n| {
            if let Some(ns) = nodes.get(n) {
                for ph in phases(p.w.mask) {
                    let own = count_on(p, ph, p.alloc_ma, true);
                    let others = ns.used.get(ph).copied().unwrap_or(0).saturating_sub(own);
                    let free = ns.lim.get(ph).copied().unwrap_or(0).saturating_sub(others);
                    if free < x_max {
                        x_max = free;
                        at = u16::try_from(n).unwrap_or(NO_NODE);
                    }
                }
            }
        });
        let x = p.w.target.min(x_max);
        if x < p.w.target {
            p.w.reason = AllocReason::Transfer;
            p.w.node = at;
        }
        if x <= p.alloc_ma || x < p.w.min {
            continue;
        }
        for ph in 0..3usize {
            let before = count_on(p, ph, p.alloc_ma, true);
            let after = count_on(p, ph, x, true);
            add_on_constraints(
                ncfg,
                nodes,
                pc.node,
                1 << ph,
                |n| &mut n.used,
                after.saturating_sub(before),
                false,
            );
        }
        p.alloc_ma = x;
        p.last_rise = st.stamp(now_ms);
        if p.run != Run::Running {
            p.run = Run::Running;
            p.since = st.stamp(now_ms);
            p.put(bits::SHED | bits::BELOW_IDLE | bits::IDLE, false);
        }
    }
}

/// LB-3 after LB-12: a running point left below its minimum (the minimum changed with its phase
/// mode and the rise to it did not fit) stops.
fn stop_below_minimum(st: &StationState, points: &mut [PointState], now_ms: u64) {
    for p in points.iter_mut() {
        if p.run == Run::Running && p.alloc_ma < p.w.min {
            p.alloc_ma = 0;
            p.run = Run::Waiting;
            p.since = st.stamp(now_ms);
            p.put(bits::STOPPED, true);
        }
    }
}

/// Offer, pilot, contactor, flags and outputs of one point (PS-3, PS-4, LOC-1).
#[allow(clippy::too_many_arguments)]
fn finish_point(
    g: &General,
    st: &StationState,
    pc: &PointConfig,
    p: &mut PointState,
    pi: &PointInputs,
    po: &mut PointOutput,
    now_ms: u64,
    cluster: bool,
) {
    let now = st.stamp(now_ms);
    let duty = duty_permille(p.alloc_ma);
    let offer = duty.map_or(0, decode_ma);
    let prev = p.offer_ma;
    if offer < prev {
        // A reduction: the EV has a new response time, and the old offer stays the reference
        // for the hard threshold within it (PS-4, LB-9).
        p.offer_high_ma = p.offer_high_ma.max(prev);
        p.offer_high_at = now;
        if p.has(bits::OVER) {
            p.over_since = now;
        }
    } else if offer >= p.offer_high_ma {
        p.offer_high_ma = offer;
        p.offer_high_at = now;
    }
    p.offer_ma = offer;
    let pwm = offer > 0;

    let charge_state = p.vehicle == VehicleState::C
        || (p.vehicle == VehicleState::D && g.location == Location::Outdoor);
    let fault = p.has(bits::PILOT_FAULT | bits::HARD_FAULT);
    if prev > 0 && !pwm && p.has(bits::CONTACTOR) {
        p.put(bits::GRACEFUL, true);
        p.pwm_off_at = now;
    }
    // SU-1 / PS-4: the contactor closes only once C has been seen with PWM on for the debounce
    // time towards C, also for an EV found in C at start-up or after a pause.
    let ready = charge_state && pwm && !fault && !p.w.immediate;
    if !ready {
        p.put(bits::READY, false);
    } else if !p.has(bits::READY) {
        p.put(bits::READY, true);
        p.ready_since = now;
    }
    let closed = if p.has(bits::CONTACTOR) {
        !p.w.immediate
            && !fault
            && charge_state
            && (pwm
                || (p.has(bits::GRACEFUL) && !st.passed(now_ms, p.pwm_off_at, g.timers.grace_ms)))
    } else {
        ready
            && p.alloc_ma >= p.w.min
            && st.passed(now_ms, p.ready_since, g.timers.debounce_charge_ms)
    };
    p.put(bits::CONTACTOR, closed);
    if !closed || pwm {
        p.put(bits::GRACEFUL, false);
    }

    let pilot = if fault || p.w.reason == AllocReason::ProtectionDevice {
        PilotOutput::StateF
    } else if pwm {
        PilotOutput::Pwm
    } else {
        PilotOutput::Steady12V
    };

    let mut flags = PointFlags::EMPTY;
    flags.set(PointFlags::NORMAL_MODE_3, true);
    flags.set(
        PointFlags::VENTILATION_REQUIRED,
        p.vehicle == VehicleState::D,
    );
    flags.set(PointFlags::CLUSTER_MODE, cluster);
    if p.vehicle.connected() {
        let single = p.w.mask.count_ones() == 1;
        flags.set(PointFlags::SINGLE_PHASE, single);
        flags.set(PointFlags::THREE_PHASE, !single);
    }
    flags.set(PointFlags::VIP_BADGE_MODE, pi.vip);
    let c = pi.commands;
    flags.set(
        PointFlags::UNAVAILABLE_OCPP_CMD,
        c.contains(Commands::UNAVAILABLE_OCPP),
    );
    flags.set(
        PointFlags::MAINTENANCE_PLC_CMD,
        c.contains(Commands::MAINTENANCE),
    );
    flags.set(PointFlags::BOOKED_PLC_CMD, c.contains(Commands::BOOKED));
    flags.set(PointFlags::SUSPEND_PLC_CMD, c.contains(Commands::SUSPEND));
    flags.set(
        PointFlags::UNAVAILABLE_PLC_CMD,
        c.contains(Commands::UNAVAILABLE),
    );
    flags.set(
        PointFlags::CHARGE_POSTPONE,
        c.contains(Commands::POSTPONE) || (p.w.reason == AllocReason::Input && p.alloc_ma == 0),
    );
    let waiting = p.w.wants && p.alloc_ma == 0;
    flags.set(
        PointFlags::NOT_ENOUGH_ENERGY_TO_START,
        waiting && matches!(p.w.reason, AllocReason::Shed | AllocReason::NodeLimit),
    );
    flags.set(PointFlags::PWM_ON, pwm);
    flags.set(PointFlags::CONTACTOR_CLOSED, closed);
    flags.set(PointFlags::SHED, p.has(bits::SHED) && p.alloc_ma == 0);
    flags.set(PointFlags::EV_IDLE, p.has(bits::IDLE));
    flags.set(
        PointFlags::EV_OVERCURRENT,
        p.has(bits::OVERCURRENT | bits::HARD_FAULT),
    );
    flags.set(PointFlags::FAULT, fault);
    flags.set(PointFlags::FALLBACK, p.w.reason == AllocReason::Fallback);
    flags.set(PointFlags::STOPPING, closed && !pwm);

    let mut alloc = [0u32; 3];
    for ph in phases(p.w.mask) {
        if let Some(a) = alloc.get_mut(ph) {
            *a = p.alloc_ma;
        }
    }
    let _ = pc;
    *po = PointOutput {
        alloc_ma: alloc,
        allocation_ma: p.alloc_ma,
        signal_ma: offer,
        duty_permille: duty.unwrap_or(0),
        pilot,
        contactor: closed,
        reason: p.w.reason,
        reason_node: p.w.node,
        flags,
        energy_mwh: p.energy.mwh,
    };
}

/// The earliest time a timer of this point can change its outputs.
fn point_deadline(g: &General, st: &StationState, p: &PointState, i: usize, now_ms: u64) -> u64 {
    let t = &g.timers;
    let mut d = u64::MAX;
    let after = |s, ms: u32| st.at(s).saturating_add(u64::from(ms));
    if p.has(bits::CONTACTOR) || p.w.reason == AllocReason::Transfer {
        d = d.min(now_ms.saturating_add(u64::from(t.sample_period_ms)));
    }
    if p.w.wants
        && p.alloc_ma == 0
        && let Some((_, until)) = start_hold(g, st, p, i, now_ms)
    {
        d = d.min(until);
    }
    if p.w.reason == AllocReason::RateLimit {
        d = d.min(after(p.last_rise, t.rise_interval_ms));
    }
    if p.has(bits::BELOW_IDLE) && !p.has(bits::IDLE) {
        d = d.min(after(p.idle_since, t.idle_ms));
    }
    if p.has(bits::OVER) {
        d = d.min(after(p.over_since, t.ev_response_ms));
    }
    if p.phase_cand != NO_CAND {
        d = d.min(after(p.phase_since, t.phase_detection_ms));
    }
    if p.has(bits::GRACEFUL) {
        d = d.min(after(p.pwm_off_at, t.grace_ms));
    }
    if p.has(bits::READY) && !p.has(bits::CONTACTOR) {
        d = d.min(after(p.ready_since, t.debounce_charge_ms));
    }
    if p.offer_high_ma > p.offer_ma {
        d = d.min(after(p.offer_high_at, t.ev_response_ms));
    }
    if p.run == Run::Running {
        // The minimum run time changes the shedding order.
        let end = after(p.since, t.min_run_ms);
        if end > now_ms {
            d = d.min(end);
        }
    }
    d
}

fn node_deadline(
    g: &General,
    st: &StationState,
    nc: &NodeConfig,
    ns: &NodeState,
    ni: &NodeInputs,
    now_ms: u64,
) -> u64 {
    let mut d = u64::MAX;
    for (ph, s) in ns.over_since.iter().enumerate() {
        if ns.over & (1 << ph) != 0 {
            d = d.min(st.at(*s).saturating_add(u64::from(g.timers.ev_response_ms)));
        }
    }
    for (ph, s) in ns.site_fall_since.iter().enumerate() {
        if ns.site_fall & (1 << ph) != 0 {
            d = d.min(
                st.at(*s)
                    .saturating_add(u64::from(g.timers.site_meter_hold_ms)),
            );
        }
    }
    if nc.site_meter
        && let Some(r) = ni.site
        && r.measured_ms <= now_ms
    {
        let expiry = r
            .measured_ms
            .saturating_add(u64::from(g.timers.site_meter_validity_ms))
            .saturating_add(1);
        if expiry > now_ms {
            d = d.min(expiry);
        }
    }
    if g.external_control
        && nc.external
        && let Some(sp) = ni.setpoint
        && fresh(Some(sp), now_ms, g.timers.setpoint_validity_ms).is_some()
    {
        d = d.min(
            sp.received_ms
                .saturating_add(u64::from(g.timers.setpoint_validity_ms))
                .saturating_add(1),
        );
    }
    d
}

/// LB-14: the headroom of site-metered nodes. Each point keeps the lowest and the highest
/// current it drew per supply phase since its meter's last reading. When a new reading arrives,
/// the other consumers' load is the reading less those lowest currents, clamped at 0 (SPEC
/// LB-14: an EV ramping up between readings is never taken for headroom), and it applies at once.
///
/// Choice where the SPEC is silent: the hold time that delays a fall is judged on the reading
/// less the points' *highest* currents, a lower bound of the other load. A real dip of the
/// building load lowers that bound too and is held; the one-reading overshoot that the lowest
/// currents give while an EV ramps up is not a fall of the other load, and holding it for the
/// hold time would shed the very EVs that caused it (a flap every hold time). So the load counted
/// is max(latest upper bound, held lower bound): never below what the latest reading proves.
///
/// The points beneath share the node limit less that load less the margin; a stale meter (older
/// than its validity, stamped in the future, or never read) gives the configured fail-safe
/// headroom.
#[allow(clippy::too_many_arguments)]
fn site_headroom(
    g: &General,
    st: &StationState,
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &mut [PointState],
    nodes: &mut [NodeState],
    inputs: &[NodeInputs],
    now_ms: u64,
    errors: &mut StationErrors,
) {
    if !ncfg.iter().any(|n| n.site_meter) {
        return;
    }
    for p in points.iter_mut() {
        let has = p.w.has_meas;
        for ((low, high), m) in p
            .site_low_ma
            .iter_mut()
            .zip(p.site_high_ma.iter_mut())
            .zip(p.w.measured)
        {
            // A point without a measurement counts as 0: its draw is taken for other load.
            let m = if has { m } else { 0 };
            *low = (*low).min(m);
            *high = (*high).max(m);
        }
    }
    let t = &g.timers;
    for (i, (nc, ni)) in ncfg.iter().zip(inputs).enumerate() {
        if !nc.site_meter {
            continue;
        }
        let reading = ni.site.filter(|r| {
            r.measured_ms <= now_ms
                && now_ms.saturating_sub(r.measured_ms) <= u64::from(t.site_meter_validity_ms)
        });
        let Some(ns) = nodes.get(i) else { continue };
        let new = reading.filter(|r| !ns.site_have || r.measured_ms > ns.site_taken_ms);
        if let Some(r) = new {
            let mut own_low = [0u32; 3];
            let mut own_high = [0u32; 3];
            for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
                if !is_beneath(ncfg, usize::from(pc.node), i) {
                    continue;
                }
                for ph in 0..3usize {
                    if let (Some(ol), Some(oh), Some(l), Some(h)) = (
                        own_low.get_mut(ph),
                        own_high.get_mut(ph),
                        p.site_low_ma.get(ph),
                        p.site_high_ma.get(ph),
                    ) {
                        *ol = ol.saturating_add(*l);
                        *oh = oh.saturating_add(*h);
                    }
                }
                // The next window starts now.
                let now_draw = if p.w.has_meas { p.w.measured } else { [0; 3] };
                p.site_low_ma = now_draw;
                p.site_high_ma = now_draw;
            }
            if let Some(ns) = nodes.get_mut(i) {
                ns.site_have = true;
                ns.site_taken_ms = r.measured_ms;
                for ph in 0..3usize {
                    let load = r.load_ma.get(ph).copied().unwrap_or(u32::MAX);
                    let upper = load.saturating_sub(own_low.get(ph).copied().unwrap_or(0));
                    let lower = load.saturating_sub(own_high.get(ph).copied().unwrap_or(0));
                    if let Some(u) = ns.site_upper.get_mut(ph) {
                        *u = upper;
                    }
                    site_estimate(st, ns, ph, lower, now_ms);
                }
            }
        }
        let Some(ns) = nodes.get_mut(i) else { continue };
        for ph in 0..3usize {
            let bit = 1u8 << ph;
            let since = ns.site_fall_since.get(ph).copied().unwrap_or_default();
            if ns.site_fall & bit != 0 && st.passed(now_ms, since, t.site_meter_hold_ms) {
                ns.site_fall &= !bit;
                if let (Some(o), Some(m)) = (ns.site_other.get_mut(ph), ns.site_fall_max.get(ph)) {
                    *o = *m;
                }
            }
        }
        if reading.is_some() && ns.site_have {
            let margin = g.thresholds.site_margin_ma;
            let others = ns.site_other_ma();
            for ((l, r), (cfg_l, other)) in ns
                .lim
                .iter_mut()
                .zip(ns.lim_reason.iter_mut())
                .zip(nc.limit_ma.iter().zip(others))
            {
                let head = cfg_l.saturating_sub(other).saturating_sub(margin);
                if head < *l {
                    *l = head;
                    *r = AllocReason::NodeLimit;
                }
            }
        } else {
            *errors |= StationErrors::SITE_METER_LOST;
            let fs = nc
                .site_fail_safe_ma
                .unwrap_or_else(|| default_node_fail_safe(&g.thresholds, pcfg, ncfg, i));
            for ((l, r), f) in ns.lim.iter_mut().zip(ns.lim_reason.iter_mut()).zip(fs) {
                if f <= *l {
                    *l = f;
                    *r = AllocReason::SiteMeterStale;
                }
            }
        }
    }
}

/// Applies one new estimate of the other consumers' load on phase `ph` (LB-14): a rise at once,
/// a fall only after the hold time.
fn site_estimate(st: &StationState, ns: &mut NodeState, ph: usize, est: u32, now_ms: u64) {
    let bit = 1u8 << ph;
    let (Some(other), Some(max), Some(since)) = (
        ns.site_other.get_mut(ph),
        ns.site_fall_max.get_mut(ph),
        ns.site_fall_since.get_mut(ph),
    ) else {
        return;
    };
    if est >= *other {
        *other = est;
        ns.site_fall &= !bit;
    } else if ns.site_fall & bit != 0 {
        *max = (*max).max(est);
    } else {
        ns.site_fall |= bit;
        *since = st.stamp(now_ms);
        *max = est;
    }
}
