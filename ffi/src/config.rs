//! `lp_config` (the C mirror of core's `RawConfig`) and its checked conversion to core (the
//! functions that fill C structs with core's defaults: `defaults`).
//!
//! Every enum and boolean of the C structs is converted with a checked conversion first
//! (`LP_CONFIG_REASON_BAD_ENUM` naming the field); then core's `Config::new` validates the whole
//! configuration and its `ConfigError` is mapped to the same codes. `Option`s of core are a
//! `has_*` flag beside the value: a zeroed struct is "none".

use loadpilot_core::{
    InputConfig, NodeConfig, PointConfig, ProtectionConfig, RawConfig, SessionConfig,
    ThermalConfig, Thresholds, Timers,
};

use crate::config_error::{LP_NO_INDEX, lp_config_error, lp_config_field, lp_config_field as F};
use crate::enums::{self, boolean};

/// Function inputs (IN-1 … IN-5). Enum fields hold `lp_input1_function`, `lp_polarity`, …
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_input_config {
    /// Function of input 1 (`lp_input1_function`).
    pub in1: u32,
    /// Polarity of input 1 (`lp_polarity`).
    pub in1_polarity: u32,
    /// Function of input 2 (`lp_input2_function`).
    pub in2: u32,
    /// Polarity of input 2 (`lp_polarity`).
    pub in2_polarity: u32,
    /// Ceiling of every point while load shedding is active (IN-3), mA; 0 pauses.
    pub load_shedding_ma: u32,
    /// Ceiling of every point while temporary limitation is active (IN-5), mA.
    pub temporary_limit_ma: u32,
}

/// Every timer of SPEC §5.5, in ms; ranges in core's `Timers`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_timers {
    /// The firmware's sample period P: how often it calls `lp_step` (10–40 ms, PS-1).
    pub sample_period_ms: u32,
    /// Contactor release time R (1–50 ms, PS-1 budget).
    pub contactor_release_ms: u32,
    /// Debounce towards a safer pilot state (1–60 ms, PS-1).
    pub debounce_safer_ms: u32,
    /// Debounce towards C and D (1–2000 ms, PS-1).
    pub debounce_charge_ms: u32,
    /// EV response time to a reduction (1–5 s, PS-5, LB-9).
    pub ev_response_ms: u32,
    /// Grace time to leave C after PWM stops (1–6 s, PS-5).
    pub grace_ms: u32,
    /// Shortest interval between two rises of one point (1–60 s, PS-5).
    pub rise_interval_ms: u32,
    /// Minimum pause after a stop (0–3600 s, LB-6).
    pub min_pause_ms: u32,
    /// Minimum run time before a point may be shed (0–3600 s, LB-6).
    pub min_run_ms: u32,
    /// Idle time before an EV's allocation drops to its minimum (1–3600 s, LB-10).
    pub idle_ms: u32,
    /// Time one phase alone must draw to count as single-phase (1–3600 s, LB-12).
    pub phase_detection_ms: u32,
    /// Validity of an external set point (1–3600 s, LB-8).
    pub setpoint_validity_ms: u32,
    /// Validity of a site-meter reading (1–3600 s, LB-14).
    pub site_meter_validity_ms: u32,
    /// Hold time before a fall of the site's other load is believed (0–3600 s, LB-14).
    pub site_meter_hold_ms: u32,
    /// Authentication timeout (0–999 s, AU-2).
    pub auth_timeout_ms: u32,
    /// Time in B after PWM returned before a wake-up (1–600 s, PS-7).
    pub wakeup_after_ms: u32,
    /// Length of the State F wake-up (1–10 s, PS-7).
    pub wakeup_f_ms: u32,
    /// Settling window after a wake-up (1–5000 ms, PS-7).
    pub wakeup_settle_ms: u32,
    /// Start stagger per point after a power return (0–60 s, SU-1).
    pub stagger_ms: u32,
    /// Longest step gap counted for energy (100 ms – 10 s, SU-3).
    pub max_gap_ms: u32,
}

/// Current thresholds (mA, ‰); ranges in core's `Thresholds`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_thresholds {
    /// Minimum current of a single-phase charge (6–32 A, LB-3).
    pub min_1ph_ma: u32,
    /// Minimum current of a three-phase charge (6–32 A, LB-3).
    pub min_3ph_ma: u32,
    /// Start threshold as ‰ of the minimum (1000–3000 ‰, LB-6).
    pub start_threshold_permille: u32,
    /// Over-current tolerated after the response time (0–10 A, LB-9).
    pub overcurrent_tolerance_ma: u32,
    /// Over-current that stops at once (1–20 A, above the tolerance, PS-4).
    pub overcurrent_hard_ma: u32,
    /// Below this draw an EV counts as idle (0.1–6 A, LB-10).
    pub idle_threshold_ma: u32,
    /// A phase drawing more than this counts as drawing (0.1–6 A, LB-12).
    pub phase_tolerance_ma: u32,
    /// Margin kept below a site-metered node's limit (0–100 A, LB-14).
    pub site_margin_ma: u32,
}

/// Thermal derating (TH-1), tenths of °C: start < end < pause, hysteresis > 0.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_thermal_config {
    /// Above this the ceiling falls linearly …
    pub derate_start_dc: i16,
    /// … to the minimum at this temperature.
    pub derate_end_dc: i16,
    /// At or above this the point pauses …
    pub pause_dc: i16,
    /// … until this much below `pause_dc` again.
    pub hysteresis_dc: i16,
}

/// Contactor and temperature protection (CT-1, TH-1).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_protection_config {
    /// Current through an open contactor that counts as welded (0.1–6 A, CT-1), mA.
    pub welded_current_ma: u32,
    /// How long it must flow (100 ms – 10 s), ms.
    pub welded_ms: u32,
    /// 1: thermal derating on (`thermal` applies); 0: off.
    pub has_thermal: u8,
    /// Thermal derating, when `has_thermal` is 1.
    pub thermal: lp_thermal_config,
}

/// Sessions and authorisation (SPEC §2.1, §5, AU-*).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_session_config {
    /// Where badges are checked (`lp_auth_location`).
    pub auth_location: u32,
    /// Strategy at the charging station (`lp_auth_strategy`).
    pub auth_strategy: u32,
    /// Strategy while the supervision is unreachable (`lp_unreachable_strategy`).
    pub unreachable: u32,
    /// 1: only a remote start starts a session (EX-2).
    pub remote_start_required: u8,
    /// 1: the cable may stay in the socket after the EV left (CAB-1).
    pub allow_cable_left: u8,
    /// 1: the sockets have a shutter.
    pub shutter: u8,
    /// 1: the sockets have a cable lock.
    pub lock: u8,
    /// Time for the shutter to open or close (0.5–30 s), ms.
    pub shutter_ms: u32,
    /// Time for the lock to lock or unlock (0.5–30 s), ms.
    pub lock_ms: u32,
    /// Time to plug in after authorisation (1 s – 10 min), ms.
    pub plug_wait_ms: u32,
    /// Time for the EV to show after locking (1 s – 10 min), ms.
    pub ev_wait_ms: u32,
    /// Time to remove the cable after unlocking (1 s – 1 h), ms.
    pub unplug_wait_ms: u32,
}

/// One charge point (SPEC §2.2). `lp_point_config_default` fills a three-phase 32 A Type 2
/// point.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_point_config {
    /// Index of the tree node the point hangs under.
    pub node: u16,
    /// 1: this point's ceiling follows its own set point (`lp_point_inputs.setpoint_ma`, EX-1).
    pub external: u8,
    /// 1: single-phase detection on a three-phase point (LB-12).
    pub phase_detection: u8,
    /// `LP_PHASES_ONE` or `LP_PHASES_THREE`.
    pub phases: u32,
    /// Supply phase (`lp_phase`) each point phase L1, L2, L3 is wired to: a permutation. A
    /// single-phase point uses only `wiring[0]`.
    pub wiring: [u32; 3],
    /// Socket or cable type (`lp_socket`).
    pub socket: u32,
    /// Rated current (6–80 A), mA.
    pub rated_ma: u32,
    /// Derated current (0 – rated), mA.
    pub derated_ma: u32,
    /// 1: `fail_safe_ma` applies when the point's set point is stale (LB-8); 0: the default.
    pub has_fail_safe: u8,
    /// Fail-safe current (mA), when `has_fail_safe` is 1.
    pub fail_safe_ma: u32,
}

/// One node of the limit tree (TREE-1). `lp_node_config_default` fills one.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_node_config {
    /// 1: `parent` is this node's parent; 0: this node is the root (exactly one root).
    pub has_parent: u8,
    /// 1: the limit follows the node's set point (`lp_node_inputs.setpoint_ma`, EX-1).
    pub external: u8,
    /// 1: the node carries a site meter (`lp_node_inputs.site_*`, LB-14).
    pub site_meter: u8,
    /// 1: `fail_safe_ma` is given; 0: the default (LB-8).
    pub has_fail_safe: u8,
    /// 1: `site_fail_safe_ma` is given; 0: the default (LB-14).
    pub has_site_fail_safe: u8,
    /// Index of the parent node, when `has_parent` is 1.
    pub parent: u16,
    /// Kind of node (`lp_node_kind`).
    pub kind: u32,
    /// Limit per supply phase L1, L2, L3, mA.
    pub limit_ma: [u32; 3],
    /// Fail-safe current per phase when the set point is stale (LB-8), mA.
    pub fail_safe_ma: [u32; 3],
    /// Headroom per phase while the site meter is stale (LB-14), mA.
    pub site_fail_safe_ma: [u32; 3],
    /// Width of each of the 16 slots of the site meter's history (10–1000 ms, LB-14).
    pub site_slot_ms: u32,
}

/// A station configuration: general parameters, and the caller's arrays of points and nodes
/// (only read during `lp_controller_init` / `lp_config_check`, which copy them).
/// `lp_config_default` fills every general parameter with its default.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lp_config {
    /// Product family (`lp_product_family`).
    pub family: u32,
    /// Location (`lp_location`, LOC-1).
    pub location: u32,
    /// Shedding priority (`lp_shed_priority`, LB-5).
    pub shed_priority: u32,
    /// 1: load balancing between points; 0: off (LB-7: the ceilings must fit every limit).
    pub load_balancing: u8,
    /// 1: external set points apply (EX-1, LB-8).
    pub external_control: u8,
    /// 1: rotation under a lasting shortage every `rotation_interval_ms` (LB-13); 0: off.
    pub has_rotation: u8,
    /// Rotation interval (1 min – 24 h), ms.
    pub rotation_interval_ms: u32,
    /// Phase–neutral voltage for metering (175–276 V), mV.
    pub voltage_mv: u32,
    /// Function inputs.
    pub inputs: lp_input_config,
    /// Timers.
    pub timers: lp_timers,
    /// Thresholds.
    pub thresholds: lp_thresholds,
    /// Protection.
    pub protection: lp_protection_config,
    /// Sessions.
    pub session: lp_session_config,
    /// The points, `points_len` of them (1–4096); index = point number − 1.
    pub points: *const lp_point_config,
    /// Number of points.
    pub points_len: u32,
    /// The tree nodes, `nodes_len` of them (1–4096).
    pub nodes: *const lp_node_config,
    /// Number of nodes.
    pub nodes_len: u32,
}

/// Converts one C field with `conv`, or names it as a bad enum.
fn conv<T, R: Copy + Into<u64>>(
    raw: R,
    conv: impl FnOnce(R) -> Option<T>,
    field: lp_config_field,
    index: u32,
) -> Result<T, lp_config_error> {
    conv(raw).ok_or_else(|| lp_config_error::bad(field, index, raw.into()))
}

fn flag(raw: u8, field: lp_config_field, index: u32) -> Result<bool, lp_config_error> {
    conv(raw, boolean, field, index)
}

/// The general part of a C configuration with the given lists, every enum and boolean checked
/// (core validates ranges afterwards).
pub(crate) fn raw_config<PS, NS>(
    c: &lp_config,
    points: PS,
    nodes: NS,
) -> Result<RawConfig<PS, NS>, lp_config_error> {
    let n = LP_NO_INDEX;
    let i = &c.inputs;
    let t = &c.timers;
    let th = &c.thresholds;
    let p = &c.protection;
    let s = &c.session;
    let thermal = if flag(p.has_thermal, F::LP_FIELD_THERMAL, n)? {
        Some(ThermalConfig {
            derate_start_dc: p.thermal.derate_start_dc,
            derate_end_dc: p.thermal.derate_end_dc,
            pause_dc: p.thermal.pause_dc,
            hysteresis_dc: p.thermal.hysteresis_dc,
        })
    } else {
        None
    };
    Ok(RawConfig {
        family: conv(c.family, enums::family, F::LP_FIELD_FAMILY, n)?,
        location: conv(c.location, enums::location, F::LP_FIELD_LOCATION, n)?,
        load_balancing: flag(c.load_balancing, F::LP_FIELD_LOAD_BALANCING, n)?,
        shed_priority: conv(
            c.shed_priority,
            enums::shed_priority,
            F::LP_FIELD_SHED_PRIORITY,
            n,
        )?,
        external_control: flag(c.external_control, F::LP_FIELD_EXTERNAL_CONTROL, n)?,
        voltage_mv: c.voltage_mv,
        inputs: InputConfig {
            in1: conv(i.in1, enums::input1, F::LP_FIELD_IN1, n)?,
            in1_polarity: conv(i.in1_polarity, enums::polarity, F::LP_FIELD_IN1_POLARITY, n)?,
            in2: conv(i.in2, enums::input2, F::LP_FIELD_IN2, n)?,
            in2_polarity: conv(i.in2_polarity, enums::polarity, F::LP_FIELD_IN2_POLARITY, n)?,
            load_shedding_ma: i.load_shedding_ma,
            temporary_limit_ma: i.temporary_limit_ma,
        },
        timers: Timers {
            sample_period_ms: t.sample_period_ms,
            contactor_release_ms: t.contactor_release_ms,
            debounce_safer_ms: t.debounce_safer_ms,
            debounce_charge_ms: t.debounce_charge_ms,
            ev_response_ms: t.ev_response_ms,
            grace_ms: t.grace_ms,
            rise_interval_ms: t.rise_interval_ms,
            min_pause_ms: t.min_pause_ms,
            min_run_ms: t.min_run_ms,
            idle_ms: t.idle_ms,
            phase_detection_ms: t.phase_detection_ms,
            setpoint_validity_ms: t.setpoint_validity_ms,
            site_meter_validity_ms: t.site_meter_validity_ms,
            site_meter_hold_ms: t.site_meter_hold_ms,
            auth_timeout_ms: t.auth_timeout_ms,
            wakeup_after_ms: t.wakeup_after_ms,
            wakeup_f_ms: t.wakeup_f_ms,
            wakeup_settle_ms: t.wakeup_settle_ms,
            stagger_ms: t.stagger_ms,
            max_gap_ms: t.max_gap_ms,
        },
        thresholds: Thresholds {
            min_1ph_ma: th.min_1ph_ma,
            min_3ph_ma: th.min_3ph_ma,
            start_threshold_permille: th.start_threshold_permille,
            overcurrent_tolerance_ma: th.overcurrent_tolerance_ma,
            overcurrent_hard_ma: th.overcurrent_hard_ma,
            idle_threshold_ma: th.idle_threshold_ma,
            phase_tolerance_ma: th.phase_tolerance_ma,
            site_margin_ma: th.site_margin_ma,
        },
        rotation_interval_ms: flag(c.has_rotation, F::LP_FIELD_ROTATION_INTERVAL, n)?
            .then_some(c.rotation_interval_ms),
        protection: ProtectionConfig {
            welded_current_ma: p.welded_current_ma,
            welded_ms: p.welded_ms,
            thermal,
        },
        session: SessionConfig {
            auth_location: conv(
                s.auth_location,
                enums::auth_location,
                F::LP_FIELD_AUTH_LOCATION,
                n,
            )?,
            auth_strategy: conv(
                s.auth_strategy,
                enums::auth_strategy,
                F::LP_FIELD_AUTH_STRATEGY,
                n,
            )?,
            unreachable: conv(
                s.unreachable,
                enums::unreachable,
                F::LP_FIELD_UNREACHABLE,
                n,
            )?,
            remote_start_required: flag(
                s.remote_start_required,
                F::LP_FIELD_REMOTE_START_REQUIRED,
                n,
            )?,
            allow_cable_left: flag(s.allow_cable_left, F::LP_FIELD_ALLOW_CABLE_LEFT, n)?,
            shutter: flag(s.shutter, F::LP_FIELD_SHUTTER, n)?,
            lock: flag(s.lock, F::LP_FIELD_LOCK, n)?,
            shutter_ms: s.shutter_ms,
            lock_ms: s.lock_ms,
            plug_wait_ms: s.plug_wait_ms,
            ev_wait_ms: s.ev_wait_ms,
            unplug_wait_ms: s.unplug_wait_ms,
        },
        points,
        nodes,
    })
}

/// One C point → core, enums and booleans checked.
pub(crate) fn point_config(
    c: &lp_point_config,
    index: u32,
) -> Result<PointConfig, lp_config_error> {
    let wire = |k: usize| -> Result<_, lp_config_error> {
        let raw = c.wiring.get(k).copied().unwrap_or(u32::MAX);
        conv(raw, enums::phase, F::LP_FIELD_POINT_WIRING, index)
    };
    Ok(PointConfig {
        node: c.node,
        phases: conv(c.phases, enums::phases, F::LP_FIELD_POINT_PHASES, index)?,
        wiring: [wire(0)?, wire(1)?, wire(2)?],
        socket: conv(c.socket, enums::socket, F::LP_FIELD_POINT_SOCKET, index)?,
        rated_ma: c.rated_ma,
        derated_ma: c.derated_ma,
        external: flag(c.external, F::LP_FIELD_POINT_EXTERNAL, index)?,
        fail_safe_ma: flag(c.has_fail_safe, F::LP_FIELD_POINT_FAIL_SAFE, index)?
            .then_some(c.fail_safe_ma),
        phase_detection: flag(c.phase_detection, F::LP_FIELD_POINT_PHASE_DETECTION, index)?,
    })
}

/// One C node → core, enums and booleans checked.
pub(crate) fn node_config(c: &lp_node_config, index: u32) -> Result<NodeConfig, lp_config_error> {
    Ok(NodeConfig {
        parent: flag(c.has_parent, F::LP_FIELD_NODE_PARENT, index)?.then_some(c.parent),
        kind: conv(c.kind, enums::node_kind, F::LP_FIELD_NODE_KIND, index)?,
        limit_ma: c.limit_ma,
        external: flag(c.external, F::LP_FIELD_NODE_EXTERNAL, index)?,
        fail_safe_ma: flag(c.has_fail_safe, F::LP_FIELD_NODE_FAIL_SAFE, index)?
            .then_some(c.fail_safe_ma),
        site_meter: flag(c.site_meter, F::LP_FIELD_NODE_SITE_METER, index)?,
        site_fail_safe_ma: flag(c.has_site_fail_safe, F::LP_FIELD_NODE_SITE_FAIL_SAFE, index)?
            .then_some(c.site_fail_safe_ma),
        site_slot_ms: c.site_slot_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::{lp_config_default, node_config_to_c, point_config_to_c};
    use crate::lp_result;
    use loadpilot_core::{Phase, ProductFamily};

    /// Proves the C defaults are core's defaults (SPEC §2): converting them back gives the same
    /// configuration.
    #[test]
    fn defaults_round_trip_through_c() {
        for family in [
            ProductFamily::City,
            ProductFamily::Parking,
            ProductFamily::Wallbox,
        ] {
            let core = RawConfig::with_defaults(family, (), ());
            let mut c = core::mem::MaybeUninit::<lp_config>::uninit();
            assert_eq!(
                unsafe { lp_config_default(family as u32, c.as_mut_ptr()) },
                lp_result::LP_OK
            );
            let c = unsafe { c.assume_init() };
            assert_eq!(raw_config(&c, (), ()).unwrap(), core);
        }
        let p = PointConfig::single_phase(3, 16_000, Phase::L3);
        assert_eq!(point_config(&point_config_to_c(&p), 0).unwrap(), p);
        let mut n = NodeConfig::station(Some(2), 40_000);
        n.fail_safe_ma = Some([1, 2, 3]);
        assert_eq!(node_config(&node_config_to_c(&n), 0).unwrap(), n);
    }
}
