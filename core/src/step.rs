//! The one step function: (configuration, state, inputs of this tick, `now_ms`) → outputs and
//! new state. Wires the clock (SU-3), function inputs (IN-1 … IN-5), external control (EX-1,
//! EX-2, LB-8), per-point ceilings (LB-2, LB-3, LB-10, LB-12), the LB-9 over-current checks, the
//! selection of `shed.rs`, the target of `balance.rs`, the safe transfer (LB-9) and rise interval
//! (PS-5) of `overload.rs`, the pilot and contactor outputs (PS-3, PS-4, LOC-1) and the deadline
//! of `deadline.rs`.
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
//!   the debounce time towards C (SU-1, PS-4), in every case, not only at start-up, and only
//!   while the pilot still reads C (or D).
//! - `next_deadline_ms` is the earliest end of a timer that can change an output, every timer
//!   included (also the sessions' timeouts and State F's settling window), at most one sample
//!   period ahead while a contactor is closed, a pilot debounce runs or a transfer waits, and at
//!   most `max_gap_ms` ahead; call sooner when an input changes. A timer that has run out asks
//!   for nothing (this step acted on it); a step that changed what the next step's preparation
//!   reads first (the running state, offer, contactor, a session that moves on) asks for the next
//!   millisecond. So a caller that steps only at the deadline and at input changes sees what one
//!   stepping every millisecond sees (`tests/deadlines.rs`), but for the energy register: MT-1
//!   counts a step's measured current over the gap since the last step.

use crate::balance::fill;
use crate::config::{ConfigView, Input1Function, Input2Function, NodeConfig, PointConfig};
use crate::deadline::{all_point_deadlines, memo_deadline, node_deadline};
use crate::drive::{finish, outputs_from_memo, stop_below_minimum};
use crate::general::General;
use crate::io::{Inputs, NO_NODE, PointOutput, StationOutput, StepError};
use crate::limits::{fresh, node_limits};
use crate::overload::{counts, node_overload, transfer};
use crate::quiet::{prepare, protect_memos};
use crate::shed::select;
use crate::site::site_headroom;
use crate::state::{NodeSite, NodeState, PointSite, PointState, Run, Stamp, StationState, bits};
use crate::tree::{add_own, sum_up};
use crate::types::{AllocReason, PointFlags, StationErrors};
use crate::work::{NodeWork, PointWork, StationWork};

/// Core's state over caller-owned memory: one entry per configured point and node.
#[derive(Debug)]
pub struct State<'a> {
    /// Station state.
    pub station: &'a mut StationState,
    /// One per point.
    pub points: &'a mut [PointState],
    /// One per node.
    pub nodes: &'a mut [NodeState],
    /// LB-14 memory: one per point and one per node when a node has a site meter, else unused
    /// (empty slices do: [`SiteState::none`]).
    pub site: SiteState<'a>,
    /// Working memory of one step, one per point and per node ([`Work`]).
    pub work: Work<'a>,
}

/// A step's working memory: rewritten by the step before it is read, so its contents need not
/// be kept between steps (controllers stepped one after another may share one), and it is not
/// part of the state to keep across a restart. Three parts are read first, memos used only where
/// they are exact (see `PointWork`): the last water-filling, used when every input of it equals
/// the memo's; per point its last step that changed nothing of the point, used when the
/// point's state, inputs, the station's conditions and the configuration equal the memo's and
/// no timer of the point runs out; and the station's last step that changed nothing
/// (`StationWork`), whose decisions between the points' preparation and their outputs are
/// repeated when every point comes from its memo with the same measured currents, every node
/// reads as then and no time those decisions read runs out. Kept, they save recomputing what did
/// not change; lost, another controller's or put together from different steps, they change
/// nothing but the cost (a memo whose parts lie in the points' and the nodes' memory marks each
/// part with the low 32 bits of the generation of the step that made it). (The configuration is
/// recognised by a 64-bit hash of all of it, taken when it is validated: a caller that steps one
/// working memory under two configurations relies on their hashes differing, odds of 1 in 2⁶⁴
/// against.)
#[derive(Debug)]
pub struct Work<'a> {
    /// One per point.
    pub points: &'a mut [PointWork],
    /// One per node.
    pub nodes: &'a mut [NodeWork],
    /// One per station.
    pub station: &'a mut StationWork,
}

/// The site-meter memory of a [`State`] (LB-14).
#[derive(Debug)]
pub struct SiteState<'a> {
    /// One per point.
    pub points: &'a mut [PointSite],
    /// One per node.
    pub nodes: &'a mut [NodeSite],
}

impl SiteState<'_> {
    /// Empty: for a configuration without a site meter.
    pub fn none() -> Self {
        SiteState {
            points: &mut [],
            nodes: &mut [],
        }
    }
}

/// Where the step writes its outputs: caller-owned memory.
#[derive(Debug)]
pub struct Outputs<'a> {
    /// Station output.
    pub station: &'a mut StationOutput,
    /// One per point.
    pub points: &'a mut [PointOutput],
}

#[cold]
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
pub(crate) struct Conditions {
    pub protection: bool,
    pub load_shedding: bool,
    pub postponed: bool,
    pub temporary_limit: bool,
}

impl Conditions {
    /// `bits`' bit of the protection devices.
    pub(crate) const PROTECTION: u8 = 1;

    /// The four conditions as bits (the protection's is `PROTECTION`).
    #[inline(always)]
    pub(crate) fn bits(&self) -> u8 {
        (u8::from(self.protection) * Self::PROTECTION)
            | (u8::from(self.load_shedding) << 1)
            | (u8::from(self.postponed) << 2)
            | (u8::from(self.temporary_limit) << 3)
    }

    #[inline(always)]
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

/// What every part of a step reads: the validated configuration, the clock state and the time.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub g: &'a General,
    pub st: &'a StationState,
    pub pcfg: &'a [PointConfig],
    pub ncfg: &'a [NodeConfig],
    pub now_ms: u64,
    /// The tree's shape for the subtree sums (tree.rs).
    pub tree: crate::tree::Tree,
    /// The clock moved since the last step, so that a stamp of now written in this step differs
    /// from every stamp already in the state: a step in which a point's state stays as it was
    /// did not write the time (the memo of a point's step, quiet.rs, is made only then).
    pub advanced: bool,
    /// The time the metering counts for this step (ms): the gap since the last step, at most
    /// `max_gap_ms`.
    pub energy_dt: u64,
    /// The protection devices have tripped (IN-2): every point shows State F, whatever reason
    /// the step's passes give it.
    pub protection: bool,
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
    let (np, nn) = (pcfg.len(), ncfg.len());
    let site = state.site;
    let (work, nwork) = (state.work.points, state.work.nodes);
    // One test for the usual case, every slice of the right length; else the first wrong one.
    if (state.points.len() ^ np)
        | (inputs.points.len() ^ np)
        | (out.points.len() ^ np)
        | (work.len() ^ np)
        | (state.nodes.len() ^ nn)
        | (inputs.nodes.len() ^ nn)
        | (nwork.len() ^ nn)
        != 0
    {
        check_len("state.points", state.points.len(), np)?;
        check_len("inputs.points", inputs.points.len(), np)?;
        check_len("outputs.points", out.points.len(), np)?;
        check_len("state.nodes", state.nodes.len(), nn)?;
        check_len("inputs.nodes", inputs.nodes.len(), nn)?;
        check_len("state.work.points", work.len(), np)?;
        check_len("state.work.nodes", nwork.len(), nn)?;
    }
    let g = cfg.general;
    let has_site = g.has_site;
    if has_site {
        check_len("state.site.points", site.points.len(), np)?;
        check_len("state.site.nodes", site.nodes.len(), nn)?;
    }
    let st = state.station;
    let points = state.points;
    let nodes = state.nodes;
    // The station's memo (see below) holds for one step only: any return before the end of
    // this step leaves it unset.
    let sw = state.work.station;
    let mut settled = sw.settled && sw.fingerprint == g.fingerprint;
    let generation = sw.generation;
    let next_gen = generation.wrapping_add(1);
    sw.settled = false;
    sw.repeated = false;

    // SU-3: a clock going backwards stops everything until it is back.
    if st.started && now_ms < st.max_now_ms {
        clock_fault(points, out.points, st.now);
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
            start: Stamp(0),
            last_rotation: Stamp(0),
            now: Stamp(0),
            started: true,
        };
        0
    };
    let shift = st.shift_epoch(now_ms);
    if shift > 0 {
        points.iter_mut().for_each(|p| p.shift(shift));
        nodes.iter_mut().for_each(|n| n.shift(shift));
        site.nodes.iter_mut().for_each(|n| n.shift(shift));
    }
    st.max_now_ms = now_ms;
    st.now = st.stamp(now_ms);
    // The parts below read the clock state as of now; only the rotation stamp moves (LB-13).
    let clock = *st;
    let tree = g.tree;
    tree.prepare(ncfg, nwork);
    let cond = Conditions::of(g, inputs);
    // Where the protection devices trip, the points' memos from before the trip are made those
    // of the trip (`protect_memos`); the last step's decisions, from before it, are not
    // repeated (the station's memo).
    let (key, last_cond) = (cond.bits(), sw.cond);
    sw.cond = key;
    if key & !last_cond & Conditions::PROTECTION != 0 && protect_memos(work, key) {
        settled = false;
    }
    let cx = Ctx {
        g,
        st: &clock,
        pcfg,
        ncfg,
        now_ms,
        tree,
        advanced: dt > 0,
        energy_dt: dt.min(u64::from(g.timers.max_gap_ms)),
        protection: cond.protection,
    };
    let t = &g.timers;
    if dt > u64::from(t.max_gap_ms) {
        errors |= StationErrors::STEP_GAP;
    }
    // SU-3 / PS-1: a gap this long with a contactor closed may have hidden a C→B.
    let budget_broken = dt
        .saturating_add(u64::from(t.debounce_safer_ms))
        .saturating_add(u64::from(t.contactor_release_ms))
        > 100;

    if cond.protection {
        errors |= StationErrors::PROTECTION_TRIPPED;
    }
    node_limits(g, pcfg, ncfg, nwork, inputs.nodes, now_ms, &mut errors);

    // LB-9: the measured totals per node and phase are summed in the same pass (a point without
    // a measurement counts its allocation), for `node_overload`.
    for n in nwork.iter_mut() {
        n.used = [0; 3];
    }
    let mut any_closed = false;
    for (i, (((pc, p), w), pi)) in pcfg
        .iter()
        .zip(points.iter_mut())
        .zip(work.iter_mut())
        .zip(inputs.points)
        .enumerate()
    {
        any_closed |= p.has(bits::CONTACTOR);
        if prepare(&cx, &cond, i, pc, p, w, pi) {
            errors |= StationErrors::SETPOINT_LOST;
        }
        if budget_broken && p.has(bits::CONTACTOR) {
            w.immediate = true;
            w.wants = false;
        }
        if p.has(bits::WELDED) {
            errors |= StationErrors::WELDED_CONTACTOR;
        }
        add_own(
            nwork,
            pc.node,
            |n| &mut n.used,
            counts(p.alloc_ma, w, false),
        );
    }
    // The first two points' pilot and cable faults have bits of their own.
    let own = [
        (StationErrors::PILOT_FAULT_1, StationErrors::CABLE_FAULT_1),
        (StationErrors::PILOT_FAULT_2, StationErrors::CABLE_FAULT_2),
    ];
    for ((p, w), (pilot_bit, cable_bit)) in points.iter().zip(work.iter()).zip(own) {
        if p.has(bits::PILOT_FAULT) {
            errors |= pilot_bit;
        }
        if w.cable_fault {
            errors |= cable_bit;
        }
    }
    // From here to the outputs, a point's state changes only in its allocation, run state and
    // its time, last rise and bits: the memo of a point's step relies on it (`drive::finish`,
    // `quiet::same_after_passes`).
    sum_up(ncfg, nwork, tree, |n| &mut n.used);
    // The nodes' limits as the last step's passes read them: the water-filling, which runs in
    // every step that runs the passes, keeps them in its memo (`balance::fill`).
    let (mut nodes_same, mut nodes_last) = (true, true);
    for n in nwork.iter() {
        nodes_same &= (n.lim == n.memo_lim) & (n.lim_reason == n.memo_lim_reason);
        nodes_last &= n.seen_gen == generation;
    }
    if any_closed && dt > u64::from(t.sample_period_ms) {
        errors |= StationErrors::GAP_WHILE_CLOSED;
    }
    if has_site {
        site_headroom(
            &cx,
            work,
            nwork,
            site.points,
            site.nodes,
            inputs.nodes,
            &mut errors,
        );
    }
    let over = node_overload(&cx, points, work, nodes, nwork, &mut errors);
    // (LB-9: the stops ran, a node having been over a limit beyond the response time.)
    let stops = over && errors.contains(StationErrors::OVERLOAD);

    // The station's memo (`StationWork`). The passes from here to the outputs (running states,
    // selection, water-filling, transfer, the stops below a minimum) read the points' states,
    // their prepared working memory, the nodes' limits and the time; the measured currents only
    // where a point is free to rise (the LB-9 counts of the transfer). (The LB-9 stops of a node
    // over a limit beyond the response time, which read them too, ran above; a node over a limit
    // within it changes only its own timer, read by nothing after.) A step settles when every
    // point ends it with a memo of its outputs, used or made in it (one is made only over a memo
    // of the preparation, and only where neither the preparation, nor these passes, nor the
    // outputs changed the point's state), with no LB-9 stops, no point free to rise, no site
    // meter, no epoch shift and a kept time budget; it marks its points and nodes with the
    // working memory's generation. A later step repeats it when every point is prepared from
    // the memo it had then (its readings the same as the preparation reads them; so its state
    // and its prepared working memory are what these passes read then; a memo made that of a
    // trip, `protect_memos`, is another one, and its step repeats nothing), every node's limits are
    // those of then, no LB-9 stops ran, on the same clock (epoch, start, last rotation), before the
    // earliest time these passes read runs out: a rise interval holding a point and a waiting
    // point's start hold, both among the points' timers of then (`point_deadline`; the
    // repetition comes before the earliest of them, `timers`), and the rotation's next turn
    // (`hold`). They would read what they read then and decide what they decided then: the
    // decisions are in the working memory still, but for those the preparation writes again
    // (reason, binding node, wants, immediate stop), which the memo of each point's outputs
    // holds (`Mid`); the points' deadlines are those of then. (The marks make a working memory
    // put together from parts of different steps repeat nothing.)
    // What a step that settles and one that repeats both need (beside the points' memos).
    let quiet = nodes_same && !stops && !budget_broken && !has_site && shift == 0;
    let repeat = settled
        && quiet
        && nodes_last
        && now_ms < sw.timers
        && now_ms < sw.hold
        && st.epoch_ms == sw.epoch_ms
        && st.start == sw.start
        && st.last_rotation == sw.last_rotation
        && points_settled(work, generation);
    sw.repeated = repeat;
    let mut rotation_due = u64::MAX;
    // (A step settles only where the nodes' limits were the last step's too: where they change,
    // the marks would be made for nothing.)
    let mut calm = quiet;
    if !repeat {
        // The passes run: a new generation of the working memory and its nodes.
        sw.generation = next_gen;
        for n in nwork.iter_mut() {
            n.seen_gen = next_gen;
        }
        // Points that ran and may no longer: stop them (graceful or immediate, decided below).
        for (p, w) in points.iter_mut().zip(work.iter()) {
            if !p.vehicle.connected() {
                p.run = Run::Idle;
            } else if p.run == Run::Idle {
                p.run = Run::Waiting;
                p.since = st.now;
            } else if p.run == Run::Running && !w.wants {
                p.run = Run::Waiting;
                p.since = st.now;
                p.put(bits::STOPPED, true);
            }
        }

        // Points that wait read the time through the rotation (LB-13) too: once it is due, its
        // tries read the minimum run times and the energies each step, which no deadline
        // bounds, so no step repeats from then (`hold`).
        if select(&cx, &mut st.last_rotation, points, work, nwork)
            && let Some(interval) = g.rotation_interval_ms
        {
            rotation_due = st.at(st.last_rotation).saturating_add(u64::from(interval));
        }
        // (A generation whose low 32 bits are 0 keeps no memo: the next step computes again.)
        fill(pcfg, ncfg, tree, work, nwork, low_bits(next_gen));
        // (Where it counted, the measured currents it read may change every sample.)
        calm &= !transfer(&cx, points, work, nwork);
    }

    let cluster = g.cluster;
    let mut deadline = now_ms.saturating_add(u64::from(t.max_gap_ms));
    // The points' deadlines (`point_deadline`): those of a repeated step are the last step's.
    let (mut timers, mut sample) = if repeat {
        (sw.timers, sw.sample)
    } else {
        (u64::MAX, false)
    };
    // A repeated step settles again if every point's outputs came from its memo.
    let mut settles = repeat;
    for (i, (((pc, p), w), (pi, po))) in pcfg
        .iter()
        .zip(points.iter_mut())
        .zip(work.iter_mut())
        .zip(inputs.points.iter().zip(out.points.iter_mut()))
        .enumerate()
    {
        let q = &w.quiet;
        if repeat && q.fin && u64::from(st.now.0) < q.fin_until {
            // A repeated step (the passes' decisions, `Mid`, and the state after them are the
            // memo's): the memo's outputs, as `finish` has them.
            outputs_from_memo(&cx, p, w, po);
        } else {
            if repeat {
                // The passes' decisions that the preparation wrote again.
                q.mid.restore(w);
                settles = false;
            } else {
                stop_below_minimum(&cx, p, w);
            }
            finish(&cx, pc, p, w, pi, po, cluster);
            calm &= w.quiet.fin;
        }
        if po.flags.contains(PointFlags::EV_OVERCURRENT) {
            errors |= StationErrors::EV_OVERCURRENT;
        }
        if !repeat {
            let (d, s) = memo_deadline(&cx, p, w, pi, i);
            timers = timers.min(d);
            sample |= s;
        }
        if let Some(sp) = pi.setpoint
            && g.external_control
            && pc.external
            && fresh(Some(sp), now_ms, t.setpoint_validity_ms).is_some()
        {
            let expiry = sp
                .received_ms
                .saturating_add(u64::from(t.setpoint_validity_ms));
            deadline = deadline.min(expiry.saturating_add(1));
        }
    }
    if repeat && !settles {
        // A point's outputs were computed (a timer of its memo ran out): the deadlines are
        // reckoned again. (The earliest of the points' timers bounds the repetition itself.)
        (timers, sample) = all_point_deadlines(&cx, points, work, inputs.points);
    }
    deadline = deadline.min(timers);
    if sample {
        deadline = deadline.min(now_ms.saturating_add(u64::from(t.sample_period_ms)));
    }
    for (i, (nc, ((ns, nw), ni))) in ncfg
        .iter()
        .zip(nodes.iter_mut().zip(nwork.iter()).zip(inputs.nodes))
        .enumerate()
    {
        // The limit of this step, for `NodeState::limit_ma`.
        ns.lim = nw.lim;
        deadline = deadline.min(node_deadline(g, st, nc, ns, site.nodes.get(i), ni, now_ms));
    }
    if let Some(interval) = g.rotation_interval_ms {
        let due = st.at(st.last_rotation).saturating_add(u64::from(interval));
        if due > now_ms {
            deadline = deadline.min(due);
        }
    }
    out.station.errors = errors;
    out.station.next_deadline_ms = deadline.max(now_ms.saturating_add(1));
    // Whether the step settles, and the rotation's turn that bounds its repetition (the points'
    // timers bound it too); its points are marked with its generation.
    let mut hold = sw.hold;
    if repeat {
        calm = settles;
    } else if calm {
        hold = rotation_due;
        let mark = low_bits(next_gen);
        for w in work.iter_mut() {
            w.quiet.settled = mark;
        }
    }
    if calm {
        sw.settled = true;
        sw.hold = hold;
        sw.timers = timers;
        sw.sample = sample;
        sw.epoch_ms = st.epoch_ms;
        sw.start = st.start;
        sw.last_rotation = st.last_rotation;
        sw.fingerprint = g.fingerprint;
    }
    Ok(())
}

/// SU-3: every point stopped at once. A running point's stop is stamped with `last`, the time
/// of the last step whose clock was good (the latest seen), so that its minimum pause (LB-6)
/// runs from the stop, as after any other stop.
#[cold]
#[inline(never)]
fn clock_fault(points: &mut [PointState], out: &mut [PointOutput], last: Stamp) {
    for (p, po) in points.iter_mut().zip(out.iter_mut()) {
        p.alloc_ma = 0;
        p.offer_ma = 0;
        // PWM is off now: a later restart counts the closing debounce from then (SU-1).
        p.put(
            bits::CONTACTOR | bits::GRACEFUL | bits::PWM_WAS | bits::WAKE,
            false,
        );
        if p.run == Run::Running {
            p.run = Run::Waiting;
            p.since = last;
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

/// Whether every point was prepared from the memo it had when the station last settled (mark
/// `generation`; `step`, the station's memo).
#[inline(never)]
fn points_settled(work: &[PointWork], generation: u64) -> bool {
    let mark = low_bits(generation);
    work.iter()
        .all(|w| w.quiet.used & (w.quiet.settled == mark))
}

/// The low 32 bits of a generation: the mark a point's part of the working memory keeps of the
/// step that made it (the station's memo, `QuietMemo::settled`; the water-filling's,
/// `FillMemo::mark`). Parts of one working memory 2³² generations apart, or of two working
/// memories at the same generation, are not told apart.
#[inline(always)]
pub(crate) fn low_bits(generation: u64) -> u32 {
    u32::try_from(generation & u64::from(u32::MAX)).unwrap_or(0)
}
