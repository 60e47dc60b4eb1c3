//! Site-meter headroom (LB-14): the other consumers' load at a metered tree node, from the
//! meter's readings and the points' own currents.

use crate::config::{General, NodeConfig, PointConfig, default_node_fail_safe, is_beneath};
use crate::io::NodeInputs;
use crate::state::{NodeState, PointState, StationState};
use crate::types::{AllocReason, StationErrors};

/// LB-14: the headroom of site-metered nodes. Each point keeps the lowest and the highest
/// current it drew per supply phase since its meter's last reading. When a new reading arrives,
/// the other consumers' load is the reading less those lowest currents, clamped at 0 (SPEC
/// LB-14: an EV ramping up between readings is never taken for headroom), and it applies at once.
///
/// Choice where the SPEC is silent: the hold time that delays a fall is judged on the reading
/// less the points' *highest* currents, a lower bound of the other load. A real dip of the
/// building load lowers that bound too and is held; the one-reading overshoot that the lowest
/// currents give while an EV ramps up is not a fall of the other load, and holding it for the
/// hold time would shed the very EVs that caused it (a flap every hold time). So the load counted
/// is max(latest upper bound, held lower bound): never below what the latest reading proves.
///
/// The points beneath share the node limit less that load less the margin; a stale meter (older
/// than its validity, stamped in the future, or never read) gives the configured fail-safe
/// headroom.
#[allow(clippy::too_many_arguments)]
pub(crate) fn site_headroom(
    g: &General,
    st: &StationState,
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    points: &mut [PointState],
    nodes: &mut [NodeState],
    inputs: &[NodeInputs],
    now_ms: u64,
    errors: &mut StationErrors,
) {
    if !ncfg.iter().any(|n| n.site_meter) {
        return;
    }
    for p in points.iter_mut() {
        let has = p.w.has_meas;
        for ((low, high), m) in p
            .site_low_ma
            .iter_mut()
            .zip(p.site_high_ma.iter_mut())
            .zip(p.w.measured)
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
        let Some(ns) = nodes.get(i) else { continue };
        let new = reading.filter(|r| !ns.site_have || r.measured_ms > ns.site_taken_ms);
        if let Some(r) = new {
            let mut own_low = [0u32; 3];
            let mut own_high = [0u32; 3];
            for (pc, p) in pcfg.iter().zip(points.iter_mut()) {
                if !is_beneath(ncfg, usize::from(pc.node), i) {
                    continue;
                }
                for ph in 0..3usize {
                    if let (Some(ol), Some(oh), Some(l), Some(h)) = (
                        own_low.get_mut(ph),
                        own_high.get_mut(ph),
                        p.site_low_ma.get(ph),
                        p.site_high_ma.get(ph),
                    ) {
                        *ol = ol.saturating_add(*l);
                        *oh = oh.saturating_add(*h);
                    }
                }
                // The next window starts now.
                let now_draw = if p.w.has_meas { p.w.measured } else { [0; 3] };
                p.site_low_ma = now_draw;
                p.site_high_ma = now_draw;
            }
            if let Some(ns) = nodes.get_mut(i) {
                ns.site_have = true;
                ns.site_taken_ms = r.measured_ms;
                for ph in 0..3usize {
                    let load = r.load_ma.get(ph).copied().unwrap_or(u32::MAX);
                    let upper = load.saturating_sub(own_low.get(ph).copied().unwrap_or(0));
                    let lower = load.saturating_sub(own_high.get(ph).copied().unwrap_or(0));
                    if let Some(u) = ns.site_upper.get_mut(ph) {
                        *u = upper;
                    }
                    site_estimate(st, ns, ph, lower, now_ms);
                }
            }
        }
        let Some(ns) = nodes.get_mut(i) else { continue };
        for ph in 0..3usize {
            let bit = 1u8 << ph;
            let since = ns.site_fall_since.get(ph).copied().unwrap_or_default();
            if ns.site_fall & bit != 0 && st.passed(now_ms, since, t.site_meter_hold_ms) {
                ns.site_fall &= !bit;
                if let (Some(o), Some(m)) = (ns.site_other.get_mut(ph), ns.site_fall_max.get(ph)) {
                    *o = *m;
                }
            }
        }
        if reading.is_some() && ns.site_have {
            let margin = g.thresholds.site_margin_ma;
            let others = ns.site_other_ma();
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
fn site_estimate(st: &StationState, ns: &mut NodeState, ph: usize, est: u32, now_ms: u64) {
    let bit = 1u8 << ph;
    let (Some(other), Some(max), Some(since)) = (
        ns.site_other.get_mut(ph),
        ns.site_fall_max.get_mut(ph),
        ns.site_fall_since.get_mut(ph),
    ) else {
        return;
    };
    if est >= *other {
        *other = est;
        ns.site_fall &= !bit;
    } else if ns.site_fall & bit != 0 {
        *max = (*max).max(est);
    } else {
        ns.site_fall |= bit;
        *since = st.stamp(now_ms);
        *max = est;
    }
}
