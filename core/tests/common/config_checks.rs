//! What the configuration tests (`config.rs`, `config_tree.rs`, `config_timing.rs`,
//! `config_parse.rs`) share: the standard two-point station they start from, and the checks that
//! a configuration is accepted, or refused with the exact `ConfigError { field, reason }`.

use loadpilot_core::{
    Config, ConfigError, Field, NodeConfig, PointConfig, RawConfig, Reason, two_point_station,
};

pub type Raw2 = RawConfig<[PointConfig; 2], [NodeConfig; 1]>;

/// The standard two-point station on a 64 A station node, every other parameter at its default.
pub fn base() -> Raw2 {
    two_point_station(64_000)
}

pub fn check<PS, NS>(raw: RawConfig<PS, NS>) -> Result<(), ConfigError>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    Config::new(raw).map(|_| ())
}

#[track_caller]
pub fn refused<PS, NS>(raw: RawConfig<PS, NS>, field: Field, reason: Reason)
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    assert_eq!(check(raw), Err(ConfigError { field, reason }));
}

#[track_caller]
pub fn accepted<PS, NS>(raw: RawConfig<PS, NS>)
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    if let Err(e) = check(raw) {
        panic!("expected the configuration to be accepted, got: {e}");
    }
}

pub fn out_of_range(value: u32, min: u32, max: u32) -> Reason {
    Reason::OutOfRange {
        value: value.into(),
        min: min.into(),
        max: max.into(),
    }
}
