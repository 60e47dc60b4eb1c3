//! # loadpilot-core
//!
//! The energy controller of an AC charging station: one deterministic, allocation-free,
//! panic-free step function over caller-owned memory, in integer arithmetic only.
//!
//! `step(config, state, inputs, now_ms) → outputs`: time is an argument, and every output
//! carries `next_deadline_ms`, the latest time to call again. Use [`Controller`] from Rust, or
//! [`step()`] over your own slices (the C ABI does).
//!
//! ## Map from SPEC rule to module
//! | rules | module |
//! |---|---|
//! | §2.2, §5.5 parameters; LB-7, LB-8 fit checks; PS-1 budget | [`config`] |
//! | TREE-1, LB-1, LB-4, LB-12 (constraints per phase) | `balance` |
//! | LB-5, LB-6, VIP (AU-1 side), SU-1 stagger | `shed` |
//! | LB-2, LB-3, LB-9, LB-10, LB-11, LB-12 detection, IN-1 … IN-5, EX-1, EX-2, LOC-1, SU-3, PS-4 | `step` |
//! | PS-3 | [`pilot`] |
//! | MT-1 | [`meter`] |
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
mod controller;
mod io;
pub mod meter;
pub mod pilot;
mod shed;
mod state;
mod step;
pub mod types;

pub use config::{
    Config, ConfigError, ConfigView, Field, Input1Function, Input2Function, InputConfig, Location,
    NodeConfig, NodeKind, PointConfig, Polarity, ProductFamily, RawConfig, Reason, ShedPriority,
    Thresholds, Timers,
};
pub use controller::{Controller, StepInputs, StepOutputs, two_point_station};
pub use io::{
    Inputs, NO_NODE, NodeInputs, PointInputs, PointOutput, SetPoint, SiteReading, StationInputs,
    StationOutput, StepError,
};
pub use state::{NodeState, PointState, Run, StationState};
pub use step::{Outputs, State, step};
pub use types::{
    AllocReason, BadValue, Commands, Phase, PhaseCount, PilotOutput, PointFlags, SocketType,
    StationErrors, VehicleState,
};
