//! The order slots (`PointWork::order`, one `u64` per point in the working memory): the
//! shedding order as integer keys (LB-5, LB-6), the heaps that `shed.rs` sheds from, and the
//! sort of the start candidates (`start.rs`).

use crate::config::{MAX_POINTS, ShedPriority};
use crate::state::{PointState, Run, Stamp};
use crate::step::Ctx;
use crate::work::PointWork;

// The shedding heap lives in bits 16..64 of the order slots: `start_waiting`, which calls
// `shed_until_fit` while it walks its sorted slots, reads only their low 16 bits (the index).
pub(crate) const HEAP_SHIFT: u32 = 16;
pub(crate) const SLOT_KEEP: u64 = (1 << HEAP_SHIFT) - 1;
/// Bits of a slot key that hold the (reversed) point index.
pub(crate) const INDEX_BITS: u32 = 12;
pub(crate) const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
/// Up to this many points, `shed_until_fit` scans for each victim instead of building a heap.
pub(crate) const SCAN_POINTS: usize = 4;
/// Points the slot key can tell apart.
pub(crate) const HEAP_POINTS: usize = 1 << INDEX_BITS;
/// Bits of a slot key that hold the priority, and the largest priority.
pub(crate) const PRIO_BITS: u32 = 34;
pub(crate) const PRIO_MAX: u64 = (1 << PRIO_BITS) - 1;
const _: () = assert!(MAX_POINTS <= HEAP_POINTS);

/// The shedding order of point `i` as a 48-bit integer, lower shed first: VIP (bit 47), not past
/// its minimum run (bit 46), the priority (34 bits), the index reversed (12 bits, a higher index
/// is shed first).
///
/// First started: the start less the epoch, which keeps the order of `shed_before`'s starts
/// (every start is at or after the epoch); a running point's is below 2³², so capping at 2³²
/// (where "not running" lands) keeps it too. The key is then exactly `shed_before`'s order.
/// Most energy: only the whole mWh (capped), inverted, so equal keys above the index may still
/// differ in energy and are compared by `shed_before` (`shed_until_fit`).
pub(crate) fn shed_key(cx: &Ctx<'_>, p: &PointState, w: &PointWork, i: usize) -> u64 {
    let Ctx { g, st, .. } = *cx;
    let running = p.run == Run::Running;
    let mature = running && st.passed(p.since, g.timers.min_run_ms);
    let prio = match g.shed_priority {
        ShedPriority::ChargeDuration => {
            let start = if running { st.at(p.since) } else { u64::MAX };
            start.saturating_sub(st.at(Stamp(0))).min(1 << 32)
        }
        // PRIO_MAX is all ones: the XOR is PRIO_MAX − mWh.
        ShedPriority::EnergyDelivered => PRIO_MAX ^ p.energy.mwh.min(PRIO_MAX),
    };
    (u64::from(w.vip) << 47)
        | (u64::from(!mature) << 46)
        | (prio << INDEX_BITS)
        | (INDEX_MASK ^ (i as u64 & INDEX_MASK))
}

/// The point index of a slot key.
pub(crate) fn key_index(key: u64) -> usize {
    usize::try_from(INDEX_MASK ^ (key & INDEX_MASK)).unwrap_or(usize::MAX)
}

/// Where a heap keeps its keys in the order slots (`work[k].order`).
pub(crate) trait Lane {
    fn at(work: &[PointWork], k: usize) -> u64;
    fn set(work: &mut [PointWork], k: usize, key: u64);
}

/// The whole slot (`start_waiting`'s sort).
pub(crate) struct Whole;

impl Lane for Whole {
    #[inline]
    fn at(work: &[PointWork], k: usize) -> u64 {
        work.get(k).map_or(0, |w| w.order)
    }

    #[inline]
    fn set(work: &mut [PointWork], k: usize, key: u64) {
        if let Some(w) = work.get_mut(k) {
            w.order = key;
        }
    }
}

/// Bits 16..64 of the slot, the low 16 kept (the shedding heap, see `HEAP_SHIFT`).
pub(crate) struct High;

impl Lane for High {
    #[inline]
    fn at(work: &[PointWork], k: usize) -> u64 {
        work.get(k).map_or(0, |w| w.order >> HEAP_SHIFT)
    }

    #[inline]
    fn set(work: &mut [PointWork], k: usize, key: u64) {
        if let Some(w) = work.get_mut(k) {
            w.order = (w.order & SLOT_KEEP) | (key << HEAP_SHIFT);
        }
    }
}

// Heap positions are below the length of `points`, far below 2⁶², so the child and parent
// arithmetic below cannot overflow: it wraps in name only, which keeps the inner loops free of
// saturation. `first(points, a, b)`: whether key `a` goes before key `b` (the top goes first).

/// The child of heap slot `at` that goes first, with its key (`None` at a leaf of the heap of
/// the slots `..end`).
#[inline(always)]
pub(crate) fn first_child<L: Lane>(
    points: &[PointState],
    work: &[PointWork],
    at: usize,
    end: usize,
    first: &impl Fn(&[PointState], &[PointWork], u64, u64) -> bool,
) -> Option<(usize, u64)> {
    let child = (at << 1) | 1;
    if child >= end {
        return None;
    }
    let c = L::at(work, child);
    let right = child.wrapping_add(1);
    if right < end {
        let r = L::at(work, right);
        if first(points, work, r, c) {
            return Some((right, r));
        }
    }
    Some((child, c))
}

/// Moves the key at heap slot `root` down until no child goes before it (heap of the slots
/// `..end`).
#[inline]
pub(crate) fn sift_down<L: Lane>(
    points: &[PointState],
    work: &mut [PointWork],
    mut root: usize,
    end: usize,
    first: impl Fn(&[PointState], &[PointWork], u64, u64) -> bool,
) {
    // (Lets the compiler drop the bounds checks below.)
    let end = end.min(work.len());
    let item = L::at(work, root);
    while let Some((child, c)) = first_child::<L>(points, work, root, end, &first) {
        if !first(points, work, c, item) {
            break;
        }
        L::set(work, root, c);
        root = child;
    }
    L::set(work, root, item);
}

/// Makes a heap of the slots `..end`.
#[inline]
pub(crate) fn heapify<L: Lane>(
    points: &[PointState],
    work: &mut [PointWork],
    end: usize,
    first: impl Fn(&[PointState], &[PointWork], u64, u64) -> bool + Copy,
) {
    let mut k = end / 2;
    while k > 0 {
        k = k.wrapping_sub(1);
        sift_down::<L>(points, work, k, end, first);
    }
}

/// Takes the top of the heap of the slots `..=end`, leaving a heap of the slots `..end`. The
/// hole goes down to a leaf by the child that goes first, then the last key rises into it (it
/// rises little, mostly: one comparison per level instead of two).
#[inline]
pub(crate) fn pop<L: Lane>(
    points: &[PointState],
    work: &mut [PointWork],
    end: usize,
    first: impl Fn(&[PointState], &[PointWork], u64, u64) -> bool,
) -> u64 {
    let top = L::at(work, 0);
    let last = L::at(work, end);
    let end = end.min(work.len());
    let mut hole = 0usize;
    while let Some((child, c)) = first_child::<L>(points, work, hole, end, &first) {
        L::set(work, hole, c);
        hole = child;
    }
    while hole > 0 {
        let parent = hole.wrapping_sub(1) >> 1;
        let up = L::at(work, parent);
        if !first(points, work, last, up) {
            break;
        }
        L::set(work, hole, up);
        hole = parent;
    }
    L::set(work, hole, last);
    top
}

/// The point whose candidate an order slot holds (the slot's low 16 bits, `start_waiting`'s).
#[inline(always)]
pub(crate) fn slot_point(slot: &PointWork) -> usize {
    (slot.order & SLOT_KEEP) as usize
}

/// Sorts the first `m` order slots (`work[k].order`, distinct keys) in increasing order: a
/// heap sort, O(m log m), in place, no allocation; nothing to do when they already are in order
/// (say, every candidate has waited since the same step), which one pass tells.
pub(crate) fn sort_slots(work: &mut [PointWork], m: usize) {
    if m < 2 {
        return;
    }
    let m = m.min(work.len());
    let mut sorted = true;
    for k in 1..m {
        if Whole::at(work, k.wrapping_sub(1)) > Whole::at(work, k) {
            sorted = false;
            break;
        }
    }
    if sorted {
        return;
    }
    let larger = |_: &[PointState], _: &[PointWork], a: u64, b: u64| a > b;
    heapify::<Whole>(&[], work, m, larger);
    let mut end = m;
    while end > 1 {
        end = end.wrapping_sub(1);
        let top = pop::<Whole>(&[], work, end, larger);
        Whole::set(work, end, top);
    }
}
