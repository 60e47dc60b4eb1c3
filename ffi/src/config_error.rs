//! `lp_config_error`: which configuration field was refused (a fixed code, with the point or
//! node index and the supply phase) and why (a fixed reason code with the value and its bounds),
//! mapped from core's `ConfigError` (the codes' texts: `config_texts`).

use loadpilot_core::{ConfigError, Field, Reason};

/// Which configuration field an `lp_config_error` is about. Numbers never change.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_config_field {
    /// No error.
    LP_FIELD_NONE = 0,
    /// `family`.
    LP_FIELD_FAMILY = 1,
    /// `location`.
    LP_FIELD_LOCATION = 2,
    /// `load_balancing` (the flag itself).
    LP_FIELD_LOAD_BALANCING = 3,
    /// `shed_priority`.
    LP_FIELD_SHED_PRIORITY = 4,
    /// `external_control`.
    LP_FIELD_EXTERNAL_CONTROL = 5,
    /// `voltage_mv`.
    LP_FIELD_VOLTAGE = 6,
    /// `has_rotation` / `rotation_interval_ms`.
    LP_FIELD_ROTATION_INTERVAL = 7,
    /// `inputs.in1`.
    LP_FIELD_IN1 = 10,
    /// `inputs.in1_polarity`.
    LP_FIELD_IN1_POLARITY = 11,
    /// `inputs.in2`.
    LP_FIELD_IN2 = 12,
    /// `inputs.in2_polarity`.
    LP_FIELD_IN2_POLARITY = 13,
    /// `inputs.load_shedding_ma`.
    LP_FIELD_LOAD_SHEDDING = 14,
    /// `inputs.temporary_limit_ma`.
    LP_FIELD_TEMPORARY_LIMIT = 15,
    /// `timers.sample_period_ms`.
    LP_FIELD_SAMPLE_PERIOD = 20,
    /// `timers.contactor_release_ms`.
    LP_FIELD_CONTACTOR_RELEASE = 21,
    /// `timers.debounce_safer_ms` (also the PS-1 budget of 100 ms).
    LP_FIELD_DEBOUNCE_SAFER = 22,
    /// `timers.debounce_charge_ms` (also the PS-1 budget of 3 s).
    LP_FIELD_DEBOUNCE_CHARGE = 23,
    /// `timers.ev_response_ms`.
    LP_FIELD_EV_RESPONSE = 24,
    /// `timers.grace_ms`.
    LP_FIELD_GRACE = 25,
    /// `timers.rise_interval_ms`.
    LP_FIELD_RISE_INTERVAL = 26,
    /// `timers.min_pause_ms`.
    LP_FIELD_MIN_PAUSE = 27,
    /// `timers.min_run_ms`.
    LP_FIELD_MIN_RUN = 28,
    /// `timers.idle_ms`.
    LP_FIELD_IDLE = 29,
    /// `timers.phase_detection_ms`.
    LP_FIELD_PHASE_DETECTION_TIME = 30,
    /// `timers.setpoint_validity_ms`.
    LP_FIELD_SETPOINT_VALIDITY = 31,
    /// `timers.site_meter_validity_ms`.
    LP_FIELD_SITE_METER_VALIDITY = 32,
    /// `timers.site_meter_hold_ms`.
    LP_FIELD_SITE_METER_HOLD = 33,
    /// `timers.auth_timeout_ms`.
    LP_FIELD_AUTH_TIMEOUT = 34,
    /// `timers.wakeup_after_ms`.
    LP_FIELD_WAKEUP_AFTER = 35,
    /// `timers.wakeup_f_ms`.
    LP_FIELD_WAKEUP_F = 36,
    /// `timers.wakeup_settle_ms`.
    LP_FIELD_WAKEUP_SETTLE = 37,
    /// `timers.stagger_ms`.
    LP_FIELD_STAGGER = 38,
    /// `timers.max_gap_ms`.
    LP_FIELD_MAX_GAP = 39,
    /// `thresholds.min_1ph_ma`.
    LP_FIELD_MIN_1PH = 40,
    /// `thresholds.min_3ph_ma`.
    LP_FIELD_MIN_3PH = 41,
    /// `thresholds.start_threshold_permille`.
    LP_FIELD_START_THRESHOLD = 42,
    /// `thresholds.overcurrent_tolerance_ma`.
    LP_FIELD_OVERCURRENT_TOLERANCE = 43,
    /// `thresholds.overcurrent_hard_ma`.
    LP_FIELD_OVERCURRENT_HARD = 44,
    /// `thresholds.idle_threshold_ma`.
    LP_FIELD_IDLE_THRESHOLD = 45,
    /// `thresholds.phase_tolerance_ma`.
    LP_FIELD_PHASE_TOLERANCE = 46,
    /// `thresholds.site_margin_ma`.
    LP_FIELD_SITE_MARGIN = 47,
    /// `protection.welded_current_ma`.
    LP_FIELD_WELDED_CURRENT = 50,
    /// `protection.welded_ms`.
    LP_FIELD_WELDED_TIME = 51,
    /// `protection.has_thermal` / `protection.thermal`.
    LP_FIELD_THERMAL = 52,
    /// `session.auth_location`.
    LP_FIELD_AUTH_LOCATION = 60,
    /// `session.auth_strategy`.
    LP_FIELD_AUTH_STRATEGY = 61,
    /// `session.unreachable`.
    LP_FIELD_UNREACHABLE = 62,
    /// `session.remote_start_required`.
    LP_FIELD_REMOTE_START_REQUIRED = 63,
    /// `session.allow_cable_left`.
    LP_FIELD_ALLOW_CABLE_LEFT = 64,
    /// `session.shutter`.
    LP_FIELD_SHUTTER = 65,
    /// `session.lock`.
    LP_FIELD_LOCK = 66,
    /// `session.shutter_ms`.
    LP_FIELD_SHUTTER_TIME = 67,
    /// `session.lock_ms`.
    LP_FIELD_LOCK_TIME = 68,
    /// `session.plug_wait_ms`.
    LP_FIELD_PLUG_WAIT = 69,
    /// `session.ev_wait_ms`.
    LP_FIELD_EV_WAIT = 70,
    /// `session.unplug_wait_ms`.
    LP_FIELD_UNPLUG_WAIT = 71,
    /// `points` / `points_len` as a whole.
    LP_FIELD_POINTS = 80,
    /// `nodes` / `nodes_len` as a whole (also: not exactly one root).
    LP_FIELD_NODES = 81,
    /// `points[index].node`.
    LP_FIELD_POINT_NODE = 90,
    /// `points[index].phases`.
    LP_FIELD_POINT_PHASES = 91,
    /// `points[index].wiring`.
    LP_FIELD_POINT_WIRING = 92,
    /// `points[index].socket`.
    LP_FIELD_POINT_SOCKET = 93,
    /// `points[index].rated_ma`.
    LP_FIELD_POINT_RATED = 94,
    /// `points[index].derated_ma`.
    LP_FIELD_POINT_DERATED = 95,
    /// `points[index].external`.
    LP_FIELD_POINT_EXTERNAL = 96,
    /// `points[index].has_fail_safe` / `fail_safe_ma`.
    LP_FIELD_POINT_FAIL_SAFE = 97,
    /// `points[index].phase_detection`.
    LP_FIELD_POINT_PHASE_DETECTION = 98,
    /// `nodes[index].has_parent` / `parent`.
    LP_FIELD_NODE_PARENT = 100,
    /// `nodes[index].kind`.
    LP_FIELD_NODE_KIND = 101,
    /// `nodes[index].limit_ma[phase]`.
    LP_FIELD_NODE_LIMIT = 102,
    /// `nodes[index].external`.
    LP_FIELD_NODE_EXTERNAL = 103,
    /// `nodes[index].has_fail_safe` / `fail_safe_ma[phase]`.
    LP_FIELD_NODE_FAIL_SAFE = 104,
    /// `nodes[index].site_meter`.
    LP_FIELD_NODE_SITE_METER = 105,
    /// `nodes[index].has_site_fail_safe` / `site_fail_safe_ma[phase]`.
    LP_FIELD_NODE_SITE_FAIL_SAFE = 106,
    /// `nodes[index].site_slot_ms`.
    LP_FIELD_NODE_SITE_SLOT = 107,
    /// `load_balancing` = 0 while the ceilings beneath `nodes[index]` exceed its limit on
    /// `phase` (LB-7).
    LP_FIELD_NODE_LOAD_BALANCING = 108,
    /// A field this version of the ABI does not know (a newer core).
    LP_FIELD_UNKNOWN = 65535,
}

/// Why a configuration field was refused. Numbers never change.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum lp_config_reason {
    /// No error.
    LP_CONFIG_REASON_NONE = 0,
    /// `value` is outside `min..=max`.
    LP_CONFIG_REASON_OUT_OF_RANGE = 1,
    /// Derated current `value` above the rated current `max`.
    LP_CONFIG_REASON_ABOVE_RATED = 2,
    /// A set point or fail-safe current `value` above the limit `max` it must fit under.
    LP_CONFIG_REASON_ABOVE_LIMIT = 3,
    /// Node index `value` does not exist.
    LP_CONFIG_REASON_NO_SUCH_NODE = 4,
    /// The parent chain has a cycle or is too deep.
    LP_CONFIG_REASON_NOT_A_TREE = 5,
    /// `value` roots; exactly one is needed.
    LP_CONFIG_REASON_ROOT_COUNT = 6,
    /// The wiring is not a permutation of L1, L2, L3.
    LP_CONFIG_REASON_NOT_A_PERMUTATION = 7,
    /// An input function this product family does not have.
    LP_CONFIG_REASON_NOT_ON_THIS_FAMILY = 8,
    /// `value` entries; `min..=max` accepted.
    LP_CONFIG_REASON_COUNT = 9,
    /// The timers need `value` ms, the PS-1 budget is `max` ms.
    LP_CONFIG_REASON_TIMING_BUDGET = 10,
    /// Load balancing off: the ceilings add up to `value` mA, above the limit `max` (LB-7).
    LP_CONFIG_REASON_CEILINGS_ABOVE_LIMIT = 11,
    /// The hard over-current threshold is not above the tolerance.
    LP_CONFIG_REASON_NOT_ABOVE_TOLERANCE = 12,
    /// Thermal temperatures not in order start < end < pause, or hysteresis ≤ 0 (TH-1).
    LP_CONFIG_REASON_THERMAL_ORDER = 13,
    /// A site meter beneath node `value`, which has one already (LB-14).
    LP_CONFIG_REASON_NESTED_SITE_METER = 14,
    /// An enum or boolean field holds `value`, which names nothing (booleans: 0 or 1).
    LP_CONFIG_REASON_BAD_ENUM = 32,
    /// The list pointer is NULL.
    LP_CONFIG_REASON_NULL_LIST = 33,
    /// A reason this version of the ABI does not know (a newer core).
    LP_CONFIG_REASON_UNKNOWN = 65535,
}

/// `lp_config_error.index` / `.phase` when the field has no point, node or phase.
pub const LP_NO_INDEX: u32 = 0xFFFF_FFFF;

/// Why a configuration was refused: the first wrong field found.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct lp_config_error {
    /// The field (`lp_config_field`).
    pub field: u32,
    /// The reason (`lp_config_reason`).
    pub reason: u32,
    /// Point or node index of the field, or `LP_NO_INDEX`.
    pub index: u32,
    /// Supply phase (0 = L1 … 2 = L3) of the field, or `LP_NO_INDEX`.
    pub phase: u32,
    /// The offending value (see the reason).
    pub value: u64,
    /// Smallest accepted value, where the reason has one.
    pub min: u64,
    /// Largest accepted value or the limit, where the reason has one.
    pub max: u64,
}

impl Default for lp_config_error {
    /// No error.
    fn default() -> Self {
        Self::NONE
    }
}

impl lp_config_error {
    /// No error (crate-private: cbindgen would export a public associated constant as a macro).
    pub(crate) const NONE: lp_config_error = lp_config_error {
        field: lp_config_field::LP_FIELD_NONE as u32,
        reason: lp_config_reason::LP_CONFIG_REASON_NONE as u32,
        index: LP_NO_INDEX,
        phase: LP_NO_INDEX,
        value: 0,
        min: 0,
        max: 0,
    };

    pub(crate) fn new(field: lp_config_field, index: u32, reason: lp_config_reason) -> Self {
        lp_config_error {
            field: field as u32,
            reason: reason as u32,
            index,
            ..Self::NONE
        }
    }

    /// An enum or boolean field that names nothing.
    pub(crate) fn bad(field: lp_config_field, index: u32, value: u64) -> Self {
        lp_config_error {
            value,
            ..Self::new(field, index, lp_config_reason::LP_CONFIG_REASON_BAD_ENUM)
        }
    }
}

use lp_config_field as F;

/// Timer names of core's `Field::Timer` → field codes, in `lp_timers` order.
const TIMER_FIELDS: [(&str, lp_config_field); 20] = [
    ("sample_period_ms", F::LP_FIELD_SAMPLE_PERIOD),
    ("contactor_release_ms", F::LP_FIELD_CONTACTOR_RELEASE),
    ("debounce_safer_ms", F::LP_FIELD_DEBOUNCE_SAFER),
    ("debounce_charge_ms", F::LP_FIELD_DEBOUNCE_CHARGE),
    ("ev_response_ms", F::LP_FIELD_EV_RESPONSE),
    ("grace_ms", F::LP_FIELD_GRACE),
    ("rise_interval_ms", F::LP_FIELD_RISE_INTERVAL),
    ("min_pause_ms", F::LP_FIELD_MIN_PAUSE),
    ("min_run_ms", F::LP_FIELD_MIN_RUN),
    ("idle_ms", F::LP_FIELD_IDLE),
    ("phase_detection_ms", F::LP_FIELD_PHASE_DETECTION_TIME),
    ("setpoint_validity_ms", F::LP_FIELD_SETPOINT_VALIDITY),
    ("site_meter_validity_ms", F::LP_FIELD_SITE_METER_VALIDITY),
    ("site_meter_hold_ms", F::LP_FIELD_SITE_METER_HOLD),
    ("auth_timeout_ms", F::LP_FIELD_AUTH_TIMEOUT),
    ("wakeup_after_ms", F::LP_FIELD_WAKEUP_AFTER),
    ("wakeup_f_ms", F::LP_FIELD_WAKEUP_F),
    ("wakeup_settle_ms", F::LP_FIELD_WAKEUP_SETTLE),
    ("stagger_ms", F::LP_FIELD_STAGGER),
    ("max_gap_ms", F::LP_FIELD_MAX_GAP),
];

/// Threshold names of core's `Field::Threshold` → field codes.
const THRESHOLD_FIELDS: [(&str, lp_config_field); 8] = [
    ("min_1ph_ma", F::LP_FIELD_MIN_1PH),
    ("min_3ph_ma", F::LP_FIELD_MIN_3PH),
    ("start_threshold_permille", F::LP_FIELD_START_THRESHOLD),
    (
        "overcurrent_tolerance_ma",
        F::LP_FIELD_OVERCURRENT_TOLERANCE,
    ),
    ("overcurrent_hard_ma", F::LP_FIELD_OVERCURRENT_HARD),
    ("idle_threshold_ma", F::LP_FIELD_IDLE_THRESHOLD),
    ("phase_tolerance_ma", F::LP_FIELD_PHASE_TOLERANCE),
    ("site_margin_ma", F::LP_FIELD_SITE_MARGIN),
];

/// Protection names of core's `Field::Protection` → field codes.
const PROTECTION_FIELDS: [(&str, lp_config_field); 3] = [
    ("welded_current_ma", F::LP_FIELD_WELDED_CURRENT),
    ("welded_ms", F::LP_FIELD_WELDED_TIME),
    ("thermal", F::LP_FIELD_THERMAL),
];

/// Session names of core's `Field::Session` → field codes.
const SESSION_FIELDS: [(&str, lp_config_field); 5] = [
    ("shutter_ms", F::LP_FIELD_SHUTTER_TIME),
    ("lock_ms", F::LP_FIELD_LOCK_TIME),
    ("plug_wait_ms", F::LP_FIELD_PLUG_WAIT),
    ("ev_wait_ms", F::LP_FIELD_EV_WAIT),
    ("unplug_wait_ms", F::LP_FIELD_UNPLUG_WAIT),
];

fn named(table: &[(&str, lp_config_field)], name: &str) -> lp_config_field {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(F::LP_FIELD_UNKNOWN, |(_, f)| *f)
}

/// Core's refused field → (code, index, phase).
fn field_of(f: Field) -> (lp_config_field, u32, u32) {
    let n = LP_NO_INDEX;
    match f {
        Field::Voltage => (F::LP_FIELD_VOLTAGE, n, n),
        Field::Input1Function => (F::LP_FIELD_IN1, n, n),
        Field::Input2Function => (F::LP_FIELD_IN2, n, n),
        Field::LoadSheddingSetPoint => (F::LP_FIELD_LOAD_SHEDDING, n, n),
        Field::TemporaryLimitSetPoint => (F::LP_FIELD_TEMPORARY_LIMIT, n, n),
        Field::Timer(name) => (named(&TIMER_FIELDS, name), n, n),
        Field::Threshold(name) => (named(&THRESHOLD_FIELDS, name), n, n),
        Field::Points => (F::LP_FIELD_POINTS, n, n),
        Field::Nodes => (F::LP_FIELD_NODES, n, n),
        Field::PointNode { point } => (F::LP_FIELD_POINT_NODE, point.into(), n),
        Field::Wiring { point } => (F::LP_FIELD_POINT_WIRING, point.into(), n),
        Field::RatedCurrent { point } => (F::LP_FIELD_POINT_RATED, point.into(), n),
        Field::DeratedCurrent { point } => (F::LP_FIELD_POINT_DERATED, point.into(), n),
        Field::PointFailSafe { point } => (F::LP_FIELD_POINT_FAIL_SAFE, point.into(), n),
        Field::Parent { node } => (F::LP_FIELD_NODE_PARENT, node.into(), n),
        Field::NodeLimit { node, phase } => (F::LP_FIELD_NODE_LIMIT, node.into(), phase as u32),
        Field::RotationInterval => (F::LP_FIELD_ROTATION_INTERVAL, n, n),
        Field::Protection(name) => (named(&PROTECTION_FIELDS, name), n, n),
        Field::Session(name) => (named(&SESSION_FIELDS, name), n, n),
        Field::SiteMeter { node } => (F::LP_FIELD_NODE_SITE_METER, node.into(), n),
        Field::SiteSlot { node } => (F::LP_FIELD_NODE_SITE_SLOT, node.into(), n),
        Field::SiteFailSafe { node, phase } => {
            (F::LP_FIELD_NODE_SITE_FAIL_SAFE, node.into(), phase as u32)
        }
        Field::NodeFailSafe { node, phase } => {
            (F::LP_FIELD_NODE_FAIL_SAFE, node.into(), phase as u32)
        }
        Field::LoadBalancing { node, phase } => {
            (F::LP_FIELD_NODE_LOAD_BALANCING, node.into(), phase as u32)
        }
        _ => (F::LP_FIELD_UNKNOWN, n, n),
    }
}

/// Core's reason → (code, value, min, max).
fn reason_of(r: Reason) -> (lp_config_reason, u64, u64, u64) {
    use lp_config_reason as R;
    let wide = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
    match r {
        Reason::OutOfRange { value, min, max } => {
            (R::LP_CONFIG_REASON_OUT_OF_RANGE, value, min, max)
        }
        Reason::AboveRated { value, rated } => (
            R::LP_CONFIG_REASON_ABOVE_RATED,
            value.into(),
            0,
            rated.into(),
        ),
        Reason::AboveLimit { value, limit } => (
            R::LP_CONFIG_REASON_ABOVE_LIMIT,
            value.into(),
            0,
            limit.into(),
        ),
        Reason::NoSuchNode { index } => (R::LP_CONFIG_REASON_NO_SUCH_NODE, index.into(), 0, 0),
        Reason::NotATree => (R::LP_CONFIG_REASON_NOT_A_TREE, 0, 0, 0),
        Reason::RootCount { roots } => (R::LP_CONFIG_REASON_ROOT_COUNT, roots.into(), 1, 1),
        Reason::NotAPermutation => (R::LP_CONFIG_REASON_NOT_A_PERMUTATION, 0, 0, 0),
        Reason::NotOnThisFamily => (R::LP_CONFIG_REASON_NOT_ON_THIS_FAMILY, 0, 0, 0),
        Reason::Count { count, max } => (R::LP_CONFIG_REASON_COUNT, wide(count), 1, wide(max)),
        Reason::TimingBudget { needed, allowed } => (
            R::LP_CONFIG_REASON_TIMING_BUDGET,
            needed.into(),
            0,
            allowed.into(),
        ),
        Reason::CeilingsAboveLimit { sum, limit } => (
            R::LP_CONFIG_REASON_CEILINGS_ABOVE_LIMIT,
            sum.into(),
            0,
            limit.into(),
        ),
        Reason::NotAboveTolerance => (R::LP_CONFIG_REASON_NOT_ABOVE_TOLERANCE, 0, 0, 0),
        Reason::ThermalOrder => (R::LP_CONFIG_REASON_THERMAL_ORDER, 0, 0, 0),
        Reason::NestedSiteMeter { above } => {
            (R::LP_CONFIG_REASON_NESTED_SITE_METER, above.into(), 0, 0)
        }
        _ => (R::LP_CONFIG_REASON_UNKNOWN, 0, 0, 0),
    }
}

impl From<ConfigError> for lp_config_error {
    fn from(e: ConfigError) -> Self {
        let (field, index, phase) = field_of(e.field);
        let (reason, value, min, max) = reason_of(e.reason);
        lp_config_error {
            field: field as u32,
            reason: reason as u32,
            index,
            phase,
            value,
            min,
            max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_error::lp_config_field as F;
    use crate::config_texts::lp_config_field_name;
    use core::ffi::CStr;
    use loadpilot_core::{Config, Phase, two_point_station};

    fn name(f: lp_config_field) -> String {
        unsafe { CStr::from_ptr(lp_config_field_name(f as u32)) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Proves §5.5: every timer core refuses is reported under its own field code, named as in
    /// `lp_timers` (no timer falls through to LP_FIELD_UNKNOWN).
    #[test]
    fn timers_of_section_5_5_each_have_a_field_code() {
        for (i, (timer, code)) in TIMER_FIELDS.iter().enumerate() {
            let mut raw = two_point_station(32_000);
            let t = &mut raw.timers;
            let slot: &mut u32 = [
                &mut t.sample_period_ms,
                &mut t.contactor_release_ms,
                &mut t.debounce_safer_ms,
                &mut t.debounce_charge_ms,
                &mut t.ev_response_ms,
                &mut t.grace_ms,
                &mut t.rise_interval_ms,
                &mut t.min_pause_ms,
                &mut t.min_run_ms,
                &mut t.idle_ms,
                &mut t.phase_detection_ms,
                &mut t.setpoint_validity_ms,
                &mut t.site_meter_validity_ms,
                &mut t.site_meter_hold_ms,
                &mut t.auth_timeout_ms,
                &mut t.wakeup_after_ms,
                &mut t.wakeup_f_ms,
                &mut t.wakeup_settle_ms,
                &mut t.stagger_ms,
                &mut t.max_gap_ms,
            ]
            .into_iter()
            .nth(i)
            .unwrap();
            *slot = u32::MAX;
            let e = lp_config_error::from(Config::new(raw).unwrap_err());
            assert_eq!(e.field, *code as u32, "timer {timer}");
            assert_eq!(name(*code), format!("timers.{timer}"));
            assert_eq!(e.value, u64::from(u32::MAX));
            assert!(e.min <= e.max);
        }
    }

    /// Proves LB-3 / LB-9 / LB-14 thresholds each map to their own field code.
    #[test]
    fn lb3_thresholds_each_have_a_field_code() {
        for (thr, code) in THRESHOLD_FIELDS {
            assert_ne!(code, F::LP_FIELD_UNKNOWN);
            assert_eq!(name(code), format!("thresholds.{thr}"));
            assert_eq!(field_of(Field::Threshold(thr)).0, code);
        }
        for (s, code) in SESSION_FIELDS {
            assert_eq!(name(code), format!("session.{s}"));
            assert_eq!(field_of(Field::Session(s)).0, code);
        }
        for (s, code) in PROTECTION_FIELDS {
            assert_eq!(name(code), format!("protection.{s}"));
        }
        assert_eq!(
            field_of(Field::Timer("no_such_timer")).0,
            F::LP_FIELD_UNKNOWN
        );
    }

    /// Proves TREE-1 / LB-7 errors carry the node index and phase through the ABI.
    #[test]
    fn tree1_node_errors_carry_index_and_phase() {
        let mut raw = two_point_station(32_000);
        raw.load_balancing = false;
        let e = lp_config_error::from(Config::new(raw).unwrap_err());
        assert_eq!(e.field, F::LP_FIELD_NODE_LOAD_BALANCING as u32);
        assert_eq!(
            e.reason,
            lp_config_reason::LP_CONFIG_REASON_CEILINGS_ABOVE_LIMIT as u32
        );
        assert_eq!((e.index, e.phase), (0, Phase::L1 as u32));
        assert_eq!((e.value, e.max), (64_000, 32_000));
    }
}
