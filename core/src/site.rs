//! Site-meter headroom (LB-14): the other consumers' load at a metered tree node, from the
//! meter's readings and the points' own currents.

use crate::general::{default_node_fail_safe, is_beneath};
use crate::io::NodeInputs;
use crate::state::{NodeSite, PointSite, SITE_SLOTS, SITE_SLOTS_U8, SiteSlot, StationState};
use crate::step::Ctx;
use crate::types::{AllocReason, StationErrors};
use crate::work::{NodeWork, PointWork};

/// LB-14: the headroom of site-metered nodes. The step calls it only when a node has a site
/// meter.
///
/// The other consumers' load is a reading less the points' own current at the instant it was
/// measured. Each metered node keeps a short history of the sum of its points' currents (16
/// slots of `site_slot_ms`, lowest and highest per slot); a reading measured within it subtracts
/// the lowest own current of the slot holding its instant and the next, i.e. of the samples on
/// either side of it (never more than the points drew then: never mistaken for headroom). A
/// reading older than the history falls back to the SPEC's window: each point's lowest current
/// since the previous reading arrived. Subtracting the window's lowest for every reading (the
/// SPEC's words) would count the current of a point that started between two readings as other
/// load for one reading, and at once, so a tight node would shed the very point that started
/// (a flap each minimum pause); the history removes that without giving up the bound.
///
/// The upper estimate (reading less the lowest own current) applies at once. A fall applies
/// only once the lower estimate (reading less the highest own current) has stayed lower for the
/// hold time, so a short dip of the building load starts nothing; the load counted is
/// max(latest upper estimate, held lower estimate).
///
/// The points beneath share the node limit less that load less the margin; a stale meter (older
/// than its validity, stamped in the future, or never read) gives the configured fail-safe
/// headroom, reason "site meter stale", station error "site meter lost".
pub(crate) fn site_headroom(
    cx: &Ctx<'_>,
    work: &[PointWork],
    nodes: &mut [NodeWork],
    psites: &mut [PointSite],
    nsites: &mut [NodeSite],
    inputs: &[NodeInputs],
    errors: &mut StationErrors,
) {
    let Ctx {
        g,
        st,
        pcfg,
        ncfg,
        now_ms,
        ..
    } = *cx;
    for (p, ps) in work.iter().zip(psites.iter_mut()) {
        let has = p.has_meas;
        for ((low, high), m) in ps
            .low_ma
            .iter_mut()
            .zip(ps.high_ma.iter_mut())
            .zip(p.measured)
        {
            // A point without a measurement counts as 0: its draw is taken for other load.
            let m = if has { m } else { 0 };
            *low = (*low).min(m);
            *high = (*high).max(m);
        }
    }
    let t = &g.timers;
    for (i, (nc, ni)) in ncfg.iter().zip(inputs).enumerate() {
        if !nc.site_meter {
            continue;
        }
        let reading = ni.site.filter(|r| {
            r.measured_ms <= now_ms
                && now_ms.saturating_sub(r.measured_ms) <= u64::from(t.site_meter_validity_ms)
        });
        record(cx, work, nsites, i, nc.site_slot_ms);
        let Some(ss) = nsites.get(i) else { continue };
        let new = reading.filter(|r| !ss.have || r.measured_ms > ss.taken_ms);
        if let Some(r) = new {
            let around = own_at(st, ss, r.measured_ms);
            let mut own_low = [0u32; 3];
            let mut own_high = [0u32; 3];
            for ((pc, p), ps) in pcfg.iter().zip(work).zip(psites.iter_mut()) {
                if !is_beneath(ncfg, usize::from(pc.node), i) {
                    continue;
                }
                for ph in 0..3usize {
                    if let (Some(ol), Some(oh), Some(l), Some(h)) = (
                        own_low.get_mut(ph),
                        own_high.get_mut(ph),
                        ps.low_ma.get(ph),
                        ps.high_ma.get(ph),
                    ) {
                        *ol = ol.saturating_add(*l);
                        *oh = oh.saturating_add(*h);
                    }
                }
                // The next window starts now.
                let now_draw = if p.has_meas { p.measured } else { [0; 3] };
                ps.low_ma = now_draw;
                ps.high_ma = now_draw;
            }
            if let Some((low, high)) = around {
                own_low = low;
                own_high = high;
            }
            if let Some(ss) = nsites.get_mut(i) {
                ss.have = true;
                ss.taken_ms = r.measured_ms;
                for ph in 0..3usize {
                    let load = r.load_ma.get(ph).copied().unwrap_or(u32::MAX);
                    let upper = load.saturating_sub(own_low.get(ph).copied().unwrap_or(0));
                    let lower = load.saturating_sub(own_high.get(ph).copied().unwrap_or(0));
                    if let Some(u) = ss.upper.get_mut(ph) {
                        *u = upper;
                    }
                    site_estimate(st, ss, ph, lower);
                }
            }
        }
        let (Some(ns), Some(ss)) = (nodes.get_mut(i), nsites.get_mut(i)) else {
            continue;
        };
        for ph in 0..3usize {
            let bit = 1u8 << ph;
            let since = ss.fall_since.get(ph).copied().unwrap_or_default();
            if ss.fall & bit != 0 && st.passed(since, t.site_meter_hold_ms) {
                ss.fall &= !bit;
                if let (Some(o), Some(m)) = (ss.other.get_mut(ph), ss.fall_max.get(ph)) {
                    *o = *m;
                }
            }
        }
        if reading.is_some() && ss.have {
            let margin = g.thresholds.site_margin_ma;
            let others = ss.other_ma();
            for ((l, r), (cfg_l, other)) in ns
                .lim
                .iter_mut()
                .zip(ns.lim_reason.iter_mut())
                .zip(nc.limit_ma.iter().zip(others))
            {
                let head = cfg_l.saturating_sub(other).saturating_sub(margin);
                if head < *l {
                    *l = head;
                    *r = AllocReason::NodeLimit;
                }
            }
        } else {
            *errors |= StationErrors::SITE_METER_LOST;
            let fs = nc
                .site_fail_safe_ma
                .unwrap_or_else(|| default_node_fail_safe(&g.thresholds, pcfg, ncfg, i));
            for ((l, r), f) in ns.lim.iter_mut().zip(ns.lim_reason.iter_mut()).zip(fs) {
                if f <= *l {
                    *l = f;
                    *r = AllocReason::SiteMeterStale;
                }
            }
        }
    }
}

/// Applies one new estimate of the other consumers' load on phase `ph` (LB-14): a rise at once,
/// a fall only after the hold time.
fn site_estimate(st: &StationState, ss: &mut NodeSite, ph: usize, est: u32) {
    let bit = 1u8 << ph;
    let (Some(other), Some(max), Some(since)) = (
        ss.other.get_mut(ph),
        ss.fall_max.get_mut(ph),
        ss.fall_since.get_mut(ph),
    ) else {
        return;
    };
    if est >= *other {
        *other = est;
        ss.fall &= !bit;
    } else if ss.fall & bit != 0 {
        *max = (*max).max(est);
    } else {
        ss.fall |= bit;
        *since = st.now;
        *max = est;
    }
}

/// Records this step's own currents (the sum per phase of the points beneath metered node `i`;
/// a point without a measurement counts 0) into the node's history of `slot_ms` slots.
fn record(cx: &Ctx<'_>, work: &[PointWork], nsites: &mut [NodeSite], i: usize, slot_ms: u32) {
    let Ctx { st, pcfg, ncfg, .. } = *cx;
    let mut own = [0u32; 3];
    for (pc, p) in pcfg.iter().zip(work) {
        if p.has_meas && is_beneath(ncfg, usize::from(pc.node), i) {
            for (o, m) in own.iter_mut().zip(p.measured) {
                *o = o.saturating_add(m);
            }
        }
    }
    let Some(ss) = nsites.get_mut(i) else { return };
    let head = usize::from(ss.head) % SITE_SLOTS;
    let fresh_slot = ss.len == 0 || ss.ring.get(head).is_none_or(|s| st.passed(s.at, slot_ms));
    if fresh_slot {
        let next = head.saturating_add(1) % SITE_SLOTS;
        if let Some(slot) = ss.ring.get_mut(next) {
            *slot = SiteSlot {
                at: st.now,
                low: own,
                high: own,
            };
        }
        ss.head = u8::try_from(next).unwrap_or(0);
        ss.len = ss.len.saturating_add(1).min(SITE_SLOTS_U8);
    } else if let Some(slot) = ss.ring.get_mut(head) {
        for ((l, h), o) in slot.low.iter_mut().zip(slot.high.iter_mut()).zip(own) {
            *l = (*l).min(o);
            *h = (*h).max(o);
        }
    }
}

/// The lowest and highest own currents per phase around `measured_ms`: over the slot that holds
/// that instant and the next (the samples on either side of it), or `None` if the history does
/// not reach back that far.
fn own_at(st: &StationState, ss: &NodeSite, measured_ms: u64) -> Option<([u32; 3], [u32; 3])> {
    let head = usize::from(ss.head) % SITE_SLOTS;
    let mut newer: Option<&SiteSlot> = None;
    for back in 0..usize::from(ss.len) {
        let idx = head.saturating_add(SITE_SLOTS).saturating_sub(back) % SITE_SLOTS;
        let slot = ss.ring.get(idx)?;
        if st.at(slot.at) <= measured_ms {
            let mut low = slot.low;
            let mut high = slot.high;
            if let Some(n) = newer {
                for ((l, h), (nl, nh)) in low
                    .iter_mut()
                    .zip(high.iter_mut())
                    .zip(n.low.iter().zip(n.high))
                {
                    *l = (*l).min(*nl);
                    *h = (*h).max(nh);
                }
            }
            return Some((low, high));
        }
        newer = Some(slot);
    }
    None
}
