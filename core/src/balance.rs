//! The limit tree and the max–min fair target allocation (TREE-1, LB-1, LB-4, LB-12).
//!
//! Every (node, supply phase) pair is a constraint. A point loads the constraints of its node and
//! of every ancestor, on the supply phases of its charge (one for a single-phase charge, all three
//! for a three-phase one, LB-12).
//!
//! The target of LB-4 is defined operationally, and computed here in whole mA: every selected
//! point starts at its minimum; then, VIP points first (non-VIP points held at their minimum), then
//! the others (VIP points held), the lowest points are raised together one mA per round, in index
//! order, each as long as its ceiling and every constraint it loads have room; a point that cannot
//! take its mA stops there. So shares are equal where they can be, unused room goes to the others,
//! and the mA that do not divide evenly go one each to the lowest-indexed points. The code below
//! takes whole rounds in one stride and walks a round mA by mA only where a constraint is short.

use crate::config::{MAX_DEPTH, NodeConfig, PointConfig};
use crate::io::NO_NODE;
use crate::tree::{Tree, add_own, per_phase, sum_up};
use crate::types::AllocReason;
use crate::work::{FillMemo, NodeWork, PointWork};

/// Calls `f` with the index of `node` and of each of its ancestors, nearest first.
#[inline]
pub(crate) fn for_each_ancestor(nodes: &[NodeConfig], node: u16, mut f: impl FnMut(usize)) {
    let mut cur = Some(node);
    for _ in 0..MAX_DEPTH {
        let Some(n) = cur else { return };
        let n = usize::from(n);
        f(n);
        cur = nodes.get(n).and_then(|x| x.parent);
    }
}

/// Phases (0..3) set in a 3-bit mask.
#[inline]
pub(crate) fn phases(mask: u8) -> impl Iterator<Item = usize> {
    (0..3usize).filter(move |ph| mask & (1 << ph) != 0)
}

/// Adds `delta` (per supply phase; subtracts it with `sub`) to `field` of `node` and of every
/// ancestor, in one walk up the tree.
#[inline]
pub(crate) fn add_on_constraints(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeWork],
    node: u16,
    field: fn(&mut NodeWork) -> &mut [u32; 3],
    delta: [u32; 3],
    sub: bool,
) {
    for_each_ancestor(ncfg, node, |n| {
        if let Some(ns) = nodes.get_mut(n) {
            for (v, d) in field(ns).iter_mut().zip(delta) {
                *v = if sub {
                    v.saturating_sub(d)
                } else {
                    v.saturating_add(d)
                };
            }
        }
    });
}

/// The partial round's mA for one point: if every constraint it loads has room for 1 mA, takes
/// it on each and returns `None`; otherwise takes nothing and returns the first full constraint,
/// nearest node first and phases in order (node, phase).
#[inline]
fn take_one(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeWork],
    node: u16,
    mask: u8,
) -> Option<(u16, usize)> {
    let mut path = [0u16; MAX_DEPTH];
    let mut len = 0usize;
    let mut cur = Some(node);
    while let Some(n) = cur {
        if len >= MAX_DEPTH {
            break;
        }
        if let Some(ns) = nodes.get(usize::from(n)) {
            for (ph, (u, l)) in ns.used.iter().zip(ns.lim).enumerate() {
                if mask & (1 << ph) != 0 && *u >= l {
                    return Some((n, ph));
                }
            }
        }
        if let Some(slot) = path.get_mut(len) {
            *slot = n;
        }
        len = len.saturating_add(1);
        cur = ncfg.get(usize::from(n)).and_then(|x| x.parent);
    }
    for &n in path.get(..len).unwrap_or(&[]) {
        if let Some(ns) = nodes.get_mut(usize::from(n)) {
            for (ph, u) in ns.used.iter_mut().enumerate() {
                if mask & (1 << ph) != 0 {
                    *u = u.saturating_add(1);
                }
            }
        }
    }
    None
}

/// The reason a node gives when it binds a point on phase `ph`.
pub(crate) fn node_reason(nodes: &[NodeWork], node: u16, ph: usize) -> AllocReason {
    nodes
        .get(usize::from(node))
        .and_then(|n| n.lim_reason.get(ph).copied())
        .unwrap_or(AllocReason::NodeLimit)
}

/// Computes the LB-4 target of every point whose work has `in_s`, into its `target`, with the
/// binding constraint in its `reason` / `node`.
///
/// Precondition: the minimums of the selected points fit every constraint (the selection of
/// `shed.rs` guarantees it), and `nodes[..].lim` holds this step's limits.
///
/// The result is a function of what this reads alone: per point its node, whether it is
/// selected and, if so, its minimum, ceiling (with its reason), phases and VIP mark; per node its
/// parent and limits (with their reasons). When all of them equal the memo that the last
/// computation left in the working memory (`FillMemo`), every part of it with the same mark,
/// the memo's result is used as it is; a computation leaves its memo with `mark` (0: none).
#[inline]
pub(crate) fn fill(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    tree: Tree,
    points: &mut [PointWork],
    nodes: &mut [NodeWork],
    mark: u32,
) {
    if memo_holds(pcfg, ncfg, points, nodes) {
        for p in points.iter_mut() {
            if p.in_s {
                p.target = p.memo.target;
                p.reason = p.memo.reason;
                p.node = p.memo.node;
            } else {
                p.target = 0;
            }
        }
    } else {
        fill_and_keep(pcfg, ncfg, tree, points, nodes, mark);
    }
}

/// Computes the water-filling and keeps it as the memo.
#[inline(never)]
fn fill_and_keep(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    tree: Tree,
    points: &mut [PointWork],
    nodes: &mut [NodeWork],
    mark: u32,
) {
    let complete = compute(pcfg, ncfg, tree, points, nodes);
    let mark = if complete { mark } else { 0 };
    for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
        p.memo = FillMemo {
            mark,
            in_s: p.in_s,
            vip: p.vip,
            mask: p.mask,
            ceil_reason: p.ceil_reason,
            reason: p.reason,
            at_node: pc.node,
            node: p.node,
            min: p.min,
            ceil: p.ceil,
            target: p.target,
        };
    }
    for (nc, n) in ncfg.iter().zip(nodes.iter_mut()) {
        n.memo_mark = mark;
        n.memo_lim = n.lim;
        n.memo_lim_reason = n.lim_reason;
        n.memo_parent = nc.parent;
    }
}

/// Whether the memo in the working memory is the water-filling of this step's inputs.
fn memo_holds(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &[PointWork],
    nodes: &[NodeWork],
) -> bool {
    // Every part of one computation's memo: the first node's mark (a station has a node).
    let mark = nodes.first().map_or(0, |n| n.memo_mark);
    if mark == 0 {
        return false;
    }
    let points_hold = pcfg.iter().zip(points).all(|(pc, p)| {
        let m = &p.memo;
        m.mark == mark
            && m.at_node == pc.node
            && m.in_s == p.in_s
            && (!p.in_s
                || (m.min == p.min
                    && m.ceil == p.ceil
                    && m.ceil_reason == p.ceil_reason
                    && m.mask == p.mask
                    && m.vip == p.vip))
    });
    points_hold
        && ncfg.iter().zip(nodes).all(|(nc, n)| {
            n.memo_mark == mark
                && n.memo_lim == n.lim
                && n.memo_lim_reason == n.lim_reason
                && n.memo_parent == nc.parent
        })
}

/// The water-filling itself; returns whether it completed (it does when the precondition
/// holds), else the memo is not kept.
fn compute(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    tree: Tree,
    points: &mut [PointWork],
    nodes: &mut [NodeWork],
) -> bool {
    let mut complete = true;
    for n in nodes.iter_mut() {
        n.used = [0; 3];
    }
    let (mut any_vip, mut any) = (false, false);
    for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
        if p.in_s {
            any = true;
            any_vip |= p.vip;
            p.target = p.min;
            add_own(nodes, pc.node, |n| &mut n.used, per_phase(p.mask, p.min));
        } else {
            p.target = 0;
        }
    }
    if !any {
        // No point selected (a trip, an idle site): every target is 0, as the passes below
        // would leave it.
        return true;
    }
    sum_up(ncfg, nodes, tree, |n| &mut n.used);
    for vip_pass in [true, false] {
        if vip_pass && !any_vip {
            // A VIP pass without a VIP would freeze every point and raise none.
            continue;
        }
        for p in points.iter_mut() {
            if !p.in_s {
                p.frozen = true;
                continue;
            }
            let mine = p.vip == vip_pass;
            p.frozen = !mine || p.target >= p.ceil;
            if mine && p.target >= p.ceil {
                p.reason = p.ceil_reason;
                p.node = NO_NODE;
            }
        }
        complete &= fill_pass(pcfg, ncfg, tree, points, nodes);
    }
    complete
}

/// Raises the unfrozen points (see the module doc) until every one is frozen; returns whether
/// they all are.
fn fill_pass(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    tree: Tree,
    points: &mut [PointWork],
    nodes: &mut [NodeWork],
) -> bool {
    // Each round either strides at least 1 mA or freezes a point; the bound only guards the
    // loop against a broken precondition.
    let mut guard = points.len().saturating_mul(4).saturating_add(16);
    // The lowest level and the next: found here, then by each round's own pass.
    let (mut lo, mut next) = levels(points);
    while guard > 0 {
        guard = guard.saturating_sub(1);
        if lo == u32::MAX {
            return true;
        }
        for n in nodes.iter_mut() {
            n.cnt = [0; 3];
        }
        let mut k = next.saturating_sub(lo);
        for (pc, p) in pcfg.iter().zip(points.iter()) {
            if p.frozen || p.target != lo {
                continue;
            }
            k = k.min(p.ceil.saturating_sub(lo));
            add_own(nodes, pc.node, |n| &mut n.cnt, per_phase(p.mask, 1));
        }
        sum_up(ncfg, nodes, tree, |n| &mut n.cnt);
        // The stride that every constraint allows.
        let mut room = u32::MAX;
        for n in nodes.iter() {
            for ((c, l), u) in n.cnt.iter().zip(n.lim).zip(n.used) {
                if *c > 0 {
                    room = room.min(l.saturating_sub(u).checked_div(*c).unwrap_or(0));
                }
            }
        }
        (lo, next) = if room >= k && k > 0 {
            stride(points, nodes, lo, k)
        } else {
            // A constraint has less room than its points at this level: the round is partial.
            // Where it allowed a stride first, it is left with less room than its points at the
            // new level: that round is partial in turn (or a definition round all the same, if
            // points stopped at their ceilings in the stride), so it runs at once, uncounted.
            let at = if room > 0 && room < k {
                stride(points, nodes, lo, room).0
            } else {
                lo
            };
            partial_round(pcfg, ncfg, points, nodes, at)
        };
    }
    false
}

/// The lowest level among unfrozen points, and the next higher one (`u32::MAX` if none).
fn levels(points: &[PointWork]) -> (u32, u32) {
    let mut lv = (u32::MAX, u32::MAX);
    for p in points.iter().filter(|p| !p.frozen) {
        note_level(&mut lv, p.target);
    }
    lv
}

/// Takes level `t` into (lowest, next higher).
#[inline(always)]
fn note_level(lv: &mut (u32, u32), t: u32) {
    if t < lv.0 {
        lv.1 = lv.0;
        lv.0 = t;
    } else if t > lv.0 && t < lv.1 {
        lv.1 = t;
    }
}

/// Raises every unfrozen point at level `lo` by `k` mA (all fit: `k` is the smallest room):
/// each constraint's use grows by `k` × its count of such points (`cnt`, this round's).
/// Returns the levels of the next round (as `levels`).
fn stride(points: &mut [PointWork], nodes: &mut [NodeWork], lo: u32, k: u32) -> (u32, u32) {
    let mut lv = (u32::MAX, u32::MAX);
    for p in points.iter_mut() {
        if p.frozen {
            continue;
        }
        if p.target == lo {
            p.target = p.target.saturating_add(k);
            if p.target >= p.ceil {
                p.frozen = true;
                p.reason = p.ceil_reason;
                p.node = NO_NODE;
                continue;
            }
        }
        note_level(&mut lv, p.target);
    }
    for n in nodes.iter_mut() {
        for (u, c) in n.used.iter_mut().zip(n.cnt) {
            *u = u.saturating_add(k.saturating_mul(c));
        }
    }
    lv
}

/// One round of 1 mA in index order, where some constraint cannot give every point its mA.
/// Returns the levels of the next round (as `levels`).
fn partial_round(
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &mut [PointWork],
    nodes: &mut [NodeWork],
    lo: u32,
) -> (u32, u32) {
    let mut lv = (u32::MAX, u32::MAX);
    for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
        if p.frozen {
            continue;
        }
        if p.target != lo {
            note_level(&mut lv, p.target);
            continue;
        }
        if let Some((node, ph)) = take_one(ncfg, nodes, pc.node, p.mask) {
            p.frozen = true;
            p.reason = node_reason(nodes, node, ph);
            p.node = node;
        } else {
            p.target = p.target.saturating_add(1);
            if p.target >= p.ceil {
                p.frozen = true;
                p.reason = p.ceil_reason;
                p.node = NO_NODE;
            }
        }
        if !p.frozen {
            note_level(&mut lv, p.target);
        }
    }
    lv
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // Parallel test arrays, indexed by one loop variable.
mod tests;
