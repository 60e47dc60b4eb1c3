//! Tests of the selection (`shed.rs`, `start.rs`) and its order slots (`order.rs`): each fast
//! path against the plain version it replaced, kept here as the reference, and the sort.

use super::*;
use crate::config::{MAX_POINTS, NodeKind};
use crate::general::General;
use crate::meter::Energy;
use crate::order::{PRIO_MAX, SLOT_KEEP, sort_slots};
use crate::start::{candidates, one_at_a_time};
use crate::state::StationState;
use proptest::prelude::*;

// -----------------------------------------------------------------------------------------
// The reference: `shed_until_fit` and `next_to_shed` as they were before the heap (one
// victim at a time, each found by a scan of every point and a walk up the tree).
// -----------------------------------------------------------------------------------------

fn old_shed_until_fit(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    let Ctx { st, pcfg, ncfg, .. } = *cx;
    let mut guard = points.len().saturating_add(1);
    while guard > 0 {
        guard = guard.saturating_sub(1);
        let Some((node, ph)) = short_constraint(nodes) else {
            return;
        };
        let victim = old_next_to_shed(cx, points, work, node, |_, w| {
            w.in_s && w.mask & (1 << ph) != 0
        });
        let Some(v) = victim else { return };
        let (Some(pc), Some(p), Some(w)) = (pcfg.get(v), points.get_mut(v), work.get_mut(v)) else {
            return;
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
    }
}

fn old_next_to_shed(
    cx: &Ctx<'_>,
    points: &[PointState],
    work: &[PointWork],
    node: usize,
    eligible: impl Fn(&PointState, &PointWork) -> bool,
) -> Option<usize> {
    let Ctx { pcfg, ncfg, .. } = *cx;
    let mut victim: Option<(usize, &PointState, &PointWork)> = None;
    for (i, ((pc, p), w)) in pcfg.iter().zip(points.iter()).zip(work).enumerate() {
        if !eligible(p, w) || !is_beneath(ncfg, usize::from(pc.node), node) {
            continue;
        }
        if victim.is_none_or(|(v, vp, vw)| shed_before(cx, p, w, i, vp, vw, v)) {
            victim = Some((i, p, w));
        }
    }
    victim.map(|(v, _, _)| v)
}

/// Step 1 as it was: a walk up the tree for each selected point.
fn old_start_selection(
    cx: &Ctx<'_>,
    points: &[PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    let Ctx { pcfg, ncfg, .. } = *cx;
    for n in nodes.iter_mut() {
        n.sum_min = [0; 3];
        n.sum_vip = [0; 3];
    }
    for ((pc, p), w) in pcfg.iter().zip(points).zip(work.iter_mut()) {
        w.in_s = w.wants && p.run == Run::Running;
        w.tried = false;
        if w.in_s {
            add_min(ncfg, nodes, pc, w, false);
        }
    }
}

/// Step 3 as it was: every candidate tried in its order, one walk up the tree each, never
/// all at once (`all_fit`).
fn old_start_waiting(
    cx: &Ctx<'_>,
    points: &mut [PointState],
    work: &mut [PointWork],
    nodes: &mut [NodeWork],
) {
    let m = candidates(cx, points, work, nodes);
    one_at_a_time(cx, points, work, nodes, m);
}

// -----------------------------------------------------------------------------------------
// Cases: a random tree (depth ≤ 4, the root anywhere), limits, and points loading it.
// -----------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct NodeSpec {
    parent: usize,
    lim: [u32; 3],
    /// Added to the selected minimums: a constraint short with nothing left to shed.
    extra: [u32; 3],
}

#[derive(Clone, Debug)]
struct PointSpec {
    node: usize,
    mask: u8,
    min: u32,
    vip: bool,
    run: u8,
    since: u32,
    mwh: u64,
    rem: u32,
    in_s: bool,
    tried: bool,
    bits: u64,
    order: u64,
}

#[derive(Clone, Debug)]
struct Case {
    nodes: Vec<NodeSpec>,
    /// The tree is built with the root at 0 and then relabelled by this rotation.
    rotate: usize,
    points: Vec<PointSpec>,
    energy: bool,
    min_run_ms: u32,
    epoch_ms: u64,
    now_ms: u64,
}

fn limit() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        0u32..60_000,
        0u32..400_000,
        any::<u32>(),
        Just(u32::MAX)
    ]
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    let extra = prop_oneof![8 => Just(0u32), 1 => 1u32..100_000, 1 => any::<u32>()];
    (
        any::<usize>(),
        [limit(), limit(), limit()],
        [extra.clone(), extra.clone(), extra],
    )
        .prop_map(|(parent, lim, extra)| NodeSpec { parent, lim, extra })
}

fn point_spec() -> impl Strategy<Value = PointSpec> {
    let min = prop_oneof![
        Just(0u32),
        Just(6_000u32),
        Just(10_000u32),
        6_000u32..32_000,
        Just(u32::MAX / 3),
        any::<u32>()
    ];
    let since = prop_oneof![
        Just(0u32),
        Just(1_000u32),
        Just(5_000u32),
        0u32..10_000,
        any::<u32>(),
        Just(u32::MAX)
    ];
    let mwh = prop_oneof![
        Just(0u64),
        Just(5u64),
        0u64..20,
        any::<u64>(),
        Just(PRIO_MAX - 1),
        Just(PRIO_MAX),
        Just(PRIO_MAX + 1),
        Just(u64::MAX)
    ];
    let rem = prop_oneof![Just(0u32), 0u32..4, any::<u32>()];
    (
        (any::<usize>(), 0u8..8, min, any::<bool>(), 0u8..3, since),
        (
            mwh,
            rem,
            any::<bool>(),
            any::<bool>(),
            any::<u64>(),
            any::<u64>(),
        ),
    )
        .prop_map(
            |((node, mask, min, vip, run, since), (mwh, rem, in_s, tried, bits, order))| {
                PointSpec {
                    node,
                    mask,
                    min,
                    vip,
                    run,
                    since,
                    mwh,
                    rem,
                    in_s,
                    tried,
                    bits,
                    order,
                }
            },
        )
}

fn case(max_points: usize) -> impl Strategy<Value = Case> {
    let epoch = prop_oneof![
        Just(0u64),
        0u64..(1 << 40),
        Just(u64::MAX - 5_000),
        (u64::MAX - (1 << 33))..=u64::MAX
    ];
    let offset = prop_oneof![4 => 0u64..20_000, 1 => any::<u64>()];
    let min_run = prop_oneof![Just(0u32), Just(1_000u32), Just(60_000u32), any::<u32>()];
    (
        prop::collection::vec(node_spec(), 1..14),
        any::<usize>(),
        prop::collection::vec(point_spec(), 0..max_points),
        any::<bool>(),
        min_run,
        epoch,
        offset,
        0u8..8,
    )
        .prop_map(
            |(nodes, rotate, points, energy, min_run_ms, epoch_ms, offset, clock)| Case {
                nodes,
                rotate,
                points,
                energy,
                min_run_ms,
                epoch_ms,
                // Now is mostly after the epoch, sometimes (a stale stamp) before it.
                now_ms: if clock == 0 {
                    epoch_ms.saturating_sub(offset)
                } else {
                    epoch_ms.saturating_add(offset)
                },
            },
        )
}

/// The parts of a `Ctx` and the state `select` hands to `shed_until_fit`.
struct Built {
    g: General,
    st: StationState,
    tree: crate::tree::Tree,
    pcfg: Vec<PointConfig>,
    ncfg: Vec<NodeConfig>,
    now_ms: u64,
    points: Vec<PointState>,
    work: Vec<PointWork>,
    nodes: Vec<NodeWork>,
}

impl Built {
    fn cx(&self) -> Ctx<'_> {
        Ctx {
            g: &self.g,
            st: &self.st,
            pcfg: &self.pcfg,
            ncfg: &self.ncfg,
            now_ms: self.now_ms,
            tree: self.tree,
            advanced: true,
            energy_dt: 0,
            protection: false,
        }
    }
}

fn general(energy: bool, min_run_ms: u32) -> General {
    let mut g = General::for_tests();
    g.shed_priority = if energy {
        ShedPriority::EnergyDelivered
    } else {
        ShedPriority::ChargeDuration
    };
    g.timers.min_run_ms = min_run_ms;
    g
}

fn build(c: &Case) -> Built {
    let n = c.nodes.len();
    // Built with the root at 0 and every parent before its child, at most 4 levels.
    let mut parent = vec![0usize; n];
    let mut depth = vec![0usize; n];
    for i in 1..n {
        let mut p = c.nodes[i].parent % i;
        while depth[p] >= 3 {
            p = parent[p];
        }
        parent[i] = p;
        depth[i] = depth[p] + 1;
    }
    let label = |i: usize| (i + c.rotate % n) % n;
    let mut ncfg = vec![NodeConfig::new(None, NodeKind::Circuit, 0); n];
    let mut nodes = vec![NodeWork::new(); n];
    for i in 0..n {
        let parent = (i > 0).then(|| u16::try_from(label(parent[i])).expect("few nodes"));
        ncfg[label(i)] = NodeConfig::new(parent, NodeKind::Circuit, 0);
        nodes[label(i)].lim = c.nodes[i].lim;
    }
    let pcfg: Vec<PointConfig> = c
        .points
        .iter()
        .map(|s| PointConfig::three_phase(u16::try_from(s.node % n).expect("few nodes"), 32_000))
        .collect();
    let mut points = Vec::new();
    let mut work = Vec::new();
    for s in &c.points {
        let mut p = PointState::new();
        let mut w = PointWork::new();
        w.mask = s.mask;
        w.min = s.min;
        w.vip = s.vip;
        w.in_s = s.in_s;
        w.wants = true;
        w.tried = s.tried;
        w.order = s.order;
        work.push(w);
        p.run = match s.run {
            0 => Run::Idle,
            1 => Run::Waiting,
            _ => Run::Running,
        };
        p.since = Stamp(s.since);
        p.energy = Energy {
            mwh: s.mwh,
            rem: s.rem,
        };
        p.bits = s.bits;
        points.push(p);
    }
    for (pc, w) in pcfg.iter().zip(&work) {
        if w.in_s {
            add_min(&ncfg, &mut nodes, pc, w, false);
        }
    }
    for (i, spec) in c.nodes.iter().enumerate() {
        let ns = &mut nodes[label(i)];
        for ph in 0..3 {
            ns.sum_min[ph] = ns.sum_min[ph].saturating_add(spec.extra[ph]);
        }
    }
    let mut st = StationState::new();
    st.epoch_ms = c.epoch_ms;
    st.max_now_ms = c.now_ms;
    st.now = st.stamp(c.now_ms);
    let tree = crate::tree::Tree::of(&ncfg);
    tree.prepare(&ncfg, &mut nodes);
    Built {
        g: general(c.energy, c.min_run_ms),
        st,
        tree,
        pcfg,
        ncfg,
        now_ms: c.now_ms,
        points,
        work,
        nodes,
    }
}

/// Runs the old and the new shedding on the same state and compares everything they write;
/// the new one must also keep the low 16 bits of every order slot (`start_waiting`'s).
fn same_as_old(b: &Built) -> Result<(), TestCaseError> {
    let cx = b.cx();
    let (mut old_points, mut old_work, mut old_nodes) =
        (b.points.clone(), b.work.clone(), b.nodes.clone());
    old_shed_until_fit(&cx, &mut old_points, &mut old_work, &mut old_nodes);
    let (mut new_points, mut new_work, mut new_nodes) =
        (b.points.clone(), b.work.clone(), b.nodes.clone());
    shed_until_fit(&cx, &mut new_points, &mut new_work, &mut new_nodes);
    prop_assert_eq!(old_points, new_points);
    for (i, (o, n)) in old_work.iter().zip(&new_work).enumerate() {
        prop_assert_eq!(
            n.order & SLOT_KEEP,
            b.work[i].order & SLOT_KEEP,
            "slot {}",
            i
        );
        let (mut o, mut n) = (*o, *n);
        (o.order, n.order) = (0, 0);
        prop_assert_eq!(o, n, "point {}", i);
    }
    prop_assert_eq!(old_nodes, new_nodes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The heap sheds exactly the points the one-at-a-time search shed, with the same
    /// reasons, nodes, timers and bits, and leaves the same minimums on every node.
    #[test]
    fn shed_until_fit_matches_one_at_a_time(c in case(48)) {
        same_as_old(&build(&c))?;
    }

    /// Step 1 sums the same minimums on every node as a walk up the tree per point, with
    /// nodes listed after their parents or not (the rotation).
    #[test]
    fn start_selection_matches_a_walk_per_point(
        c in case(48),
        wants in prop::collection::vec(any::<bool>(), 48),
    ) {
        let mut b = build(&c);
        for (w, x) in b.work.iter_mut().zip(wants) {
            w.wants = x;
        }
        let cx = b.cx();
        let (mut old_work, mut old_nodes) = (b.work.clone(), b.nodes.clone());
        old_start_selection(&cx, &b.points, &mut old_work, &mut old_nodes);
        let (mut new_work, mut new_nodes) = (b.work.clone(), b.nodes.clone());
        start_selection(&cx, &b.points, &mut new_work, &mut new_nodes);
        prop_assert_eq!(old_work, new_work);
        prop_assert_eq!(old_nodes, new_nodes);
    }

    /// LB-6, LB-5, SU-1: step 3 starts, sheds and holds the same points, with the same
    /// reasons and nodes, and leaves the same minimums on every node as trying the
    /// candidates one at a time, whether or not they all fit at once (`all_fit`: limits
    /// raised by `room` make that common, limits `tight` over all the minimums make the
    /// thresholds decide). `cnt` and the order slots are left out: step 3
    /// uses them as scratch, and nothing reads them after it.
    #[test]
    fn start_waiting_matches_one_at_a_time(
        c in case(48),
        ceils in prop::collection::vec(
            prop_oneof![Just(0u32), 6_000u32..80_000, any::<u32>()],
            48,
        ),
        room in prop_oneof![Just(0u32), 0u32..400_000, Just(4_000_000)],
        tight in 0u32..24_000,
        just_over in any::<bool>(),
    ) {
        let mut b = build(&c);
        for (w, x) in b.work.iter_mut().zip(ceils) {
            w.ceil = x;
        }
        if just_over {
            // Limits just over the minimums of every point, so that the thresholds above
            // them (up to half a minimum over it here) decide.
            let mut all = b.nodes.clone();
            for (pc, w) in b.pcfg.iter().zip(&b.work) {
                if !w.in_s {
                    add_min(&b.ncfg, &mut all, pc, w, false);
                }
            }
            for (n, a) in b.nodes.iter_mut().zip(&all) {
                for (l, s) in n.lim.iter_mut().zip(a.sum_min) {
                    *l = s.saturating_add(tight);
                }
            }
        } else {
            for n in b.nodes.iter_mut() {
                for l in n.lim.iter_mut() {
                    *l = l.saturating_add(room);
                }
            }
        }
        let cx = b.cx();
        let (mut old_points, mut old_work, mut old_nodes) =
            (b.points.clone(), b.work.clone(), b.nodes.clone());
        old_start_waiting(&cx, &mut old_points, &mut old_work, &mut old_nodes);
        let (mut new_points, mut new_work, mut new_nodes) =
            (b.points.clone(), b.work.clone(), b.nodes.clone());
        start_waiting(&cx, &mut new_points, &mut new_work, &mut new_nodes);
        prop_assert_eq!(old_points, new_points);
        for (i, (o, n)) in old_work.iter().zip(&new_work).enumerate() {
            // The order slots are scratch too (the new one leaves them unsorted when all fit).
            let (mut o, mut n) = (*o, *n);
            (o.order, n.order) = (0, 0);
            prop_assert_eq!(o, n, "point {}", i);
        }
        for (o, n) in old_nodes.iter_mut().zip(new_nodes.iter_mut()) {
            (o.cnt, n.cnt) = ([0; 3], [0; 3]);
        }
        prop_assert_eq!(old_nodes, new_nodes);
    }

    /// The order slots come out sorted (the heap sort, or the pass that finds them in
    /// order already), and the slots past `m` untouched.
    #[test]
    fn sort_slots_sorts(
        mut keys in prop::collection::vec(any::<u64>(), 0..80),
        presorted in any::<bool>(),
        cut in any::<usize>(),
    ) {
        let m = cut % (keys.len() + 1);
        if presorted {
            keys[..m].sort_unstable();
        }
        let mut work = vec![PointWork::new(); keys.len()];
        for (w, k) in work.iter_mut().zip(&keys) {
            w.order = *k;
        }
        sort_slots(&mut work, m);
        let mut want = keys.clone();
        want[..m].sort_unstable();
        let got: Vec<u64> = work.iter().map(|w| w.order).collect();
        prop_assert_eq!(got, want);
    }

    /// The same with a few points (the scan path, and the heap just above it).
    #[test]
    fn shed_until_fit_matches_one_at_a_time_few_points(c in case(8)) {
        same_as_old(&build(&c))?;
    }
}

/// SplitMix64, for the large cases below.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn large(points: usize, seed: u64) -> Case {
    let mut s = seed;
    let nodes = (0..40)
        .map(|_| NodeSpec {
            parent: next(&mut s) as usize,
            lim: [0; 3].map(|_: u32| (next(&mut s) % 3_000_000) as u32),
            extra: [0; 3],
        })
        .collect();
    let points = (0..points)
        .map(|_| PointSpec {
            node: next(&mut s) as usize,
            mask: (next(&mut s) % 8) as u8,
            min: 6_000 + (next(&mut s) % 4) as u32 * 2_000,
            vip: next(&mut s).is_multiple_of(8),
            run: (next(&mut s) % 3) as u8,
            since: (next(&mut s) % 64) as u32 * 100,
            mwh: next(&mut s) % 50,
            rem: (next(&mut s) % 3) as u32,
            in_s: !next(&mut s).is_multiple_of(4),
            tried: false,
            bits: 0,
            order: next(&mut s),
        })
        .collect();
    Case {
        nodes,
        rotate: next(&mut s) as usize,
        points,
        energy: seed % 2 == 1,
        min_run_ms: 3_000,
        epoch_ms: 1_000,
        now_ms: 7_000,
    }
}

/// The most points a validated configuration has (the largest index the slot key holds),
/// and more than that (the scan path).
#[test]
fn shed_until_fit_matches_one_at_a_time_at_the_limits() {
    for (points, seed) in [(MAX_POINTS, 1), (MAX_POINTS, 2), (MAX_POINTS + 3, 3)] {
        let b = build(&large(points, seed));
        let shed_any = {
            let (mut p, mut w, mut n) = (b.points.clone(), b.work.clone(), b.nodes.clone());
            shed_until_fit(&b.cx(), &mut p, &mut w, &mut n);
            w.iter().zip(&b.work).any(|(a, o)| a.in_s != o.in_s)
        };
        assert!(shed_any, "the case sheds something");
        same_as_old(&b).expect("same as the one-at-a-time search");
    }
}
