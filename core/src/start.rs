//! Step 3 of the selection (`shed.rs`): the starts of the waiting points, VIP first, then the
//! one waiting longest, each when its start threshold fits (LB-6, LB-5), none during its
//! minimum pause (LB-6) or start stagger (SU-1).

use crate::config::{MAX_DEPTH, NodeConfig, PointConfig};
use crate::general::{General, start_threshold};
use crate::io::NO_NODE;
use crate::order::{slot_point, sort_slots};
use crate::shed::{add_min, shed_until_fit};
use crate::state::{PointState, bits};
use crate::step::Ctx;
use crate::tree::{add_own, per_phase, sum_up};
use crate::types::AllocReason;
use crate::work::{NodeWork, PointWork};

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

/// Step 3 of `shed.rs`'s module doc: the waiting points that may start, all at once where they
/// all fit (`all_fit`), else one at a time in their order.
pub(crate) fn start_waiting(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    let m = candidates(cx, points, work, nodes);
    if m == 0 {
        return;
    }
    // (One candidate alone is tried as quickly.)
    if m > 1 && all_fit(cx, work, nodes, m) {
        // Every candidate's threshold fits over the minimums selected before it, whatever the
        // order: all start, and the minimums they add are the sums just made.
        for k in 0..m {
            let Some(i) = work.get(k).map(slot_point) else {
                break;
            };
            if let Some(w) = work.get_mut(i) {
                w.tried = true;
                w.in_s = true;
            }
        }
        for n in nodes.iter_mut() {
            for (s, c) in n.sum_min.iter_mut().zip(n.cnt) {
                *s = s.saturating_add(c);
            }
        }
        return;
    }
    one_at_a_time(cx, points, work, nodes, m);
}

/// The `m` candidates in the order slots tried one at a time, in their order (`start_waiting`).
#[inline(always)]
pub(crate) fn one_at_a_time(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
    m: usize,
) {
    let Ctx { g, pcfg, ncfg, .. } = *cx;
    sort_slots(work, m);
    for k in 0..m {
        let Some(i) = work.get(k).map(slot_point) else {
            break;
        };
        let (Some(pc), Some(w)) = (pcfg.get(i), work.get_mut(i)) else {
            continue;
        };
        w.tried = true;
        if w.in_s {
            continue;
        }
        if let Some(n) = shortfall(g, ncfg, nodes, pc, w) {
            w.reason = AllocReason::Shed;
            w.node = n;
            continue;
        }
        w.in_s = true;
        add_min(ncfg, nodes, pc, w, false);
        if w.vip {
            shed_until_fit(cx, points, work, nodes);
        }
    }
}

/// The first part of step 3 (`start_waiting`): the candidates go into the order slots (slot k
/// lives in `work[k].order`), VIP first, then waiting longest, then lowest index; points held by
/// their pause or stagger say so, or "shed" if current would not be there anyway. Returns the
/// number of candidates.
#[inline(always)]
pub(crate) fn candidates(
    cx: &Ctx<'_>,
    points: &[PointState],
    work: &mut [PointWork],
    nodes: &[NodeWork],
) -> usize {
    let Ctx { g, pcfg, ncfg, .. } = *cx;
    let mut m = 0usize;
    for i in 0..points.len() {
        let (Some(p), Some(w)) = (points.get(i), work.get(i)) else {
            break;
        };
        if !w.wants || w.in_s || w.tried {
            continue;
        }
        if let Some((why, _)) = start_hold(cx, p, i) {
            let short = pcfg.get(i).and_then(|pc| shortfall(g, ncfg, nodes, pc, w));
            if let Some(w) = work.get_mut(i) {
                w.tried = true;
                (w.reason, w.node) = match short {
                    Some(n) => (AllocReason::Shed, n),
                    None => (why, NO_NODE),
                };
            }
            continue;
        }
        // One integer (index < 2^16).
        let key = (u64::from(!w.vip) << 48) | (u64::from(p.since.0) << 16) | (i as u64);
        if let Some(slot) = work.get_mut(m) {
            slot.order = key;
        }
        m = m.saturating_add(1);
    }
    m
}

/// Whether the start threshold of each of the `m` candidates (in the order slots) fits on every
/// constraint it loads over the minimums selected and those of all the other candidates: then
/// each fits in `start_waiting`'s order, or in any order, as over it lie at most the others'
/// minimums. `cnt` (free here: the water-filling writes it before it reads it) gets the
/// candidates' minimums on every node; `over_min` is the most a threshold exceeds its minimum.
/// False where a VIP is among them (it may shed: one at a time) or a minimum is 0 (`cnt` then
/// would not show that the candidate loads a constraint).
fn all_fit(cx: &Ctx<'_>, work: &[PointWork], nodes: &mut [NodeWork], m: usize) -> bool {
    for n in nodes.iter_mut() {
        n.cnt = [0; 3];
    }
    let mut over_min = 0u32;
    for slot in work.get(..m).unwrap_or(&[]) {
        let i = slot_point(slot);
        let (Some(pc), Some(w)) = (cx.pcfg.get(i), work.get(i)) else {
            return false;
        };
        if w.vip || w.min == 0 {
            return false;
        }
        over_min =
            over_min.max(start_threshold(&cx.g.thresholds, w.min, w.ceil).saturating_sub(w.min));
        add_own(nodes, pc.node, |n| &mut n.cnt, per_phase(w.mask, w.min));
    }
    sum_up(cx.ncfg, nodes, cx.tree, |n| &mut n.cnt);
    nodes.iter().all(|n| {
        n.cnt
            .iter()
            .zip(n.sum_min)
            .zip(n.lim)
            .all(|((c, s), l)| *c == 0 || s.saturating_add(*c).saturating_add(over_min) <= l)
    })
}

/// The first node on which a waiting point's start threshold (LB-6) does not fit over the
/// minimums already selected (only the VIP minimums for a VIP, LB-5), or `None` if it fits.
/// Out of line: inlined at its four callers it added 7 KB of text to the firmware library.
#[inline(never)]
pub(crate) fn shortfall(
    g: &General,
    ncfg: &[NodeConfig],
    nodes: &[NodeWork],
    pc: &PointConfig,
    p: &PointWork,
) -> Option<u16> {
    let thr = start_threshold(&g.thresholds, p.min, p.ceil);
    let mut cur = Some(pc.node);
    for _ in 0..MAX_DEPTH {
        let n = cur?;
        if let Some(ns) = nodes.get(usize::from(n)) {
            let base = if p.vip { &ns.sum_vip } else { &ns.sum_min };
            for (ph, (b, l)) in base.iter().zip(ns.lim).enumerate() {
                if p.mask & (1 << ph) != 0 && b.saturating_add(thr) > l {
                    return Some(n);
                }
            }
        }
        cur = ncfg.get(usize::from(n)).and_then(|x| x.parent);
    }
    None
}
