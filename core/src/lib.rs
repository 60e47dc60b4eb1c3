//! # loadpilot-core
//!
//! The energy controller of an AC charging station: one deterministic, allocation-free,
//! panic-free step function over caller-owned memory, in integer arithmetic only.
//!
//! `step(config, state, inputs, now_ms) → outputs`: time is an argument, and every output
//! carries `next_deadline_ms`, the latest time to call again. Use [`Controller`] from Rust, or
//! [`step()`] over your own slices (the C ABI does).
//!
//! Memory, all the caller's: the state kept between steps ([`StationState`], a [`PointState`]
//! per point, a [`NodeState`] per node), the step's working memory ([`Work`]: rewritten before
//! it is read, but for three memos that are used only where they are exact, the last
//! water-filling, each point's last step that changed nothing of it and the station's last
//! step that changed nothing; so it need not be kept, nor saved for a warm restart: kept, it
//! saves work), the LB-14 site-meter memory
//! ([`SiteState`], only when a node has a site meter), inputs and outputs.
//!
//! ## Map from SPEC rule to module
//! | rules | module |
//! |---|---|
//! | §2.2, §5.5 parameters | [`config`] |
//! | what the step reads of them, and the values derived from them (LB-3, LB-6, LB-8) | `general` |
//! | their checks: ranges, TREE-1, LB-7, LB-8, LB-14 fit, PS-1 budget; the errors | `validate`, `config_error` |
//! | TREE-1, LB-1, LB-4, LB-12 (constraints per phase) | `balance` |
//! | TREE-1: per-node sums of the points beneath, summed up the tree | `tree` |
//! | LB-5, LB-6, LB-13, VIP (AU-1 side), SU-1 stagger | `shed` |
//! | LB-2, LB-3, LB-9 (EV side), LB-10, LB-12 detection, IN-1 … IN-5, EX-1, EX-2, LOC-1 | `point` |
//! | LB-9 (node side: counts, over-limit stops; the transfer), PS-5 rise interval | `overload` |
//! | LB-14 | `site` |
//! | PS-3 duty, PS-4 contactor, SU-1 closing | `drive`, [`pilot`] |
//! | PS-1, PS-2, PS-6, CAB-2 | [`cp`] |
//! | the pipeline; LB-8 fallback, SU-3 clock | `step` |
//! | the deadline (`next_deadline_ms`) | `deadline` |
//! | §5.1, §5.2 sessions, AU-1 … AU-4, EX-2 remote start, CAB-1 | [`session`] |
//! | PS-7 wake-up, CT-1, TH-1, CAB-3 | `drive`, `point` |
//! | MT-1, MT-2 source | [`meter`], `point` |
#![cfg_attr(not(test), no_std)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_possible_wrap
    )
)]
#![warn(missing_docs)]

mod balance;
pub mod config;
mod config_error;
mod controller;
pub mod cp;
mod deadline;
mod drive;
mod general;
mod io;
mod limits;
pub mod meter;
mod order;
mod overload;
pub mod pilot;
mod point;
mod quiet;
mod readings;
pub mod session;
mod shed;
mod site;
mod start;
mod state;
mod step;
mod tree;
pub mod types;
mod validate;
mod work;

pub use config::{
    Config, ConfigError, ConfigView, Field, Input1Function, Input2Function, InputConfig, Location,
    NodeConfig, NodeKind, PointConfig, Polarity, ProductFamily, ProtectionConfig, RawConfig,
    Reason, ShedPriority, ThermalConfig, Thresholds, Timers,
};
pub use controller::{Controller, StepInputs, StepOutputs, two_point_station};
pub use io::{
    CpReading, Inputs, NO_NODE, NodeInputs, PointInputs, PointOutput, SetPoint, SiteReading,
    StationInputs, StationOutput, StepError,
};
pub use session::{
    AuthLocation, AuthStrategy, Badge, BadgeKind, LastError, OutletStatus, Remote, SessionConfig,
    UnreachableStrategy,
};
pub use state::{NodeSite, NodeState, PointSite, PointState, Run, StationState};
pub use step::{Outputs, SiteState, State, Work, step};
pub use types::{
    AllocReason, BadValue, Commands, Phase, PhaseCount, PilotOutput, PointFlags, SocketType,
    StationErrors, VehicleState,
};
pub use work::{NodeWork, PointWork, StationWork};
