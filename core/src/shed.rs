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
//!    step 2 then does.
//!
//! A point selected here may still have to wait for its current while other EVs reduce (LB-9,
//! in `step.rs`).

use crate::balance::{add_on_constraints, for_each_ancestor, phases};
use crate::config::{General, NodeConfig, PointConfig, ShedPriority, is_beneath, start_threshold};
use crate::io::NO_NODE;
use crate::state::{NodeState, PointState, Run, Stamp, bits};
use crate::step::Ctx;
use crate::tree::{add_own, sum_up};
use crate::types::AllocReason;

/// Runs the selection into `w.in_s` (see the module doc). Points shed here are marked stopped.
pub(crate) fn select(
    cx: &Ctx<'_>,
    last_rotation: &mut Stamp,
    points: &mut [PointState],
    nodes: &mut [NodeState],
) {
    let Ctx { pcfg, ncfg, .. } = *cx;
    for n in nodes.iter_mut() {
        n.sum_min = [0; 3];
        n.sum_vip = [0; 3];
    }
    for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
        p.w.in_s = p.w.wants && p.run == Run::Running;
        p.w.tried = false;
        if p.w.in_s {
            let v = [0u8, 1, 2].map(|ph| {
                if p.w.mask & (1 << ph) != 0 {
                    p.w.min
                } else {
                    0
                }
            });
            add_own(nodes, pc.node, |n| &mut n.sum_min, v);
            if p.w.vip {
                add_own(nodes, pc.node, |n| &mut n.sum_vip, v);
            }
        }
    }
    sum_up(ncfg, nodes, cx.max_depth, |n| &mut n.sum_min);
    sum_up(ncfg, nodes, cx.max_depth, |n| &mut n.sum_vip);
    shed_until_fit(cx, points, nodes);
    rotate(cx, last_rotation, points, nodes);
    start_waiting(cx, points, nodes);
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
    nodes: &mut [NodeState],
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
    for (i, (pc, p)) in pcfg.iter().zip(points.iter()).enumerate() {
        if !p.w.wants || p.w.in_s || p.run != Run::Waiting {
            continue;
        }
        if start_hold(cx, p, i).is_some() {
            continue;
        }
        let Some(short) = shortfall(g, ncfg, nodes, pc, p) else {
            continue;
        };
        let key = (st.at(p.since), i, short);
        if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
            best = Some(key);
        }
    }
    let Some((_, w, short)) = best else { return };
    let Some(wp) = points.get(w).copied() else {
        return;
    };
    // The point the shedding priority would shed next on that node, past its minimum run.
    let min_run = g.timers.min_run_ms;
    let victim = next_to_shed(cx, points, usize::from(short), |p| {
        p.w.in_s
            && p.run == Run::Running
            && (wp.w.vip || !p.w.vip)
            && p.w.mask & wp.w.mask != 0
            && st.passed(p.since, min_run)
    });
    let Some(v) = victim else { return };
    let (Some(vc), Some(wc)) = (pcfg.get(v).copied(), pcfg.get(w).copied()) else {
        return;
    };
    let Some(vp) = points.get_mut(v) else { return };
    vp.w.in_s = false;
    let vcopy = *vp;
    add_min(ncfg, nodes, &vc, &vcopy, true);
    if shortfall(g, ncfg, nodes, &wc, &wp).is_some() {
        // The swap would not let the waiting point start: undo.
        if let Some(vp) = points.get_mut(v) {
            vp.w.in_s = true;
        }
        add_min(ncfg, nodes, &vc, &vcopy, false);
        return;
    }
    if let Some(vp) = points.get_mut(v) {
        vp.w.tried = true;
        vp.w.reason = AllocReason::Shed;
        vp.w.node = short;
        vp.run = Run::Waiting;
        vp.since = st.now;
        vp.put(bits::STOPPED | bits::SHED, true);
    }
    if let Some(wp) = points.get_mut(w) {
        wp.w.in_s = true;
        wp.w.tried = true;
    }
    add_min(ncfg, nodes, &wc, &wp, false);
    *last_rotation = st.now;
}

fn add_min(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeState],
    pc: &PointConfig,
    p: &PointState,
    sub: bool,
) {
    add_on_constraints(
        ncfg,
        nodes,
        pc.node,
        p.w.mask,
        |n| &mut n.sum_min,
        p.w.min,
        sub,
    );
    if p.w.vip {
        add_on_constraints(
            ncfg,
            nodes,
            pc.node,
            p.w.mask,
            |n| &mut n.sum_vip,
            p.w.min,
            sub,
        );
    }
}

/// The first constraint whose selected minimums exceed its limit.
fn short_constraint(nodes: &[NodeState]) -> Option<(usize, usize)> {
    nodes.iter().enumerate().find_map(|(i, n)| {
        n.sum_min
            .iter()
            .zip(n.lim)
            .position(|(s, l)| *s > l)
            .map(|ph| (i, ph))
    })
}

/// Whether point `a` (index `ia`) is shed before point `b` (LB-5, LB-6).
fn shed_before(cx: &Ctx<'_>, a: &PointState, ia: usize, b: &PointState, ib: usize) -> bool {
    let Ctx { g, st, .. } = *cx;
    if a.w.vip != b.w.vip {
        return !a.w.vip;
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

fn shed_until_fit(cx: &Ctx<'_>, points: &mut [PointState], nodes: &mut [NodeState]) {
    let Ctx { st, pcfg, ncfg, .. } = *cx;
    let mut guard = points.len().saturating_add(1);
    while guard > 0 {
        guard = guard.saturating_sub(1);
        let Some((node, ph)) = short_constraint(nodes) else {
            return;
        };
        let victim = next_to_shed(cx, points, node, |p| p.w.in_s && p.w.mask & (1 << ph) != 0);
        let Some(v) = victim else { return };
        let (Some(pc), Some(p)) = (pcfg.get(v), points.get_mut(v)) else {
            return;
        };
        p.w.in_s = false;
        p.w.tried = true;
        add_min(ncfg, nodes, pc, p, true);
        p.w.reason = AllocReason::Shed;
        p.w.node = u16::try_from(node).unwrap_or(NO_NODE);
        if p.run == Run::Running {
            p.run = Run::Waiting;
            p.since = st.now;
            p.put(bits::STOPPED | bits::SHED, true);
        }
    }
}

/// The point beneath `node`, among those `eligible`, that the shedding order sheds first.
fn next_to_shed(
    cx: &Ctx<'_>,
    points: &[PointState],
    node: usize,
    eligible: impl Fn(&PointState) -> bool,
) -> Option<usize> {
    let Ctx { pcfg, ncfg, .. } = *cx;
    let mut victim: Option<(usize, &PointState)> = None;
    for (i, (pc, p)) in pcfg.iter().zip(points.iter()).enumerate() {
        if !eligible(p) || !is_beneath(ncfg, usize::from(pc.node), node) {
            continue;
        }
        if victim.is_none_or(|(v, vp)| shed_before(cx, p, i, vp, v)) {
            victim = Some((i, p));
        }
    }
    victim.map(|(v, _)| v)
}

/// Whether the minimum pause (LB-6) or the start stagger (SU-1) still holds a waiting point.
pub(crate) fn start_hold(cx: &Ctx<'_>, p: &PointState, index: usize) -> Option<(AllocReason, u64)> {
    let Ctx { g, st, .. } = *cx;
    if p.has(bits::STOPPED) && !st.passed(p.since, g.timers.min_pause_ms) {
        let until = st
            .at(p.since)
            .saturating_add(u64::from(g.timers.min_pause_ms));
        return Some((AllocReason::MinimumPause, until));
    }
    let k = u32::try_from(index).unwrap_or(u32::MAX);
    // SU-1: at the first step every pilot shows +12 V, so nothing starts before 1 ms has passed.
    let stagger = g.timers.stagger_ms.saturating_mul(k).max(1);
    if !st.passed(st.start, stagger) {
        let until = st.at(st.start).saturating_add(u64::from(stagger));
        return Some((AllocReason::Stagger, until));
    }
    None
}

fn start_waiting(cx: &Ctx<'_>, points: &mut [PointState], nodes: &mut [NodeState]) {
    let Ctx { g, pcfg, ncfg, .. } = *cx;
    // Candidates go into the order slots (slot k lives in points[k].w.order); points held by
    // their pause or stagger say so, or "shed" if current would not be there anyway.
    let mut m = 0usize;
    for i in 0..points.len() {
        let Some(p) = points.get(i) else { break };
        if !p.w.wants || p.w.in_s || p.w.tried {
            continue;
        }
        if let Some((why, _)) = start_hold(cx, p, i) {
            let short = pcfg.get(i).and_then(|pc| shortfall(g, ncfg, nodes, pc, p));
            if let Some(p) = points.get_mut(i) {
                p.w.tried = true;
                (p.w.reason, p.w.node) = match short {
                    Some(n) => (AllocReason::Shed, n),
                    None => (why, NO_NODE),
                };
            }
            continue;
        }
        // VIP first, then waiting longest, then lowest index, as one integer (index < 2^16).
        let key = (u64::from(!p.w.vip) << 48) | (u64::from(p.since.0) << 16) | (i as u64);
        if let Some(slot) = points.get_mut(m) {
            slot.w.order = key;
        }
        m = m.saturating_add(1);
    }
    sort_slots(points, m);
    for k in 0..m {
        let Some(i) = points.get(k).map(|slot| (slot.w.order & 0xFFFF) as usize) else {
            break;
        };
        let (Some(pc), Some(p)) = (pcfg.get(i), points.get_mut(i)) else {
            continue;
        };
        p.w.tried = true;
        if p.w.in_s {
            continue;
        }
        if let Some(n) = shortfall(g, ncfg, nodes, pc, p) {
            p.w.reason = AllocReason::Shed;
            p.w.node = n;
            continue;
        }
        p.w.in_s = true;
        let (pc, p_copy) = (*pc, *p);
        add_min(ncfg, nodes, &pc, &p_copy, false);
        if p_copy.w.vip {
            shed_until_fit(cx, points, nodes);
        }
    }
}

/// Heap-sorts the first `m` order slots (`points[k].w.order`): O(m log m), in place, no
/// allocation.
fn sort_slots(points: &mut [PointState], m: usize) {
    let key_at = |points: &[PointState], slot: usize| points.get(slot).map_or(0, |p| p.w.order);
    let sift_down = |points: &mut [PointState], mut root: usize, end: usize| loop {
        let child = root.saturating_mul(2).saturating_add(1);
        if child >= end {
            return;
        }
        let mut top = root;
        if key_at(points, top) < key_at(points, child) {
            top = child;
        }
        let right = child.saturating_add(1);
        if right < end && key_at(points, top) < key_at(points, right) {
            top = right;
        }
        if top == root {
            return;
        }
        swap_slots(points, root, top);
        root = top;
    };
    let mut start = m / 2;
    while start > 0 {
        start = start.saturating_sub(1);
        sift_down(points, start, m);
    }
    let mut end = m;
    while end > 1 {
        end = end.saturating_sub(1);
        swap_slots(points, 0, end);
        sift_down(points, 0, end);
    }
}

fn swap_slots(points: &mut [PointState], a: usize, b: usize) {
    let (Some(x), Some(y)) = (
        points.get(a).map(|p| p.w.order),
        points.get(b).map(|p| p.w.order),
    ) else {
        return;
    };
    if let Some(p) = points.get_mut(a) {
        p.w.order = y;
    }
    if let Some(p) = points.get_mut(b) {
        p.w.order = x;
    }
}

/// The first node on which a waiting point's start threshold (LB-6) does not fit over the
/// minimums already selected (only the VIP minimums for a VIP, LB-5), or `None` if it fits.
fn shortfall(
    g: &General,
    ncfg: &[NodeConfig],
    nodes: &[NodeState],
    pc: &PointConfig,
    p: &PointState,
) -> Option<u16> {
    let thr = start_threshold(&g.thresholds, p.w.min, p.w.ceil);
    let mut short: Option<usize> = None;
    for_each_ancestor(ncfg, pc.node, |n| {
        if short.is_some() {
            return;
        }
        if let Some(ns) = nodes.get(n) {
            let base = if p.w.vip { ns.sum_vip } else { ns.sum_min };
            for ph in phases(p.w.mask) {
                let b = base.get(ph).copied().unwrap_or(u32::MAX);
                let l = ns.lim.get(ph).copied().unwrap_or(0);
                if b.saturating_add(thr) > l {
                    short = Some(n);
                    return;
                }
            }
        }
    });
    short.map(|n| u16::try_from(n).unwrap_or(NO_NODE))
}
