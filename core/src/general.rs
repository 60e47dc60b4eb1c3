//! What the step reads of a validated configuration beyond the points and nodes themselves:
//! [`General`], its station-wide part copied out once at validation (with the tree's shape and
//! the configuration's fingerprint), and the values derived from a configuration: minimum
//! operating currents (LB-3), start thresholds (LB-6), static ceilings, phase masks, default
//! fail-safe currents (LB-8), the tree's ancestry (TREE-1) and the pilot's detection time (PS-1).

use crate::config::{
    InputConfig, Location, MAX_DEPTH, NodeConfig, NodeKind, PointConfig, ProductFamily,
    ProtectionConfig, RawConfig, ShedPriority, Thresholds, Timers,
};
use crate::session::SessionConfig;
use crate::types::PhaseCount;

/// `P × (1 + ⌈debounce / P⌉)`: how long a pilot change may take to be believed (PS-1).
pub(crate) fn detection_ms(period_ms: u32, debounce_ms: u32) -> u32 {
    let periods = debounce_ms.div_ceil(period_ms.max(1));
    period_ms.saturating_mul(periods.saturating_add(1))
}

/// The scalar part of a configuration, copied out once when it is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct General {
    pub location: Location,
    pub shed_priority: ShedPriority,
    pub external_control: bool,
    pub voltage_mv: u32,
    pub inputs: InputConfig,
    pub timers: Timers,
    pub thresholds: Thresholds,
    pub family: ProductFamily,
    pub rotation_interval_ms: Option<u32>,
    pub protection: ProtectionConfig,
    pub session: SessionConfig,
    /// Derived from the nodes: the tree's shape for the subtree sums (tree.rs), whether a node
    /// has a site meter (LB-14), whether there is more than one station node (cluster flag).
    pub tree: crate::tree::Tree,
    pub has_site: bool,
    pub cluster: bool,
    /// A 64-bit hash of every field above and of every point and node, for the working
    /// memory's memo of a point's step (quiet.rs): the memo is used only under the configuration
    /// it was made with.
    pub fingerprint: u64,
}

impl General {
    /// The scalar configuration of a one-point City station with the defaults (unit tests).
    #[cfg(test)]
    pub(crate) fn for_tests() -> General {
        let raw = RawConfig::with_defaults(
            ProductFamily::City,
            [PointConfig::three_phase(0, 32_000)],
            [NodeConfig::station(None, 64_000)],
        );
        *crate::config::Config::new(raw)
            .expect("a valid configuration")
            .view()
            .general
    }

    pub(crate) fn of<PS: AsRef<[PointConfig]>, NS: AsRef<[NodeConfig]>>(
        raw: &RawConfig<PS, NS>,
    ) -> Self {
        let nodes = raw.nodes.as_ref();
        let mut g = General {
            location: raw.location,
            shed_priority: raw.shed_priority,
            external_control: raw.external_control,
            voltage_mv: raw.voltage_mv,
            inputs: raw.inputs,
            timers: raw.timers,
            thresholds: raw.thresholds,
            family: raw.family,
            rotation_interval_ms: raw.rotation_interval_ms,
            protection: raw.protection,
            session: raw.session,
            tree: crate::tree::Tree::of(nodes),
            has_site: nodes.iter().any(|n| n.site_meter),
            cluster: nodes.iter().filter(|n| n.kind == NodeKind::Station).count() > 1,
            fingerprint: 0,
        };
        g.fingerprint = fingerprint(&(&g, raw.points.as_ref(), nodes));
        g
    }
}

/// A 64-bit hash of a value's `Hash` feed, word by word: `h = (h.rotate_left(5) ^ word) · K`
/// (the mixing step of rustc's FxHasher), with `K` odd, so every step is a bijection of the word
/// and of the hash before it: two feeds that differ in one word always hash differently; others
/// collide by chance only. A fixed function of the value, the same on every run; cheap enough to
/// hash a 1024-point configuration at validation.
pub(crate) fn fingerprint<T: core::hash::Hash>(v: &T) -> u64 {
    let mut h = Fx(0x6c70_5f63_6f72_6531);
    v.hash(&mut h);
    core::hash::Hasher::finish(&h)
}

struct Fx(u64);

impl Fx {
    #[inline(always)]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl core::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(chunk) {
                *d = *s;
            }
            // The chunk's length too, so that a short last chunk differs from zeros.
            self.add(u64::from_le_bytes(w) ^ ((chunk.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

pub(crate) fn min_for(t: &Thresholds, phases: PhaseCount) -> u32 {
    match phases {
        PhaseCount::One => t.min_1ph_ma,
        PhaseCount::Three => t.min_3ph_ma,
    }
}

/// Start threshold (LB-6): the minimum × the configured ratio, capped at the ceiling.
pub(crate) fn start_threshold(t: &Thresholds, min_ma: u32, ceiling_ma: u32) -> u32 {
    let scaled = u64::from(min_ma).saturating_mul(u64::from(t.start_threshold_permille)) / 1000;
    u32::try_from(scaled).unwrap_or(u32::MAX).min(ceiling_ma)
}

/// The static ceiling of a point (rated, derated), 0 if below its minimum (LB-2, LB-3).
pub(crate) fn static_ceiling(t: &Thresholds, p: &PointConfig) -> u32 {
    let c = p.rated_ma.min(p.derated_ma);
    if c < min_for(t, p.phases) { 0 } else { c }
}

/// Supply phases a point loads when it charges on `phases` (LB-12).
pub(crate) fn phase_mask(p: &PointConfig) -> u8 {
    match p.phases {
        PhaseCount::One => p.wiring[0].bit(),
        PhaseCount::Three => 0b111,
    }
}

/// The default fail-safe of a node per phase (LB-8): the largest start threshold among the
/// points beneath, capped at the node limit.
pub(crate) fn default_node_fail_safe(
    t: &Thresholds,
    points: &[PointConfig],
    nodes: &[NodeConfig],
    node: usize,
) -> [u32; 3] {
    let mut out = [0u32; 3];
    for p in points {
        if !is_beneath(nodes, usize::from(p.node), node) {
            continue;
        }
        let ceiling = static_ceiling(t, p);
        let thr = start_threshold(t, min_for(t, p.phases), ceiling);
        let mask = phase_mask(p);
        for (ph, o) in out.iter_mut().enumerate() {
            if mask & (1 << ph) != 0 {
                *o = (*o).max(thr);
            }
        }
    }
    if let Some(n) = nodes.get(node) {
        for (o, l) in out.iter_mut().zip(n.limit_ma) {
            *o = (*o).min(l);
        }
    }
    out
}

/// Whether node `from` is `ancestor` or lies beneath it.
pub(crate) fn is_beneath(nodes: &[NodeConfig], from: usize, ancestor: usize) -> bool {
    let mut cur = Some(from);
    for _ in 0..=MAX_DEPTH {
        match cur {
            Some(c) if c == ancestor => return true,
            Some(c) => cur = nodes.get(c).and_then(|n| n.parent).map(usize::from),
            None => return false,
        }
    }
    false
}
