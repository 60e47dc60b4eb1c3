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
mod tests {
    use super::*;
    use crate::config::NodeKind;
    use proptest::prelude::*;

    /// Per point: node, minimum, ceiling, phases, VIP mark, selected.
    type CasePoints = Vec<(usize, u32, u32, u8, bool, bool)>;

    /// Random water-filling inputs: a tree of up to 6 nodes (parents listed first), points with
    /// minimums, ceilings, phases, VIP marks and selection (`tree_and_points`), and one change
    /// to make to them (`change`).
    #[derive(Clone, Debug)]
    struct Case {
        parents: Vec<usize>,
        lims: Vec<[u32; 3]>,
        points: CasePoints,
        change: u8,
        pick: usize,
        value: u32,
    }

    /// The tree and points of a `Case`: up to 6 nodes with limits from `lims`, `points` points
    /// with minimums from `min`, ceilings from `ceil`, phases from `mask`.
    fn tree_and_points(
        lims: core::ops::Range<u32>,
        min: BoxedStrategy<u32>,
        ceil: core::ops::Range<u32>,
        mask: BoxedStrategy<u8>,
        points: core::ops::RangeInclusive<usize>,
    ) -> impl Strategy<Value = (Vec<usize>, Vec<[u32; 3]>, CasePoints)> {
        (1usize..=6).prop_flat_map(move |n| {
            (
                proptest::collection::vec(0usize..64, n),
                proptest::collection::vec(proptest::array::uniform3(lims.clone()), n),
                proptest::collection::vec(
                    (
                        0usize..64,
                        min.clone(),
                        ceil.clone(),
                        mask.clone(),
                        proptest::bool::weighted(0.2),
                        proptest::bool::weighted(0.8),
                    ),
                    points.clone(),
                ),
            )
        })
    }

    fn case() -> impl Strategy<Value = Case> {
        let mask = prop_oneof![Just(1u8), Just(2), Just(4), Just(7)].boxed();
        (
            tree_and_points(
                0..60_000,
                (6_000u32..16_000).boxed(),
                0..40_000,
                mask,
                1..=10,
            ),
            0u8..12,
            0usize..64,
            0u32..40_000,
        )
            .prop_map(|((parents, lims, points), change, pick, value)| Case {
                parents,
                lims,
                points,
                change,
                pick,
                value,
            })
    }

    type Built = (
        Vec<PointConfig>,
        Vec<NodeConfig>,
        Vec<PointWork>,
        Vec<NodeWork>,
    );

    fn build(c: &Case) -> Built {
        let n = c.lims.len();
        let ncfg: Vec<NodeConfig> = (0..n)
            .map(|i| {
                let parent = (i > 0).then(|| u16::try_from(c.parents[i] % i).expect("few"));
                NodeConfig::new(parent, NodeKind::Circuit, 0)
            })
            .collect();
        let mut nodes = vec![NodeWork::new(); n];
        for (nw, l) in nodes.iter_mut().zip(&c.lims) {
            nw.lim = *l;
        }
        let mut pcfg = Vec::new();
        let mut work = Vec::new();
        for &(node, min, ceil, mask, vip, in_s) in &c.points {
            pcfg.push(PointConfig::three_phase(
                u16::try_from(node % n).expect("few"),
                32_000,
            ));
            let mut w = PointWork::new();
            w.min = min;
            w.ceil = ceil.max(min);
            w.ceil_reason = AllocReason::Ev;
            w.mask = mask;
            w.vip = vip;
            w.in_s = in_s;
            w.reason = AllocReason::Shed;
            work.push(w);
        }
        (pcfg, ncfg, work, nodes)
    }

    /// Changes one input of the water-filling, as `c.change` says (11: none).
    fn change(c: &Case, b: &mut Built) {
        let (pcfg, ncfg, work, nodes) = b;
        let i = c.pick % work.len();
        let k = c.pick % nodes.len();
        let w = &mut work[i];
        match c.change {
            0 => w.min = c.value.max(6_000),
            1 => w.ceil = c.value,
            2 => w.ceil_reason = AllocReason::Cable,
            3 => w.mask = if w.mask == 7 { 1 } else { 7 },
            4 => w.vip = !w.vip,
            5 => w.in_s = !w.in_s,
            6 => {
                pcfg[i].node =
                    u16::try_from((usize::from(pcfg[i].node) + 1) % ncfg.len()).expect("few")
            }
            7 => nodes[k].lim[c.pick % 3] = c.value,
            8 => nodes[k].lim_reason[c.pick % 3] = AllocReason::SetPoint,
            9 if k > 0 => ncfg[k].parent = Some(u16::try_from(c.value as usize % k).expect("few")),
            // Not an input of the water-filling: the reason of the last step's selection.
            10 => w.reason = AllocReason::MinimumPause,
            _ => {}
        }
    }

    fn run(b: &mut Built) {
        let (pcfg, ncfg, work, nodes) = b;
        let tree = Tree::of(ncfg);
        tree.prepare(ncfg, nodes);
        // A new mark for each computation, as the step's generations.
        let mark = nodes.first().map_or(0, |n| n.memo_mark).wrapping_add(1);
        fill(pcfg, ncfg, tree, work, nodes, mark);
    }

    fn result(b: &Built) -> Vec<(u32, AllocReason, u16)> {
        b.2.iter().map(|w| (w.target, w.reason, w.node)).collect()
    }

    /// Water-filling inputs in a few mA, so that the definition itself (`reference`) can run
    /// them mA by mA: tight trees, minimums that may break the precondition, ceilings at or below
    /// the minimum, equal levels and VIPs.
    fn small_case() -> impl Strategy<Value = Case> {
        let min = prop_oneof![Just(6u32), 0u32..40].boxed();
        let mask = prop_oneof![Just(1u8), Just(2), Just(4), Just(7), 0u8..8].boxed();
        tree_and_points(0..400, min, 0..200, mask, 1..=12).prop_map(|(parents, lims, points)| {
            Case {
                parents,
                lims,
                points,
                change: 11,
                pick: 0,
                value: 0,
            }
        })
    }

    /// LB-4 as the module doc defines it, literally: minimums first; then (VIPs first) the
    /// lowest unfrozen points take one mA each per round, in index order, as long as their
    /// ceiling and every constraint they load (nearest node first, phases in order) have room.
    /// Returns each point's (target, reason, binding node), `Shed` / 0 for a point not selected.
    fn reference(b: &Built) -> Vec<(u32, AllocReason, u16)> {
        let (pcfg, ncfg, work, nodes) = b;
        let path = |node: u16| {
            let mut v = vec![usize::from(node)];
            while let Some(p) = ncfg[*v.last().expect("node")].parent {
                v.push(usize::from(p));
            }
            v
        };
        let mut used = vec![[0u32; 3]; nodes.len()];
        let mut res: Vec<(u32, AllocReason, u16)> =
            work.iter().map(|w| (0, w.reason, w.node)).collect();
        for (i, w) in work.iter().enumerate().filter(|(_, w)| w.in_s) {
            res[i].0 = w.min;
            for n in path(pcfg[i].node) {
                for ph in (0..3).filter(|ph| w.mask & (1 << ph) != 0) {
                    used[n][ph] += w.min;
                }
            }
        }
        for vip_pass in [true, false] {
            if vip_pass && !work.iter().any(|w| w.in_s && w.vip) {
                continue;
            }
            let mut frozen: Vec<bool> = work.iter().map(|w| !w.in_s || w.vip != vip_pass).collect();
            loop {
                for (i, w) in work.iter().enumerate() {
                    if !frozen[i] && res[i].0 >= w.ceil {
                        frozen[i] = true;
                        res[i].1 = w.ceil_reason;
                        res[i].2 = NO_NODE;
                    }
                }
                let Some(lo) = (0..work.len())
                    .filter(|&i| !frozen[i])
                    .map(|i| res[i].0)
                    .min()
                else {
                    break;
                };
                for (i, w) in work.iter().enumerate() {
                    if frozen[i] || res[i].0 != lo {
                        continue;
                    }
                    let full = path(pcfg[i].node).into_iter().find_map(|n| {
                        (0..3)
                            .find(|&ph| w.mask & (1 << ph) != 0 && used[n][ph] >= nodes[n].lim[ph])
                            .map(|ph| (n, ph))
                    });
                    if let Some((n, ph)) = full {
                        frozen[i] = true;
                        res[i].1 = nodes[n].lim_reason[ph];
                        res[i].2 = u16::try_from(n).expect("few");
                    } else {
                        res[i].0 += 1;
                        for n in path(pcfg[i].node) {
                            for ph in (0..3).filter(|ph| w.mask & (1 << ph) != 0) {
                                used[n][ph] += 1;
                            }
                        }
                    }
                }
            }
        }
        for (r, w) in res.iter_mut().zip(work) {
            if !w.in_s {
                r.0 = 0;
            }
        }
        res
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// LB-4, TREE-1, LB-12: the water-filling (whole rounds in strides, mA by mA where a
        /// constraint is short) gives every point the target, reason and binding node of the
        /// definition run mA by mA (`reference`), on trees, per phase, VIPs first, including
        /// minimums that do not fit (every point then stops at its minimum at the full
        /// constraint).
        #[test]
        fn lb4_tree1_lb12_the_water_filling_is_the_definition(c in small_case()) {
            let mut b = build(&c);
            for (w, &(_, min, ceil, ..)) in b.2.iter_mut().zip(&c.points) {
                w.ceil = ceil;
                w.min = min;
            }
            for (n, (nw, l)) in b.3.iter_mut().zip(&c.lims).enumerate() {
                nw.lim = *l;
                if n % 2 == 1 {
                    nw.lim_reason = [AllocReason::SetPoint, AllocReason::Fallback, AllocReason::NodeLimit];
                }
            }
            let want = reference(&b);
            run(&mut b);
            let got: Vec<(u32, AllocReason, u16)> = b
                .2
                .iter()
                .map(|w| if w.in_s { (w.target, w.reason, w.node) } else { (w.target, AllocReason::Shed, 0) })
                .collect();
            let want: Vec<(u32, AllocReason, u16)> = want
                .into_iter()
                .zip(&b.2)
                .map(|(r, w)| if w.in_s { r } else { (r.0, AllocReason::Shed, 0) })
                .collect();
            prop_assert_eq!(got, want);
        }
    }

    /// LB-4: with no point selected (a tripped station, an idle site) every target is 0 and
    /// the points' reasons and binding nodes are left as the selection gave them, as the
    /// definition has it; the computation, which returns at once then, still leaves its memo,
    /// so that the next step with the same inputs is served from it.
    #[test]
    fn lb4_no_point_selected_every_target_is_0_and_the_memo_is_kept() {
        let c = Case {
            parents: vec![0, 0, 1],
            lims: vec![[40_000; 3], [20_000, 0, 20_000], [16_000; 3]],
            points: vec![
                (0, 6_000, 32_000, 7, false, false),
                (1, 6_000, 16_000, 1, true, false),
                (2, 6_000, 20_000, 4, false, false),
            ],
            change: 11,
            pick: 0,
            value: 0,
        };
        let mut b = build(&c);
        for (i, w) in b.2.iter_mut().enumerate() {
            // Left over from an earlier step: the fill must not keep them.
            w.target = 12_345;
            w.node = u16::try_from(i).expect("few");
        }
        let want = reference(&b);
        run(&mut b);
        assert_eq!(result(&b), want);
        assert!(
            b.2.iter()
                .all(|w| w.target == 0 && w.reason == AllocReason::Shed)
        );
        assert_eq!(b.2.iter().map(|w| w.node).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(b.2.iter().all(|w| w.memo.mark != 0), "no memo kept");
        // The same inputs again: the memo serves them (the node sums, which only a computation
        // rewrites, stay as they were).
        for n in b.3.iter_mut() {
            n.used = [u32::MAX; 3];
        }
        for w in b.2.iter_mut() {
            w.target = 12_345;
        }
        run(&mut b);
        assert_eq!(result(&b), want);
        assert!(
            b.3.iter().all(|n| n.used == [u32::MAX; 3]),
            "the memo was not used"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// LB-4: the memo of the last water-filling changes nothing. After any one input
        /// changes (or none), the step that finds the memo gives what a step with fresh
        /// working memory gives; with no change the memo is used (the node sums, which only
        /// a computation rewrites, are left as they were).
        #[test]
        fn lb4_fill_memo_equals_a_fresh_fill(c in case()) {
            let mut kept = build(&c);
            run(&mut kept);
            change(&c, &mut kept);
            let mut fresh = kept.clone();
            for w in fresh.2.iter_mut() {
                w.memo = FillMemo::new();
            }
            for n in fresh.3.iter_mut() {
                *n = NodeWork { lim: n.lim, lim_reason: n.lim_reason, ..NodeWork::new() };
            }
            let hit = c.change >= 10 && kept.2.iter().all(|w| w.memo.mark != 0);
            for n in kept.3.iter_mut() {
                n.used = [u32::MAX; 3];
            }
            run(&mut kept);
            run(&mut fresh);
            prop_assert_eq!(result(&kept), result(&fresh));
            if hit {
                prop_assert!(kept.3.iter().all(|n| n.used == [u32::MAX; 3]), "the memo was not used");
            }
        }
    }
}
