//! Sums over the limit tree (TREE-1): per-node totals of the points beneath each node, in
//! O(points + nodes · depth) instead of walking every point's ancestors.
//!
//! A step first computes each node's depth (`NodeState::depth`, 0 for the root); a sum then
//! adds each point into its own node only, and [`sum_up`] adds every node into its parent,
//! deepest level first, so each node ends with the total of its whole subtree. Saturating
//! additions of non-negative values give the same result in any order.

use crate::config::{MAX_DEPTH, NodeConfig};
use crate::state::NodeState;

/// Writes every node's depth and returns the largest.
pub(crate) fn depths(ncfg: &[NodeConfig], nodes: &mut [NodeState]) -> u8 {
    let mut max = 0u8;
    for (nc, ns) in ncfg.iter().zip(nodes.iter_mut()) {
        let mut d = 0u8;
        let mut cur = nc.parent;
        while let Some(p) = cur {
            if usize::from(d) >= MAX_DEPTH {
                break;
            }
            d = d.saturating_add(1);
            cur = ncfg.get(usize::from(p)).and_then(|x| x.parent);
        }
        ns.depth = d;
        max = max.max(d);
    }
    max
}

/// Adds `field` of every node into its parent's, deepest level first (see the module doc).
pub(crate) fn sum_up(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeState],
    max_depth: u8,
    field: fn(&mut NodeState) -> &mut [u32; 3],
) {
    let mut d = max_depth;
    while d > 0 {
        for i in 0..nodes.len() {
            let Some(ns) = nodes.get_mut(i) else { break };
            if ns.depth != d {
                continue;
            }
            let v = *field(ns);
            let Some(parent) = ncfg.get(i).and_then(|nc| nc.parent) else {
                continue;
            };
            if let Some(pn) = nodes.get_mut(usize::from(parent)) {
                for (a, x) in field(pn).iter_mut().zip(v) {
                    *a = a.saturating_add(x);
                }
            }
        }
        d = d.saturating_sub(1);
    }
}

/// Adds `v` to `field` of `node` alone (the subtree sums come from [`sum_up`]).
#[inline]
pub(crate) fn add_own(
    nodes: &mut [NodeState],
    node: u16,
    field: fn(&mut NodeState) -> &mut [u32; 3],
    v: [u32; 3],
) {
    if let Some(ns) = nodes.get_mut(usize::from(node)) {
        for (a, x) in field(ns).iter_mut().zip(v) {
            *a = a.saturating_add(x);
        }
    }
}
