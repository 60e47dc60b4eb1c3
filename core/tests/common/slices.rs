//! Caller-owned memory for the slice API, and the small helpers of the property tests (their
//! case count, a fixed pseudo-random stream).

use loadpilot_core::{PointInputs, PointOutput};

/// Caller-owned memory for the slice API (`loadpilot_core::step`), one `Vec` per slice, for the
/// tests that vary the slices themselves (their lengths, the site-meter memory, the working
/// memory).
#[derive(Clone, Debug)]
pub struct Slices {
    pub station: loadpilot_core::StationState,
    pub points: Vec<loadpilot_core::PointState>,
    pub station_inputs: loadpilot_core::StationInputs,
    pub inputs: Vec<PointInputs>,
    pub outputs: Vec<PointOutput>,
    pub nodes: Vec<loadpilot_core::NodeState>,
    pub node_inputs: Vec<loadpilot_core::NodeInputs>,
    pub work: Vec<loadpilot_core::PointWork>,
    pub node_work: Vec<loadpilot_core::NodeWork>,
    pub station_work: loadpilot_core::StationWork,
    /// LB-14 memory; empty (as `SiteState::none()`) unless a test fills it.
    pub point_site: Vec<loadpilot_core::PointSite>,
    pub node_site: Vec<loadpilot_core::NodeSite>,
    pub station_out: loadpilot_core::StationOutput,
}

impl Slices {
    /// Fresh memory of the right length for `points` points and `nodes` nodes, no site memory.
    pub fn new(points: usize, nodes: usize) -> Self {
        use loadpilot_core::{NodeInputs, NodeState, NodeWork, PointState, PointWork};
        Slices {
            station: loadpilot_core::StationState::new(),
            points: vec![PointState::new(); points],
            station_inputs: loadpilot_core::StationInputs::default(),
            inputs: vec![PointInputs::default(); points],
            outputs: vec![PointOutput::default(); points],
            nodes: vec![NodeState::new(); nodes],
            node_inputs: vec![NodeInputs::default(); nodes],
            work: vec![PointWork::new(); points],
            node_work: vec![NodeWork::new(); nodes],
            station_work: loadpilot_core::StationWork::new(),
            point_site: Vec::new(),
            node_site: Vec::new(),
            station_out: loadpilot_core::StationOutput::default(),
        }
    }

    /// One step over these slices at `now_ms`.
    pub fn step(
        &mut self,
        cfg: &loadpilot_core::ConfigView<'_>,
        now_ms: u64,
    ) -> Result<(), loadpilot_core::StepError> {
        use loadpilot_core::{Inputs, Outputs, SiteState, State, Work};
        loadpilot_core::step(
            cfg,
            State {
                station: &mut self.station,
                points: &mut self.points,
                nodes: &mut self.nodes,
                site: SiteState {
                    points: &mut self.point_site,
                    nodes: &mut self.node_site,
                },
                work: Work {
                    points: &mut self.work,
                    nodes: &mut self.node_work,
                    station: &mut self.station_work,
                },
            },
            &Inputs {
                station: self.station_inputs,
                points: &self.inputs,
                nodes: &self.node_inputs,
            },
            now_ms,
            Outputs {
                station: &mut self.station_out,
                points: &mut self.outputs,
            },
        )
    }
}

/// The number of cases of a property: `PROPTEST_CASES` when set (as for proptest's own default
/// configuration), else `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SplitMix64: a fixed pseudo-random stream (STYLE "Tests").
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
