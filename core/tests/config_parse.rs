//! Configuration validation, "parse, don't validate" (STYLE): the error text names the field and
//! the reason (§2); a refused configuration is refused whole, nothing partially applied; and a
//! `Config` deserialised from RON through serde is a validated one (§2.2, LB-8), its round trip
//! exact, its fixed capacity kept.

mod common;

use common::config_checks::{base, check, out_of_range};
use loadpilot_core::{Config, ConfigError, Field, NodeConfig, Phase, PointConfig, RawConfig};

// ---------------------------------------------------------------------------------------------
// Error text, refused whole

/// Proves §2 (the tool shows why): the error text names the field, with its index, and the reason.
#[test]
fn s2_error_text_names_field_and_reason() {
    let mut raw = base();
    raw.points[1].derated_ma = 40_000;
    let text = check(raw).unwrap_err().to_string();
    assert!(text.contains("points[1].derated_ma"), "{text}");
    assert!(
        text.contains("40000 mA is above the rated current 32000 mA"),
        "{text}"
    );

    let mut raw = base();
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_safer_ms = 60;
    raw.timers.contactor_release_ms = 30;
    let text = check(raw).unwrap_err().to_string();
    assert!(text.contains("timers.debounce_safer_ms"), "{text}");
    assert!(text.contains("150 ms"), "{text}");

    let mut raw = base();
    raw.nodes[0].limit_ma[2] = 70_000;
    let text = check(raw).unwrap_err().to_string();
    assert!(text.contains("nodes[0].limit_ma[L3]"), "{text}");
    assert!(text.contains("70000 is outside 0..=64000"), "{text}");
}

/// Proves "parse, don't validate": a refused configuration is refused whole. The raw value the
/// caller kept is untouched (no default filled in, nothing clamped), and once corrected it is
/// accepted exactly as written.
#[test]
fn s2_refused_whole_nothing_partially_applied() {
    let mut raw = base();
    raw.external_control = true;
    raw.nodes[0].limit_ma = [40_000, 40_000, 40_000];
    raw.nodes[0].fail_safe_ma = None; // a default fail-safe must not be written back
    raw.points[0].derated_ma = 16_000;
    raw.points[1].derated_ma = 33_000; // the one wrong field, after valid ones
    let kept = raw.clone();
    let err = Config::new(raw.clone()).unwrap_err();
    assert_eq!(err.field, Field::DeratedCurrent { point: 1 });
    assert_eq!(raw, kept);

    // A configuration with two wrong fields reports the first and still changes nothing.
    raw.voltage_mv = 100_000;
    assert_eq!(
        Config::new(raw.clone()).unwrap_err(),
        ConfigError {
            field: Field::Voltage,
            reason: out_of_range(100_000, 175_000, 276_000),
        }
    );
    raw.voltage_mv = kept.voltage_mv;

    raw.points[1].derated_ma = 32_000;
    let config = Config::new(raw.clone()).expect("corrected configuration");
    assert_eq!(config.raw(), &raw);
    assert_eq!(config.nodes()[0].fail_safe_ma, None);
    assert_eq!(config.points()[0].derated_ma, 16_000);
    assert_eq!(config.into_raw(), raw);
}

// ---------------------------------------------------------------------------------------------
// serde: RON

type HeaplessConfig = Config<heapless::Vec<PointConfig, 4>, heapless::Vec<NodeConfig, 4>>;

/// A two-point station as an installer would write it: point 2 derated to 20 A.
const STATION_RON: &str = r#"(
    family: City,
    location: Outdoor,
    load_balancing: true,
    shed_priority: EnergyDelivered,
    external_control: true,
    voltage_mv: 230000,
    inputs: (
        in1: LoadShedding,
        in1_polarity: NormallyClosed,
        in2: NotUsed,
        in2_polarity: NormallyOpen,
        load_shedding_ma: 10000,
        temporary_limit_ma: 0,
    ),
    timers: (
        sample_period_ms: 10,
        contactor_release_ms: 30,
        debounce_safer_ms: 20,
        debounce_charge_ms: 100,
        ev_response_ms: 5000,
        grace_ms: 6000,
        rise_interval_ms: 5000,
        min_pause_ms: 60000,
        min_run_ms: 60000,
        idle_ms: 60000,
        phase_detection_ms: 30000,
        setpoint_validity_ms: 60000,
        site_meter_validity_ms: 10000,
        site_meter_hold_ms: 60000,
        auth_timeout_ms: 10000,
        wakeup_after_ms: 30000,
        wakeup_f_ms: 3000,
        wakeup_settle_ms: 500,
        stagger_ms: 2000,
        max_gap_ms: 1000,
    ),
    thresholds: (
        min_1ph_ma: 8000,
        min_3ph_ma: 14000,
        start_threshold_permille: 1500,
        overcurrent_tolerance_ma: 2000,
        overcurrent_hard_ma: 10000,
        idle_threshold_ma: 1000,
        phase_tolerance_ma: 2000,
        site_margin_ma: 2000,
    ),
    points: [
        (node: 0, phases: Three, wiring: (L1, L2, L3), socket: T2, rated_ma: 32000,
         derated_ma: 32000, external: false, fail_safe_ma: None, phase_detection: true),
        (node: 0, phases: Three, wiring: (L2, L3, L1), socket: T2, rated_ma: 32000,
         derated_ma: DERATED, external: true, fail_safe_ma: Some(16000), phase_detection: false),
    ],
    nodes: [
        (parent: None, kind: Station, limit_ma: (48000, 48000, 48000), external: true,
         fail_safe_ma: None),
    ],
)"#;

fn station_ron(derated_ma: u32) -> String {
    STATION_RON.replace("DERATED", &derated_ma.to_string())
}

/// Proves "parse, don't validate" through serde (STYLE): a `Config` deserialised from RON is a
/// validated one, field for field as written.
#[test]
fn serde_ron_config_is_validated() {
    let config: HeaplessConfig = ron::from_str(&station_ron(20_000)).expect("valid RON config");
    let raw = config.raw();
    assert_eq!(raw.location, loadpilot_core::Location::Outdoor);
    assert_eq!(
        raw.shed_priority,
        loadpilot_core::ShedPriority::EnergyDelivered
    );
    assert_eq!(
        raw.inputs.in1_polarity,
        loadpilot_core::Polarity::NormallyClosed
    );
    assert_eq!(config.points().len(), 2);
    let p2 = config.points()[1];
    assert_eq!(p2.wiring, [Phase::L2, Phase::L3, Phase::L1]);
    assert_eq!((p2.derated_ma, p2.fail_safe_ma), (20_000, Some(16_000)));
    assert!(p2.external && !p2.phase_detection);
    assert_eq!(config.nodes()[0].limit_ma, [48_000; 3]);
}

/// Proves §2.2 through serde: derated above rated in a RON file fails to deserialise, and the
/// error text names the field.
#[test]
fn serde_ron_invalid_config_refused_naming_the_field() {
    let err = ron::from_str::<HeaplessConfig>(&station_ron(40_000)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("points[1].derated_ma"), "{text}");
    assert!(text.contains("above the rated current"), "{text}");
    // The same text as the raw value refused by `Config::new`.
    let raw: RawConfig<heapless::Vec<PointConfig, 4>, heapless::Vec<NodeConfig, 4>> =
        ron::from_str(&station_ron(40_000)).expect("the raw config has no rules");
    let direct = Config::new(raw).unwrap_err();
    assert!(text.contains(&direct.to_string()), "{text} / {direct}");
}

/// Proves LB-8 through serde: RON serialisation round-trips a validated configuration exactly,
/// and a rule that needs two fields (fail-safe above the derated current) is still checked.
#[test]
fn serde_ron_round_trip() {
    let config: HeaplessConfig = ron::from_str(&station_ron(20_000)).expect("valid RON config");
    let text = ron::ser::to_string_pretty(config.raw(), ron::ser::PrettyConfig::default())
        .expect("serialise");
    let again: HeaplessConfig = ron::from_str(&text).expect("round trip");
    assert_eq!(again, config);

    let err = ron::from_str::<HeaplessConfig>(&station_ron(15_000)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("points[1].fail_safe_ma"), "{text}");
}

/// More points than the fixed capacity fail to deserialise (no allocation, no truncation).
#[test]
fn serde_ron_capacity_exceeded_refused() {
    let one = "(node: 0, phases: One, wiring: (L1, L2, L3), socket: T2, rated_ma: 16000, \
               derated_ma: 16000, external: false, fail_safe_ma: None, phase_detection: false)";
    let five = [one; 5].join(", ");
    let start = STATION_RON.find("points: [").expect("points");
    let end = STATION_RON.find("nodes: [").expect("nodes");
    let text = format!(
        "{}points: [{five}],\n    {}",
        &STATION_RON[..start],
        &STATION_RON[end..]
    );
    assert!(ron::from_str::<HeaplessConfig>(&text).is_err());
    // Four fit.
    let four = [one; 4].join(", ");
    let text = format!(
        "{}points: [{four}],\n    {}",
        &STATION_RON[..start],
        &STATION_RON[end..]
    );
    let config: HeaplessConfig = ron::from_str(&text).expect("four points fit");
    assert_eq!(config.points().len(), 4);
}
