//! Counting the points against the tree (LB-9): measured and allocated currents per node and
//! phase, and the immediate stop of the points drawing most above their signal when a node stays
//! over its limit; the safe transfer of the targets to the allocations under those counts
//! (LB-9), with the rise interval (PS-5).

use crate::balance::{add_on_constraints, for_each_ancestor};
use crate::general::is_beneath;
use crate::io::NO_NODE;
use crate::state::{NodeState, PointState, Run, bits};
use crate::step::Ctx;
use crate::tree::{add_own, sum_up};
use crate::types::{AllocReason, StationErrors};
use crate::work::{NodeWork, PointWork};

/// LB-9: a node whose measured total stays above its limit beyond the response time stops the
/// points drawing most above their signal, at once, until it fits.
///
/// `nwork[..].used` holds the measured totals per node and phase (summed by the step's first
/// pass). The usual case, every node within its limits, is told by one pass over the nodes.
/// Returns whether a node is over a limit. Only a node over beyond the response time runs the
/// stops, and sets `StationErrors::OVERLOAD`: one over within it changes its own timer alone
/// (`NodeState::over`), which nothing after this reads (the station's memo holds through it).
#[inline]
pub(crate) fn node_overload(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeState],
    nwork: &mut [NodeWork],
    errors: &mut StationErrors,
) -> bool {
    let mut any_over = false;
    for (ns, nw) in nodes.iter_mut().zip(nwork.iter()) {
        if nw.used.iter().zip(nw.lim).all(|(u, l)| *u <= l) {
            ns.over = 0;
        } else {
            any_over = true;
        }
    }
    if any_over {
        overload_stops(cx, points, work, nodes, nwork, errors);
    }
    any_over
}

/// `node_overload` where a node is over a limit.
#[inline(never)]
fn overload_stops(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeState],
    nwork: &mut [NodeWork],
    errors: &mut StationErrors,
) {
    let Ctx {
        g, st, pcfg, ncfg, ..
    } = *cx;
    for ni in 0..nodes.len() {
        for ph in 0..3usize {
            let (Some(ns), Some(nw)) = (nodes.get_mut(ni), nwork.get(ni)) else {
                continue;
            };
            let (Some(&used), Some(&lim)) = (nw.used.get(ph), nw.lim.get(ph)) else {
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
                    *s = st.now;
                }
                continue;
            }
            let since = ns.over_since.get(ph).copied().unwrap_or_default();
            if !st.passed(since, g.timers.ev_response_ms) {
                continue;
            }
            *errors |= StationErrors::OVERLOAD;
            let mut guard = pcfg.len();
            while nwork
                .get(ni)
                .and_then(|n| n.used.get(ph))
                .is_some_and(|u| *u > lim)
                && guard > 0
            {
                guard = guard.saturating_sub(1);
                // The point beneath drawing most above its signal on this phase.
                let mut worst: Option<(u32, usize)> = None;
                for (i, ((pc, p), w)) in pcfg.iter().zip(points.iter()).zip(work.iter()).enumerate()
                {
                    if p.has(bits::OVERCURRENT) && w.immediate {
                        continue;
                    }
                    let beneath = is_beneath(ncfg, usize::from(pc.node), ni);
                    let m = w.measured.get(ph).copied().unwrap_or(0);
                    let sig = if w.mask & bit != 0 { p.offer_ma } else { 0 };
                    let above = m.saturating_sub(sig);
                    if beneath && w.has_meas && above > 0 && worst.is_none_or(|x| above > x.0) {
                        worst = Some((above, i));
                    }
                }
                let Some((_, v)) = worst else { break };
                let (Some(pc), Some(p), Some(w)) =
                    (pcfg.get(v), points.get_mut(v), work.get_mut(v))
                else {
                    break;
                };
                p.put(bits::OVERCURRENT, true);
                w.immediate = true;
                w.wants = false;
                w.reason = AllocReason::EvOverCurrent;
                // Its current no longer counts on any phase of any node above it.
                let v = counts(p.alloc_ma, w, false);
                add_on_constraints(ncfg, nwork, pc.node, |n| &mut n.used, v, true);
            }
        }
    }
}

/// What a point counts on each supply phase (LB-9) at allocation `alloc_ma`: the larger of
/// its allocation there and its measured current (its allocation alone without a measurement;
/// with `lb9` false, its measured current alone where it has one).
#[inline]
pub(crate) fn counts(alloc_ma: u32, w: &PointWork, lb9: bool) -> [u32; 3] {
    let a = alloc_ma;
    let mask = w.mask;
    let m = w.measured;
    let mut v = [0u32; 3];
    for (ph, (out, mv)) in v.iter_mut().zip(m).enumerate() {
        let al = if mask & (1 << ph) != 0 { a } else { 0 };
        *out = if !w.has_meas {
            al
        } else if lb9 {
            al.max(mv)
        } else {
            mv
        };
    }
    v
}

/// Applies the targets: reductions at once, rises by the rise interval (PS-5) and only by what
/// is free under the LB-9 count on every constraint above the point. Returns whether it read
/// the LB-9 counts (some point was free to rise), the only part of the passes after the
/// preparation that reads the measured currents where no LB-9 stops ran. The points held by the
/// rise interval are marked here, so that `rise` (and its prologue) runs only where one is free.
/// (Out of line: inlined with that check, the step's usual path at 1024 points cost 1.4 % more.)
#[inline(never)]
pub(crate) fn transfer(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) -> bool {
    let Ctx { g, st, .. } = *cx;
    let mut rises = false;
    for (p, w) in points.iter_mut().zip(work.iter_mut()) {
        p.alloc_ma = if w.in_s && p.run == Run::Running {
            p.alloc_ma.min(w.target)
        } else {
            0
        };
        w.rises = w.in_s && w.target > p.alloc_ma;
        // Points held by the rise interval first: they change no count, so the counts are
        // needed only if some point may rise now. A point whose minimum rose with its phase
        // mode (LB-12) is below its minimum: it is brought up to it like a start, or stopped
        // below (LB-3).
        if w.rises
            && p.run == Run::Running
            && p.alloc_ma >= w.min
            && !st.passed(p.last_rise, g.timers.rise_interval_ms)
        {
            w.reason = AllocReason::RateLimit;
            w.node = NO_NODE;
            w.rises = false;
        }
        rises |= w.rises;
    }
    if rises {
        rise(cx, points, work, nodes);
    }
    rises
}

/// The rises of `transfer`: the points marked `rises` (target above allocation, not held by the
/// rise interval), under the LB-9 counts.
#[inline(never)]
fn rise(cx: &Ctx<'_>, points: &mut [PointState], work: &mut [PointWork], nodes: &mut [NodeWork]) {
    let Ctx { st, pcfg, ncfg, .. } = *cx;
    for n in nodes.iter_mut() {
        n.used = [0; 3];
    }
    for ((pc, p), w) in pcfg.iter().zip(points.iter()).zip(work.iter()) {
        add_own(nodes, pc.node, |n| &mut n.used, counts(p.alloc_ma, w, true));
    }
    sum_up(ncfg, nodes, cx.tree, |n| &mut n.used);
    for ((pc, p), w) in pcfg.iter().zip(points.iter_mut()).zip(work.iter_mut()) {
        if !w.rises {
            continue;
        }
        // The most this point may have: its allocation plus what is free on each constraint
        // under the count, its own count (max(allocation, measured)) included. An EV that draws
        // above its allocation does not make room for its own rise (LB-9: raised only by what is
        // free, so never while a count above it is over its limit).
        let mut x_max = u32::MAX;
        let mut at = NO_NODE;
        for_each_ancestor(ncfg, pc.node, |n| {
            if let Some(ns) = nodes.get(n) {
                for (ph, (used, lim)) in ns.used.iter().zip(ns.lim).enumerate() {
                    if w.mask & (1 << ph) == 0 {
                        continue;
                    }
                    let most = p.alloc_ma.saturating_add(lim.saturating_sub(*used));
                    if most < x_max {
                        x_max = most;
                        at = u16::try_from(n).unwrap_or(NO_NODE);
                    }
                }
            }
        });
        let x = w.target.min(x_max);
        if x < w.target {
            w.reason = AllocReason::Transfer;
            w.node = at;
        }
        if x <= p.alloc_ma || x < w.min {
            continue;
        }
        let (before, after) = (counts(p.alloc_ma, w, true), counts(x, w, true));
        let mut delta = [0u32; 3];
        for ((d, b), a) in delta.iter_mut().zip(before).zip(after) {
            *d = a.saturating_sub(b);
        }
        add_on_constraints(ncfg, nodes, pc.node, |n| &mut n.used, delta, false);
        p.alloc_ma = x;
        p.last_rise = st.now;
        if p.run != Run::Running {
            if p.has(bits::STOPPED) {
                // A resume within the session: one wake-up may follow (PS-7).
                p.put(bits::RESUMED, true);
                p.put(bits::WOKEN, false);
            }
            p.run = Run::Running;
            p.since = st.now;
            p.put(bits::SHED | bits::BELOW_IDLE | bits::IDLE, false);
        }
    }
}
