//! `Controller<POINTS, NODES>`: a Rust convenience that owns a validated configuration, the
//! state and the outputs in fixed-size arrays, over the slice-based [`crate::step`].

use crate::config::{Config, ConfigError, NodeConfig, PointConfig, RawConfig};
use crate::io::{Inputs, NodeInputs, PointInputs, PointOutput, StationInputs, StationOutput};
use crate::state::{NodeSite, NodeState, PointSite, PointState, StationState};
use crate::step::{Outputs, SiteState, State, Work, step};
use crate::work::{NodeWork, PointWork, StationWork};

/// One step's inputs for a [`Controller`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepInputs<const POINTS: usize, const NODES: usize> {
    /// Station-wide inputs.
    pub station: StationInputs,
    /// Per point.
    pub points: [PointInputs; POINTS],
    /// Per node.
    pub nodes: [NodeInputs; NODES],
}

impl<const P: usize, const N: usize> Default for StepInputs<P, N> {
    fn default() -> Self {
        StepInputs {
            station: StationInputs::default(),
            points: [PointInputs::default(); P],
            nodes: [NodeInputs::default(); N],
        }
    }
}

/// The outputs of the last step of a [`Controller`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepOutputs<const POINTS: usize> {
    /// Station output.
    pub station: StationOutput,
    /// Per point.
    pub points: [PointOutput; POINTS],
}

/// A controller for `POINTS` points under `NODES` tree nodes, owning everything.
#[derive(Clone, Debug)]
pub struct Controller<const POINTS: usize, const NODES: usize> {
    config: Config<[PointConfig; POINTS], [NodeConfig; NODES]>,
    station: StationState,
    points: [PointState; POINTS],
    nodes: [NodeState; NODES],
    point_sites: [PointSite; POINTS],
    node_sites: [NodeSite; NODES],
    point_work: [PointWork; POINTS],
    node_work: [NodeWork; NODES],
    station_work: StationWork,
    out: StepOutputs<POINTS>,
}

impl<const P: usize, const N: usize> Controller<P, N> {
    /// Validates `raw` and starts from a fresh state (SU-1: everything open, +12 V).
    pub fn new(raw: RawConfig<[PointConfig; P], [NodeConfig; N]>) -> Result<Self, ConfigError> {
        Ok(Self::with_config(Config::new(raw)?))
    }

    /// Starts from a fresh state with an already validated configuration.
    pub fn with_config(config: Config<[PointConfig; P], [NodeConfig; N]>) -> Self {
        Controller {
            config,
            station: StationState::new(),
            points: [PointState::new(); P],
            nodes: [NodeState::new(); N],
            point_sites: [PointSite::new(); P],
            node_sites: [NodeSite::new(); N],
            point_work: [PointWork::new(); P],
            node_work: [NodeWork::new(); N],
            station_work: StationWork::new(),
            out: StepOutputs {
                station: StationOutput::default(),
                points: [PointOutput::default(); P],
            },
        }
    }

    /// Runs one step at `now_ms` and returns its outputs.
    pub fn step(&mut self, inputs: &StepInputs<P, N>, now_ms: u64) -> &StepOutputs<P> {
        let view = self.config.view();
        let state = State {
            station: &mut self.station,
            points: &mut self.points,
            nodes: &mut self.nodes,
            site: SiteState {
                points: &mut self.point_sites,
                nodes: &mut self.node_sites,
            },
            work: Work {
                points: &mut self.point_work,
                nodes: &mut self.node_work,
                station: &mut self.station_work,
            },
        };
        let inputs = Inputs {
            station: inputs.station,
            points: &inputs.points,
            nodes: &inputs.nodes,
        };
        let out = Outputs {
            station: &mut self.out.station,
            points: &mut self.out.points,
        };
        // Lengths are equal by construction, so the step cannot refuse.
        let _ = step(&view, state, &inputs, now_ms, out);
        &self.out
    }

    /// The outputs of the last step.
    pub fn outputs(&self) -> &StepOutputs<P> {
        &self.out
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config<[PointConfig; P], [NodeConfig; N]> {
        &self.config
    }

    /// The per-point state (read-only).
    pub fn point_states(&self) -> &[PointState; P] {
        &self.points
    }

    /// The per-node state (read-only).
    pub fn node_states(&self) -> &[NodeState; N] {
        &self.nodes
    }

    /// The per-node site-meter memory (LB-14, read-only).
    pub fn node_sites(&self) -> &[NodeSite; N] {
        &self.node_sites
    }

    /// The station state (read-only).
    pub fn station_state(&self) -> &StationState {
        &self.station
    }

    /// Resets the state as after a power return (SU-1); the configuration stays.
    pub fn reset(&mut self) {
        *self = Self::with_config(self.config.clone());
    }
}

/// The standard two-point, three-phase station (SPEC §1): one station node of `limit_ma` per
/// phase, two Type 2 points of 32 A, every other parameter at its default.
pub fn two_point_station(limit_ma: u32) -> RawConfig<[PointConfig; 2], [NodeConfig; 1]> {
    RawConfig::with_defaults(
        crate::config::ProductFamily::City,
        [PointConfig::three_phase(0, 32_000); 2],
        [NodeConfig::station(None, limit_ma)],
    )
}
