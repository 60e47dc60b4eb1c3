//! Configurations shared by the energy scenario tests (`energy_sharing.rs`, `energy_shedding.rs`,
//! `energy_transfer.rs`, `energy_inputs.rs`): the 32 A three-phase point, and a station under
//! external control (EX-1) whose set points stay fresh for the whole test.

use super::station;
use loadpilot_core::{NodeConfig, PointConfig, RawConfig};

pub const P32: PointConfig = PointConfig::three_phase(0, 32_000);

pub type Raw<const P: usize, const N: usize> = RawConfig<[PointConfig; P], [NodeConfig; N]>;

/// A station under external control whose set points stay fresh for the whole test.
pub fn external<const P: usize>(limit_ma: u32, points: [PointConfig; P]) -> Raw<P, 1> {
    let mut raw = station(limit_ma, points);
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    raw
}
