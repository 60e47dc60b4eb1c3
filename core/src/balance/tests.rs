//! Tests of the water-filling (LB-4): the definition run literally, mA by mA, against the
//! computation, and the memo against a fresh computation.

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
            pcfg[i].node = u16::try_from((usize::from(pcfg[i].node) + 1) % ncfg.len()).expect("few")
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
    tree_and_points(0..400, min, 0..200, mask, 1..=12).prop_map(|(parents, lims, points)| Case {
        parents,
        lims,
        points,
        change: 11,
        pick: 0,
        value: 0,
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
