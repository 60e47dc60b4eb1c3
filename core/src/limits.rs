//! The nodes' limits of a step (EX-1, LB-8, TREE-1): each node's configured limit per phase,
//! lowered by a fresh external set point, or replaced by its fail-safe current where the set
//! point is lost; and whether a set point is fresh.

use crate::config::{NodeConfig, PointConfig};
use crate::general::{General, default_node_fail_safe};
use crate::io::{NodeInputs, SetPoint};
use crate::types::{AllocReason, StationErrors};
use crate::work::NodeWork;

/// Whether an external set point is fresh at `now_ms` (LB-8): received no later than now and
/// within the validity time.
pub(crate) fn fresh(sp: Option<SetPoint>, now_ms: u64, validity_ms: u32) -> Option<u32> {
    let sp = sp?;
    if sp.received_ms > now_ms || now_ms.saturating_sub(sp.received_ms) > u64::from(validity_ms) {
        None
    } else {
        Some(sp.current_ma)
    }
}

/// Effective limit of every node this step: configured, external set point, fallback (EX-1,
/// LB-8, TREE-1).
#[inline(always)]
pub(crate) fn node_limits(
    g: &General,
    pcfg: &[PointConfig],
    ncfg: &[NodeConfig],
    nodes: &mut [NodeWork],
    inputs: &[NodeInputs],
    now_ms: u64,
    errors: &mut StationErrors,
) {
    for (i, (nc, (ns, ni))) in ncfg.iter().zip(nodes.iter_mut().zip(inputs)).enumerate() {
        ns.lim = nc.limit_ma;
        ns.lim_reason = [AllocReason::NodeLimit; 3];
        if !(g.external_control && nc.external) {
            continue;
        }
        match fresh(ni.setpoint, now_ms, g.timers.setpoint_validity_ms) {
            Some(sp) => {
                for (l, r) in ns.lim.iter_mut().zip(ns.lim_reason.iter_mut()) {
                    if sp < *l {
                        *l = sp;
                        *r = AllocReason::SetPoint;
                    }
                }
            }
            None => {
                *errors |= StationErrors::SETPOINT_LOST;
                let fs = nc
                    .fail_safe_ma
                    .unwrap_or_else(|| default_node_fail_safe(&g.thresholds, pcfg, ncfg, i));
                for ((l, r), f) in ns.lim.iter_mut().zip(ns.lim_reason.iter_mut()).zip(fs) {
                    *l = f.min(*l);
                    *r = AllocReason::Fallback;
                }
            }
        }
    }
}
