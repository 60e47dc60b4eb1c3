//! Sums over the limit tree (TREE-1): per-node totals of the points beneath each node, in
//! O(points + nodes · depth) instead of walking every point's ancestors.
//!
//! The validated configuration holds the tree's shape ([`Tree`]); a step of a tree not listed
//! parents first also writes each node's depth (`NodeWork::depth`, 0 for the root). A sum then
//! adds each point into its own node only, and [`sum_up`] adds every node into its parent,
//! children before parents, so each node ends with the total of its whole subtree: in one pass
//! in reverse index order when every node is listed after its parent (the usual listing),
//! otherwise deepest level first, one pass per level. Saturating additions of non-negative
//! values give the same result in any order.

use crate::config::{MAX_DEPTH, NodeConfig};
use crate::work::NodeWork;

/// The shape of the tree that the sums need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Tree {
    /// The depth of the deepest node.
    pub max_depth: u8,
    /// Every node is listed after its parent.
    pub parents_first: bool,
}

impl Tree {
    /// The shape of a configuration's tree (computed once, when it is validated).
    pub(crate) fn of(ncfg: &[NodeConfig]) -> Tree {
        let mut max = 0u8;
        let mut parents_first = true;
        for (i, nc) in ncfg.iter().enumerate() {
            parents_first &= nc.parent.is_none_or(|p| usize::from(p) < i);
            max = max.max(depth_of(ncfg, nc));
        }
        Tree {
            max_depth: max,
            parents_first,
        }
    }

    /// Readies the working memory for the sums: writes every node's depth where [`sum_up`]
    /// needs it (a tree not listed parents first).
    #[inline]
    pub(crate) fn prepare(self, ncfg: &[NodeConfig], nodes: &mut [NodeWork]) {
        if !self.parents_first {
            for (nc, ns) in ncfg.iter().zip(nodes.iter_mut()) {
                ns.depth = depth_of(ncfg, nc);
            }
        }
    }
}

/// The depth of a node (0: the root).
fn depth_of(ncfg: &[NodeConfig], nc: &NodeConfig) -> u8 {
    let mut d = 0u8;
    let mut cur = nc.parent;
    while let Some(p) = cur {
        if usize::from(d) >= MAX_DEPTH {
            break;
        }
        d = d.saturating_add(1);
        cur = ncfg.get(usize::from(p)).and_then(|x| x.parent);
    }
    d
}

/// Adds `field` of every node into its parent's, children first (see the module doc).
pub(crate) fn sum_up(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeWork],
    tree: Tree,
    field: fn(&mut NodeWork) -> &mut [u32; 3],
) {
    if tree.max_depth == 0 {
        return;
    }
    if tree.parents_first {
        for i in (0..nodes.len()).rev() {
            into_parent(ncfg, nodes, i, field);
        }
        return;
    }
    let mut d = tree.max_depth;
    while d > 0 {
        for i in 0..nodes.len() {
            if nodes.get(i).is_some_and(|ns| ns.depth == d) {
                into_parent(ncfg, nodes, i, field);
            }
        }
        d = d.saturating_sub(1);
    }
}

/// Adds `field` of node `i` into its parent's.
#[inline]
fn into_parent(
    ncfg: &[NodeConfig],
    nodes: &mut [NodeWork],
    i: usize,
    field: fn(&mut NodeWork) -> &mut [u32; 3],
) {
    let Some(parent) = ncfg.get(i).and_then(|nc| nc.parent) else {
        return;
    };
    let Some(v) = nodes.get_mut(i).map(|ns| *field(ns)) else {
        return;
    };
    if let Some(pn) = nodes.get_mut(usize::from(parent)) {
        for (a, x) in field(pn).iter_mut().zip(v) {
            *a = a.saturating_add(x);
        }
    }
}

/// `v` on each supply phase set in `mask`, 0 on the others.
#[inline]
pub(crate) fn per_phase(mask: u8, v: u32) -> [u32; 3] {
    [0u8, 1, 2].map(|ph| if mask & (1 << ph) != 0 { v } else { 0 })
}

/// Adds `v` to `field` of `node` alone (the subtree sums come from [`sum_up`]).
#[inline]
pub(crate) fn add_own(
    nodes: &mut [NodeWork],
    node: u16,
    field: fn(&mut NodeWork) -> &mut [u32; 3],
    v: [u32; 3],
) {
    if let Some(ns) = nodes.get_mut(usize::from(node)) {
        for (a, x) in field(ns).iter_mut().zip(v) {
            *a = a.saturating_add(x);
        }
    }
}
