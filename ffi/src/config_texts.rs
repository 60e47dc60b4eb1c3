//! The static, NUL-terminated English texts of the configuration error codes
//! (`lp_config_field_name`, `lp_config_reason_text`), for a firmware's log or display.

use core::ffi::c_char;

use crate::config_error::lp_config_field as F;
use crate::config_error::{lp_config_field, lp_config_reason};

/// The name of configuration field `field` (`lp_config_field`) as written in `lp_config`, e.g.
/// `"timers.grace_ms"` or `"points[].rated_ma"`; static, NUL-terminated, never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn lp_config_field_name(field: u32) -> *const c_char {
    field_name(field).as_ptr().cast()
}

fn field_name(field: u32) -> &'static [u8] {
    let general: [(lp_config_field, &'static [u8]); 8] = [
        (F::LP_FIELD_NONE, b"none\0"),
        (F::LP_FIELD_FAMILY, b"family\0"),
        (F::LP_FIELD_LOCATION, b"location\0"),
        (F::LP_FIELD_LOAD_BALANCING, b"load_balancing\0"),
        (F::LP_FIELD_SHED_PRIORITY, b"shed_priority\0"),
        (F::LP_FIELD_EXTERNAL_CONTROL, b"external_control\0"),
        (F::LP_FIELD_VOLTAGE, b"voltage_mv\0"),
        (F::LP_FIELD_ROTATION_INTERVAL, b"rotation_interval_ms\0"),
    ];
    let rest: [(lp_config_field, &'static [u8]); 58] = [
        (F::LP_FIELD_IN1, b"inputs.in1\0"),
        (F::LP_FIELD_IN1_POLARITY, b"inputs.in1_polarity\0"),
        (F::LP_FIELD_IN2, b"inputs.in2\0"),
        (F::LP_FIELD_IN2_POLARITY, b"inputs.in2_polarity\0"),
        (F::LP_FIELD_LOAD_SHEDDING, b"inputs.load_shedding_ma\0"),
        (F::LP_FIELD_TEMPORARY_LIMIT, b"inputs.temporary_limit_ma\0"),
        (F::LP_FIELD_SAMPLE_PERIOD, b"timers.sample_period_ms\0"),
        (
            F::LP_FIELD_CONTACTOR_RELEASE,
            b"timers.contactor_release_ms\0",
        ),
        (F::LP_FIELD_DEBOUNCE_SAFER, b"timers.debounce_safer_ms\0"),
        (F::LP_FIELD_DEBOUNCE_CHARGE, b"timers.debounce_charge_ms\0"),
        (F::LP_FIELD_EV_RESPONSE, b"timers.ev_response_ms\0"),
        (F::LP_FIELD_GRACE, b"timers.grace_ms\0"),
        (F::LP_FIELD_RISE_INTERVAL, b"timers.rise_interval_ms\0"),
        (F::LP_FIELD_MIN_PAUSE, b"timers.min_pause_ms\0"),
        (F::LP_FIELD_MIN_RUN, b"timers.min_run_ms\0"),
        (F::LP_FIELD_IDLE, b"timers.idle_ms\0"),
        (
            F::LP_FIELD_PHASE_DETECTION_TIME,
            b"timers.phase_detection_ms\0",
        ),
        (
            F::LP_FIELD_SETPOINT_VALIDITY,
            b"timers.setpoint_validity_ms\0",
        ),
        (
            F::LP_FIELD_SITE_METER_VALIDITY,
            b"timers.site_meter_validity_ms\0",
        ),
        (F::LP_FIELD_SITE_METER_HOLD, b"timers.site_meter_hold_ms\0"),
        (F::LP_FIELD_AUTH_TIMEOUT, b"timers.auth_timeout_ms\0"),
        (F::LP_FIELD_WAKEUP_AFTER, b"timers.wakeup_after_ms\0"),
        (F::LP_FIELD_WAKEUP_F, b"timers.wakeup_f_ms\0"),
        (F::LP_FIELD_WAKEUP_SETTLE, b"timers.wakeup_settle_ms\0"),
        (F::LP_FIELD_STAGGER, b"timers.stagger_ms\0"),
        (F::LP_FIELD_MAX_GAP, b"timers.max_gap_ms\0"),
        (F::LP_FIELD_MIN_1PH, b"thresholds.min_1ph_ma\0"),
        (F::LP_FIELD_MIN_3PH, b"thresholds.min_3ph_ma\0"),
        (
            F::LP_FIELD_START_THRESHOLD,
            b"thresholds.start_threshold_permille\0",
        ),
        (
            F::LP_FIELD_OVERCURRENT_TOLERANCE,
            b"thresholds.overcurrent_tolerance_ma\0",
        ),
        (
            F::LP_FIELD_OVERCURRENT_HARD,
            b"thresholds.overcurrent_hard_ma\0",
        ),
        (
            F::LP_FIELD_IDLE_THRESHOLD,
            b"thresholds.idle_threshold_ma\0",
        ),
        (
            F::LP_FIELD_PHASE_TOLERANCE,
            b"thresholds.phase_tolerance_ma\0",
        ),
        (F::LP_FIELD_SITE_MARGIN, b"thresholds.site_margin_ma\0"),
        (
            F::LP_FIELD_WELDED_CURRENT,
            b"protection.welded_current_ma\0",
        ),
        (F::LP_FIELD_WELDED_TIME, b"protection.welded_ms\0"),
        (F::LP_FIELD_THERMAL, b"protection.thermal\0"),
        (F::LP_FIELD_AUTH_LOCATION, b"session.auth_location\0"),
        (F::LP_FIELD_AUTH_STRATEGY, b"session.auth_strategy\0"),
        (F::LP_FIELD_UNREACHABLE, b"session.unreachable\0"),
        (
            F::LP_FIELD_REMOTE_START_REQUIRED,
            b"session.remote_start_required\0",
        ),
        (F::LP_FIELD_ALLOW_CABLE_LEFT, b"session.allow_cable_left\0"),
        (F::LP_FIELD_SHUTTER, b"session.shutter\0"),
        (F::LP_FIELD_LOCK, b"session.lock\0"),
        (F::LP_FIELD_SHUTTER_TIME, b"session.shutter_ms\0"),
        (F::LP_FIELD_LOCK_TIME, b"session.lock_ms\0"),
        (F::LP_FIELD_PLUG_WAIT, b"session.plug_wait_ms\0"),
        (F::LP_FIELD_EV_WAIT, b"session.ev_wait_ms\0"),
        (F::LP_FIELD_UNPLUG_WAIT, b"session.unplug_wait_ms\0"),
        (F::LP_FIELD_POINTS, b"points\0"),
        (F::LP_FIELD_NODES, b"nodes\0"),
        (F::LP_FIELD_POINT_NODE, b"points[].node\0"),
        (F::LP_FIELD_POINT_PHASES, b"points[].phases\0"),
        (F::LP_FIELD_POINT_WIRING, b"points[].wiring\0"),
        (F::LP_FIELD_POINT_SOCKET, b"points[].socket\0"),
        (F::LP_FIELD_POINT_RATED, b"points[].rated_ma\0"),
        (F::LP_FIELD_POINT_DERATED, b"points[].derated_ma\0"),
        (F::LP_FIELD_POINT_EXTERNAL, b"points[].external\0"),
    ];
    let tail: [(lp_config_field, &'static [u8]); 12] = [
        (F::LP_FIELD_POINT_FAIL_SAFE, b"points[].fail_safe_ma\0"),
        (
            F::LP_FIELD_POINT_PHASE_DETECTION,
            b"points[].phase_detection\0",
        ),
        (F::LP_FIELD_NODE_PARENT, b"nodes[].parent\0"),
        (F::LP_FIELD_NODE_KIND, b"nodes[].kind\0"),
        (F::LP_FIELD_NODE_LIMIT, b"nodes[].limit_ma\0"),
        (F::LP_FIELD_NODE_EXTERNAL, b"nodes[].external\0"),
        (F::LP_FIELD_NODE_FAIL_SAFE, b"nodes[].fail_safe_ma\0"),
        (F::LP_FIELD_NODE_SITE_METER, b"nodes[].site_meter\0"),
        (
            F::LP_FIELD_NODE_SITE_FAIL_SAFE,
            b"nodes[].site_fail_safe_ma\0",
        ),
        (F::LP_FIELD_NODE_SITE_SLOT, b"nodes[].site_slot_ms\0"),
        (
            F::LP_FIELD_NODE_LOAD_BALANCING,
            b"load_balancing (ceilings above nodes[].limit_ma)\0",
        ),
        (F::LP_FIELD_UNKNOWN, b"unknown field\0"),
    ];
    general
        .iter()
        .chain(rest.iter())
        .chain(tail.iter())
        .find(|(f, _)| *f as u32 == field)
        .map_or(b"unknown field\0", |(_, n)| n)
}

/// A static, NUL-terminated English text for `reason` (`lp_config_reason`); never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn lp_config_reason_text(reason: u32) -> *const c_char {
    use lp_config_reason as R;
    let table: [(lp_config_reason, &'static [u8]); 18] = [
        (R::LP_CONFIG_REASON_NONE, b"no error\0"),
        (
            R::LP_CONFIG_REASON_OUT_OF_RANGE,
            b"value outside min..=max\0",
        ),
        (
            R::LP_CONFIG_REASON_ABOVE_RATED,
            b"above the rated current\0",
        ),
        (
            R::LP_CONFIG_REASON_ABOVE_LIMIT,
            b"above the limit it must fit under\0",
        ),
        (R::LP_CONFIG_REASON_NO_SUCH_NODE, b"no such node\0"),
        (
            R::LP_CONFIG_REASON_NOT_A_TREE,
            b"parent chain has a cycle or is too deep\0",
        ),
        (
            R::LP_CONFIG_REASON_ROOT_COUNT,
            b"the tree needs exactly one root\0",
        ),
        (
            R::LP_CONFIG_REASON_NOT_A_PERMUTATION,
            b"wiring is not a permutation of L1, L2, L3\0",
        ),
        (
            R::LP_CONFIG_REASON_NOT_ON_THIS_FAMILY,
            b"this product family has no such input\0",
        ),
        (
            R::LP_CONFIG_REASON_COUNT,
            b"number of entries out of range\0",
        ),
        (
            R::LP_CONFIG_REASON_TIMING_BUDGET,
            b"timers exceed the PS-1 timing budget\0",
        ),
        (
            R::LP_CONFIG_REASON_CEILINGS_ABOVE_LIMIT,
            b"load balancing off: ceilings above a limit\0",
        ),
        (
            R::LP_CONFIG_REASON_NOT_ABOVE_TOLERANCE,
            b"not above the over-current tolerance\0",
        ),
        (
            R::LP_CONFIG_REASON_THERMAL_ORDER,
            b"thermal temperatures out of order\0",
        ),
        (
            R::LP_CONFIG_REASON_NESTED_SITE_METER,
            b"site meter beneath another site meter\0",
        ),
        (
            R::LP_CONFIG_REASON_BAD_ENUM,
            b"enum or boolean value names nothing\0",
        ),
        (R::LP_CONFIG_REASON_NULL_LIST, b"list pointer is NULL\0"),
        (R::LP_CONFIG_REASON_UNKNOWN, b"unknown reason\0"),
    ];
    let text: &'static [u8] = table
        .iter()
        .find(|(r, _)| *r as u32 == reason)
        .map_or(b"unknown reason\0", |(_, t)| t);
    text.as_ptr().cast()
}
