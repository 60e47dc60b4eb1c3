//! Core's defaults into the C structs: `lp_config_default`, `lp_point_config_default` and
//! `lp_node_config_default` fill caller memory with the values core's `RawConfig::with_defaults`,
//! `PointConfig` and `NodeConfig` constructors give (SPEC §2), numbers of the C enums being
//! core's discriminants; the conversions are public for the Rust tests of the ABI.

use loadpilot_core::{NodeConfig, PointConfig, RawConfig};

use crate::config::{
    lp_config, lp_input_config, lp_node_config, lp_point_config, lp_protection_config,
    lp_session_config, lp_thermal_config, lp_thresholds, lp_timers,
};
use crate::enums;
use crate::lp_result;

/// Core's defaults → C (numbers of the C enums are core's discriminants).
fn config_to_c<PS, NS>(r: &RawConfig<PS, NS>) -> lp_config {
    let t = &r.timers;
    let th = &r.thresholds;
    let p = &r.protection;
    let s = &r.session;
    let thermal = p
        .thermal
        .map_or(lp_thermal_config::default(), |x| lp_thermal_config {
            derate_start_dc: x.derate_start_dc,
            derate_end_dc: x.derate_end_dc,
            pause_dc: x.pause_dc,
            hysteresis_dc: x.hysteresis_dc,
        });
    lp_config {
        family: r.family as u32,
        location: r.location as u32,
        shed_priority: r.shed_priority as u32,
        load_balancing: r.load_balancing.into(),
        external_control: r.external_control.into(),
        has_rotation: r.rotation_interval_ms.is_some().into(),
        rotation_interval_ms: r.rotation_interval_ms.unwrap_or(0),
        voltage_mv: r.voltage_mv,
        inputs: lp_input_config {
            in1: r.inputs.in1 as u32,
            in1_polarity: r.inputs.in1_polarity as u32,
            in2: r.inputs.in2 as u32,
            in2_polarity: r.inputs.in2_polarity as u32,
            load_shedding_ma: r.inputs.load_shedding_ma,
            temporary_limit_ma: r.inputs.temporary_limit_ma,
        },
        timers: lp_timers {
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
        thresholds: lp_thresholds {
            min_1ph_ma: th.min_1ph_ma,
            min_3ph_ma: th.min_3ph_ma,
            start_threshold_permille: th.start_threshold_permille,
            overcurrent_tolerance_ma: th.overcurrent_tolerance_ma,
            overcurrent_hard_ma: th.overcurrent_hard_ma,
            idle_threshold_ma: th.idle_threshold_ma,
            phase_tolerance_ma: th.phase_tolerance_ma,
            site_margin_ma: th.site_margin_ma,
        },
        protection: lp_protection_config {
            welded_current_ma: p.welded_current_ma,
            welded_ms: p.welded_ms,
            has_thermal: p.thermal.is_some().into(),
            thermal,
        },
        session: lp_session_config {
            auth_location: s.auth_location as u32,
            auth_strategy: s.auth_strategy as u32,
            unreachable: s.unreachable as u32,
            remote_start_required: s.remote_start_required.into(),
            allow_cable_left: s.allow_cable_left.into(),
            shutter: s.shutter.into(),
            lock: s.lock.into(),
            shutter_ms: s.shutter_ms,
            lock_ms: s.lock_ms,
            plug_wait_ms: s.plug_wait_ms,
            ev_wait_ms: s.ev_wait_ms,
            unplug_wait_ms: s.unplug_wait_ms,
        },
        points: core::ptr::null(),
        points_len: 0,
        nodes: core::ptr::null(),
        nodes_len: 0,
    }
}

/// A core point → C.
pub fn point_config_to_c(p: &PointConfig) -> lp_point_config {
    lp_point_config {
        node: p.node,
        external: p.external.into(),
        phase_detection: p.phase_detection.into(),
        phases: p.phases as u32,
        wiring: p.wiring.map(|w| w as u32),
        socket: p.socket as u32,
        rated_ma: p.rated_ma,
        derated_ma: p.derated_ma,
        has_fail_safe: p.fail_safe_ma.is_some().into(),
        fail_safe_ma: p.fail_safe_ma.unwrap_or(0),
    }
}

/// A core node → C.
pub fn node_config_to_c(n: &NodeConfig) -> lp_node_config {
    lp_node_config {
        has_parent: n.parent.is_some().into(),
        external: n.external.into(),
        site_meter: n.site_meter.into(),
        has_fail_safe: n.fail_safe_ma.is_some().into(),
        has_site_fail_safe: n.site_fail_safe_ma.is_some().into(),
        parent: n.parent.unwrap_or(0),
        kind: n.kind as u32,
        limit_ma: n.limit_ma,
        fail_safe_ma: n.fail_safe_ma.unwrap_or([0; 3]),
        site_fail_safe_ma: n.site_fail_safe_ma.unwrap_or([0; 3]),
        site_slot_ms: n.site_slot_ms,
    }
}

/// The general part of a core configuration → C (lists NULL); for Rust tests building the same
/// configuration on both sides.
pub fn config_to_c_general<PS, NS>(r: &RawConfig<PS, NS>) -> lp_config {
    config_to_c(r)
}

/// Fills `*out` with every general parameter at its default (SPEC §2) for product `family`
/// (`lp_product_family`); `points` and `nodes` are NULL with length 0: set them before use.
/// Returns `LP_NULL_ARGUMENT` or `LP_BAD_ENUM` (unknown family; `*out` untouched).
///
/// # Safety
/// `out` is NULL or points to writable memory for one `lp_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_config_default(family: u32, out: *mut lp_config) -> lp_result {
    crate::guard(|| {
        if out.is_null() {
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !out.is_aligned() {
            return lp_result::LP_MISALIGNED;
        }
        let Some(family) = enums::family(family) else {
            return lp_result::LP_BAD_ENUM;
        };
        let c = config_to_c(&RawConfig::with_defaults(family, (), ()));
        // SAFETY: non-null and aligned (checked), writable per the contract; `write` does not
        // read the old contents.
        unsafe { out.write(c) };
        lp_result::LP_OK
    })
}

/// Fills `*out` with a three-phase Type 2 point of `rated_ma` under node `node`, wired
/// L1→L1, L2→L2, L3→L3, not derated, phase detection on, no own set point. Core checks the
/// values when the configuration is used.
///
/// # Safety
/// `out` is NULL or points to writable memory for one `lp_point_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_point_config_default(
    node: u16,
    rated_ma: u32,
    out: *mut lp_point_config,
) -> lp_result {
    crate::guard(|| {
        if out.is_null() {
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !out.is_aligned() {
            return lp_result::LP_MISALIGNED;
        }
        let c = point_config_to_c(&PointConfig::three_phase(node, rated_ma));
        // SAFETY: non-null and aligned (checked), writable per the contract.
        unsafe { out.write(c) };
        lp_result::LP_OK
    })
}

/// Fills `*out` with a root node of `kind` (`lp_node_kind`) and `limit_ma` on every phase,
/// following set points (`external` = 1), default fail-safe currents, no site meter. Set
/// `has_parent` / `parent` for a node that is not the root. Returns `LP_BAD_ENUM` for an unknown
/// kind (`*out` untouched).
///
/// # Safety
/// `out` is NULL or points to writable memory for one `lp_node_config`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_node_config_default(
    kind: u32,
    limit_ma: u32,
    out: *mut lp_node_config,
) -> lp_result {
    crate::guard(|| {
        if out.is_null() {
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !out.is_aligned() {
            return lp_result::LP_MISALIGNED;
        }
        let Some(kind) = enums::node_kind(kind) else {
            return lp_result::LP_BAD_ENUM;
        };
        let c = node_config_to_c(&NodeConfig::new(None, kind, limit_ma));
        // SAFETY: non-null and aligned (checked), writable per the contract.
        unsafe { out.write(c) };
        lp_result::LP_OK
    })
}
