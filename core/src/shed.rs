//! Which points are served: shedding order, start threshold, minimum pause and run, VIP
//! (LB-5, LB-6, the selection side of LB-4 and LB-12, SU-1 stagger).
//!
//! 1. The points that ran in the last step and still want current stay selected.
//! 2. While some constraint (node, phase) cannot hold the minimums of the selected points, one
//!    point loading that constraint is shed, in this order: non-VIP before VIP; a point past its
//!    minimum run time before one that is not (so a young point is shed only when no older one
//!    loads the short constraint, i.e. when keeping it would break LB-1); then the shedding
//!    priority (first started, or most energy); the lower index is kept on a tie. Only
//!    constraints that are short are looked at, so only the phase that is short sheds (LB-12).
//! 3. Waiting points are then tried VIP first, then the one waiting longest, then by index. A
//!    point is not tried during its minimum pause after a stop or its start stagger. It starts
//!    when its start threshold (LB-6) fits over the minimums already selected on every constraint
//!    it loads; a VIP counts only the VIP minimums, since it may shed non-VIP points (LB-5), which
//!    step 2 then does. Where every candidate's threshold fits over the minimums of all the
//!    others, they all start at once (`all_fit`), as the order cannot change what they get.
//!
//! A point selected here may still have to wait for its current while other EVs reduce (LB-9,
//! in `overload.rs`).

use crate::balance::add_on_constraints;
use crate::config::{NodeConfig, PointConfig, ShedPriority};
use crate::general::is_beneath;
use crate::io::NO_NODE;
use crate::order::{
    HEAP_POINTS, High, INDEX_BITS, Lane, SCAN_POINTS, heapify, key_index, pop, shed_key,
};
use crate::start::{shortfall, start_hold, start_waiting};
use crate::state::{PointState, Run, Stamp, bits};
use crate::step::Ctx;
use crate::tree::{add_own, per_phase, sum_up};
use crate::types::AllocReason;
use crate::work::{NodeWork, PointWork};

/// Runs the selection into `PointWork::in_s` (see the module doc). Points shed here are marked
/// stopped. Returns whether a point wants current and is not selected, or one was shed: the
/// selection then read the time beyond the points' states (rotation, start holds, minimum run).
pub(crate) fn select(
    cx: &Ctx<'_>,
    last_rotation: &mut Stamp,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) -> bool {
    let mut waiting = start_selection(cx, points, work, nodes);
    if let Some(short) = short_constraint(nodes) {
        // `shed_until_fit`; the points it sheds wait from now on.
        shed_from(cx, points, work, nodes, short);
        waiting = true;
    }
    if waiting {
        // Rotation and starts are about points that want current and are not selected: those
        // that did not run, and those just shed (a rotation due in this step may take one).
        rotate_and_start(cx, last_rotation, points, work, nodes);
    }
    waiting
}

/// Rotation (LB-13), then step 3 of the module doc: the starts of waiting points.
#[inline(never)]
fn rotate_and_start(
    cx: &Ctx<'_>,
    last_rotation: &mut Stamp,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    rotate(cx, last_rotation, points, work, nodes);
    start_waiting(cx, points, work, nodes);
}

/// Step 1 of the module doc: the points that ran and still want current are selected, and
/// every node gets the sums of their minimums (`sum_min`, and `sum_vip` of the VIPs). Returns
/// whether a point wants current and is not selected (a candidate for a start).
fn start_selection(
    cx: &Ctx<'_>,
    points: &[PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) -> bool {
    let Ctx { pcfg, ncfg, .. } = *cx;
    for n in nodes.iter_mut() {
        n.sum_min = [0; 3];
        n.sum_vip = [0; 3];
    }
    // Each selected point's minimum on its own node, then every node's sums into its ancestors
    // (tree.rs): the same sums as `add_min` for each point, without a walk up the tree per point.
    let mut waiting = false;
    for ((pc, p), w) in pcfg.iter().zip(points).zip(work.iter_mut()) {
        w.in_s = w.wants && p.run == Run::Running;
        waiting |= w.wants && !w.in_s;
        w.tried = false;
        if w.in_s {
            let v = per_phase(w.mask, w.min);
            add_own(nodes, pc.node, |n| &mut n.sum_min, v);
            if w.vip {
                add_own(nodes, pc.node, |n| &mut n.sum_vip, v);
            }
        }
    }
    sum_up(ncfg, nodes, cx.tree, |n| &mut n.sum_min);
    sum_up(ncfg, nodes, cx.tree, |n| &mut n.sum_vip);
    waiting
}

/// LB-13: once per interval, the point that has waited longest for current takes the place of
/// the point the shedding priority would shed next on the constraint it is short of, provided
/// that one has run its minimum run time (the waiting one is past its minimum pause, or it would
/// not be a candidate) and the swap lets the waiting point's start threshold fit. A VIP is never
/// rotated out for a non-VIP. At most one pair per interval; if no swap is possible when the
/// interval ends, it is tried again in each step until one is.
fn rotate(
    cx: &Ctx<'_>,
    last_rotation: &mut Stamp,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    let Ctx {
        g, st, pcfg, ncfg, ..
    } = *cx;
    let Some(interval) = g.rotation_interval_ms else {
        return;
    };
    if !st.passed(*last_rotation, interval) {
        return;
    }
    // The waiting point that waited longest, held only by lack of current.
    let mut best: Option<(u64, usize, u16)> = None;
    for (i, ((pc, p), w)) in pcfg.iter().zip(points.iter()).zip(work.iter()).enumerate() {
        if !w.wants || w.in_s || p.run != Run::Waiting {
            continue;
        }
        if start_hold(cx, p, i).is_some() {
            continue;
        }
        let Some(short) = shortfall(g, ncfg, nodes, pc, w) else {
            continue;
        };
        let key = (st.at(p.since), i, short);
        if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
            best = Some(key);
        }
    }
    let Some((_, wi, short)) = best else { return };
    // (No copy of the waiting point's working memory: it holds its step memo, hundreds of bytes.)
    let Some((w_vip, w_mask)) = work.get(wi).map(|w| (w.vip, w.mask)) else {
        return;
    };
    // The point the shedding priority would shed next on that node, past its minimum run.
    let min_run = g.timers.min_run_ms;
    let victim = next_to_shed(cx, points, work, usize::from(short), |p, w| {
        w.in_s
            && p.run == Run::Running
            && (w_vip || !w.vip)
            && w.mask & w_mask != 0
            && st.passed(p.since, min_run)
    });
    let Some(v) = victim else { return };
    let (Some(vc), Some(wc)) = (pcfg.get(v).copied(), pcfg.get(wi).copied()) else {
        return;
    };
    let Some(vw) = work.get_mut(v) else { return };
    vw.in_s = false;
    add_min(ncfg, nodes, &vc, vw, true);
    let fits = work
        .get(wi)
        .is_some_and(|ww| shortfall(g, ncfg, nodes, &wc, ww).is_none());
    if !fits {
        // The swap would not let the waiting point start: undo.
        if let Some(vw) = work.get_mut(v) {
            vw.in_s = true;
            add_min(ncfg, nodes, &vc, vw, false);
        }
        return;
    }
    if let (Some(vp), Some(vw)) = (points.get_mut(v), work.get_mut(v)) {
        vw.tried = true;
        vw.reason = AllocReason::Shed;
        vw.node = short;
        vp.run = Run::Waiting;
        vp.since = st.now;
        vp.put(bits::STOPPED | bits::SHED, true);
    }
    if let Some(w) = work.get_mut(wi) {
        w.in_s = true;
        w.tried = true;
        add_min(ncfg, nodes, &wc, w, false);
    }
    *last_rotation = st.now;
}

pub(crate) fn add_min(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeWork],
    pc: &PointConfig,
    p: &PointWork,
    sub: bool,
) {
    let v = per_phase(p.mask, p.min);
    add_on_constraints(ncfg, nodes, pc.node, |n| &mut n.sum_min, v, sub);
    if p.vip {
        add_on_constraints(ncfg, nodes, pc.node, |n| &mut n.sum_vip, v, sub);
    }
}

/// The first constraint whose selected minimums exceed its limit.
fn short_constraint(nodes: &[NodeWork]) -> Option<(usize, usize)> {
    nodes.iter().enumerate().find_map(|(i, n)| {
        n.sum_min
            .iter()
            .zip(n.lim)
            .position(|(s, l)| *s > l)
            .map(|ph| (i, ph))
    })
}

/// Whether point `a` (index `ia`) is shed before point `b` (LB-5, LB-6).
#[allow(clippy::too_many_arguments)]
fn shed_before(
    cx: &Ctx<'_>,
    a: &PointState,
    wa: &PointWork,
    ia: usize,
    b: &PointState,
    wb: &PointWork,
    ib: usize,
) -> bool {
    let Ctx { g, st, .. } = *cx;
    if wa.vip != wb.vip {
        return !wa.vip;
    }
    let mature = |p: &PointState| p.run == Run::Running && st.passed(p.since, g.timers.min_run_ms);
    let (ma, mb) = (mature(a), mature(b));
    if ma != mb {
        return ma;
    }
    match g.shed_priority {
        ShedPriority::ChargeDuration => {
            // A point selected this step (not yet running) started last.
            let start = |p: &PointState| {
                if p.run == Run::Running {
                    st.at(p.since)
                } else {
                    u64::MAX
                }
            };
            let (sa, sb) = (start(a), start(b));
            if sa != sb {
                return sa < sb;
            }
        }
        ShedPriority::EnergyDelivered => {
            if a.energy != b.energy {
                return (a.energy.mwh, a.energy.rem) > (b.energy.mwh, b.energy.rem);
            }
        }
    }
    ia > ib
}

/// Step 2 of the module doc: while some constraint is short, sheds the point the shedding order
/// sheds first among those loading it.
///
/// A constraint that fits stays fit here (minimums only go down), and the first short one stays
/// the first until it fits, so each constraint is taken once, in node then phase order: its
/// eligible points go into a heap (in the order slots) and are shed from the top until it fits.
/// A point shed for an earlier constraint no longer counts for a later one, which may fit by the
/// time it is reached. O(nodes) when nothing is short; otherwise, per short constraint, one pass
/// over the points, O(eligible) to build the heap and O(log N) per shed.
#[inline]
pub(crate) fn shed_until_fit(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    if let Some(short) = short_constraint(nodes) {
        shed_from(cx, points, work, nodes, short);
    }
}

/// `shed_until_fit` from its first short constraint `short` (node, phase) on.
#[inline(never)]
fn shed_from(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
    short: (usize, usize),
) {
    let count = cx.pcfg.len().min(points.len());
    if count <= SCAN_POINTS || count > HEAP_POINTS {
        // A few points: a scan per victim costs less than keys and a heap. Too many for the
        // slot key (not for a validated configuration, MAX_POINTS): the same, slowly.
        shed_by_scan(cx, points, work, nodes, short);
        return;
    }
    match cx.g.shed_priority {
        // The slot key is exact: its integer order is the shedding order.
        ShedPriority::ChargeDuration => {
            shed_by_heap(cx, points, work, nodes, short.0, |_, _, a, b| a < b);
        }
        ShedPriority::EnergyDelivered => {
            shed_by_heap(cx, points, work, nodes, short.0, |points, work, a, b| {
                if a >> INDEX_BITS != b >> INDEX_BITS {
                    return a < b;
                }
                // Equal whole mWh (or both capped): the full order decides.
                let (ia, ib) = (key_index(a), key_index(b));
                match (points.get(ia), work.get(ia), points.get(ib), work.get(ib)) {
                    (Some(pa), Some(wa), Some(pb), Some(wb)) => {
                        shed_before(cx, pa, wa, ia, pb, wb, ib)
                    }
                    _ => a < b,
                }
            });
        }
    }
}

/// `shed_until_fit` one victim at a time, each found by a scan of every point: O(sheds × N).
/// `short` is the first short constraint. Ends, since each round sheds a selected point.
fn shed_by_scan(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
    mut short: (usize, usize),
) {
    loop {
        let (node, ph) = short;
        let victim = next_to_shed(cx, points, work, node, |_, w| {
            w.in_s && w.mask & (1 << ph) != 0
        });
        let Some(v) = victim else { return };
        if !shed_one(cx, points, work, nodes, v, node) {
            return;
        }
        let Some(next) = short_constraint(nodes) else {
            return;
        };
        short = next;
    }
}

/// `shed_until_fit` with a heap per short constraint, from node `first` (the first short one)
/// on. `first_of(points, a, b)`: whether the point of slot key `a` is shed before that of `b`.
fn shed_by_heap(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
    first: usize,
    first_of: impl Fn(&[PointState], &[PointWork], u64, u64) -> bool + Copy,
) {
    let Ctx { pcfg, ncfg, .. } = *cx;
    let count = pcfg.len().min(points.len());
    for node in first..nodes.len() {
        // A validated tree has one root, and every node lies beneath it.
        let root = ncfg.get(node).is_some_and(|n| n.parent.is_none());
        for ph in 0..3usize {
            if !is_short(nodes, node, ph) {
                continue;
            }
            // The eligible points, as a heap whose top is the one shed first.
            let bit = 1u8 << ph;
            let mut end = 0usize;
            for i in 0..count {
                let (Some(pc), Some(p), Some(w)) = (pcfg.get(i), points.get(i), work.get(i)) else {
                    break;
                };
                if !w.in_s
                    || w.mask & bit == 0
                    || !(root || is_beneath(ncfg, usize::from(pc.node), node))
                {
                    continue;
                }
                let key = shed_key(cx, p, w, i);
                High::set(work, end, key);
                end = end.saturating_add(1);
            }
            heapify::<High>(points, work, end, first_of);
            while is_short(nodes, node, ph) {
                if end == 0 {
                    // Nothing left to shed on the first short constraint: as the one-at-a-time
                    // search, stop there.
                    return;
                }
                end = end.saturating_sub(1);
                let top = pop::<High>(points, work, end, first_of);
                if !shed_one(cx, points, work, nodes, key_index(top), node) {
                    return;
                }
            }
        }
    }
}

/// Whether the selected minimums exceed the limit of constraint (`node`, `ph`).
fn is_short(nodes: &[NodeWork], node: usize, ph: usize) -> bool {
    nodes.get(node).is_some_and(|n| {
        let s = n.sum_min.get(ph).copied().unwrap_or(0);
        n.lim.get(ph).is_some_and(|l| s > *l)
    })
}

/// Sheds point `v` on `node`; `false` if there is no such point.
fn shed_one(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
    v: usize,
    node: usize,
) -> bool {
    let Ctx { st, pcfg, ncfg, .. } = *cx;
    let (Some(pc), Some(p), Some(w)) = (pcfg.get(v), points.get_mut(v), work.get_mut(v)) else {
        return false;
    };
    w.in_s = false;
    w.tried = true;
    add_min(ncfg, nodes, pc, w, true);
    w.reason = AllocReason::Shed;
    w.node = u16::try_from(node).unwrap_or(NO_NODE);
    if p.run == Run::Running {
        p.run = Run::Waiting;
        p.since = st.now;
        p.put(bits::STOPPED | bits::SHED, true);
    }
    true
}

/// The point beneath `node`, among those `eligible`, that the shedding order sheds first.
fn next_to_shed(
    cx: &Ctx<'_>,
    points: &[PointState],
    work: &[PointWork],
    node: usize,
    eligible: impl Fn(&PointState, &PointWork) -> bool,
) -> Option<usize> {
    let Ctx { pcfg, ncfg, .. } = *cx;
    let mut victim: Option<(usize, &PointState, &PointWork)> = None;
    for (i, ((pc, p), w)) in pcfg.iter().zip(points.iter()).zip(work.iter()).enumerate() {
        if !eligible(p, w) || !is_beneath(ncfg, usize::from(pc.node), node) {
            continue;
        }
        if victim.is_none_or(|(v, vp, vw)| shed_before(cx, p, w, i, vp, vw, v)) {
            victim = Some((i, p, w));
        }
    }
    victim.map(|(v, _, _)| v)
}

#[cfg(test)]
mod tests;
