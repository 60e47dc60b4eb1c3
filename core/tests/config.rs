//! Configuration validation, the values each field accepts: the defaults (§5.5, §2.2), every
//! range of `config.rs` (MT-1's voltage, §5.5's timers, the thresholds of LB-3, LB-6, LB-9, PS-4,
//! LB-10, LB-12 and LB-14, PS-3's rated current, §2.2's derated current, the set points of IN-3
//! and IN-5, TREE-1's node limits, §1's counts), a point's wiring (LB-12), and the input
//! functions each product family has (IN-2 … IN-5). The limit tree and the fit checks of LB-7
//! and LB-8 are in `config_tree.rs`, the PS-1 timing budget in `config_timing.rs`, the error
//! text, "refused whole" and the RON round trip through serde in `config_parse.rs`.
//!
//! Each refusal is checked for the exact `ConfigError { field, reason }`; each range also for its
//! accepted edges, so that an off-by-one either way fails.

mod common;

use common::config_checks::{Raw2, accepted, base, check, out_of_range, refused};
use loadpilot_core::{
    Field, Input1Function, Input2Function, NodeConfig, NodeKind, Phase, PointConfig, ProductFamily,
    RawConfig, Reason, Thresholds, Timers,
};

/// Checks a `min..=max` range on `start`: both edges accepted, one past each edge refused with
/// `field` and `OutOfRange` (below the minimum only where the minimum is above 0).
#[track_caller]
fn assert_range(start: &Raw2, field: Field, min: u32, max: u32, set: impl Fn(&mut Raw2, u32)) {
    let with = |v: u32| {
        let mut raw = start.clone();
        set(&mut raw, v);
        raw
    };
    for edge in [min, max] {
        if let Err(e) = check(with(edge)) {
            panic!("{field}: edge {edge} refused: {e}");
        }
    }
    if min > 0 {
        refused(with(min - 1), field, out_of_range(min - 1, min, max));
    }
    refused(with(max + 1), field, out_of_range(max + 1, min, max));
}

// ---------------------------------------------------------------------------------------------
// Defaults

/// Proves §5.5 (every timer has its default) and §2.2: the defaults are the SPEC's and validate.
#[test]
fn s5_5_defaults_are_the_spec_defaults_and_validate() {
    let t = Timers::default();
    assert_eq!(t.ev_response_ms, 5_000, "PS-5 EV response time");
    assert_eq!(t.grace_ms, 6_000, "PS-5 grace time");
    assert_eq!(t.rise_interval_ms, 5_000, "PS-5 rise interval");
    assert_eq!(t.min_pause_ms, 60_000, "LB-6 minimum pause");
    assert_eq!(t.min_run_ms, 60_000, "LB-6 minimum run");
    assert_eq!(t.setpoint_validity_ms, 60_000, "LB-8 validity");
    assert_eq!(t.stagger_ms, 2_000, "SU-1 stagger");
    assert_eq!(t.max_gap_ms, 1_000, "SU-3 maximum gap");
    assert_eq!(t.wakeup_f_ms, 3_000, "PS-7 wake-up pulse");
    assert_eq!(t.wakeup_settle_ms, 500, "PS-7 settling window");
    assert_eq!(t.auth_timeout_ms, 10_000, "§2.1 authentication timeout");
    let th = Thresholds::default();
    assert_eq!((th.min_1ph_ma, th.min_3ph_ma), (8_000, 14_000), "LB-3");
    assert_eq!(th.start_threshold_permille, 1_500, "LB-6 150 %");
    let raw = base();
    assert_eq!(raw.voltage_mv, 230_000, "§2.2 230 V");
    assert!(raw.load_balancing, "§2.2 load balancing enabled");
    assert!(!raw.external_control, "§2.2 not externally controlled");
    accepted(raw);
    for family in [
        ProductFamily::City,
        ProductFamily::Parking,
        ProductFamily::Wallbox,
    ] {
        let raw = RawConfig::with_defaults(
            family,
            [PointConfig::three_phase(0, 32_000)],
            [NodeConfig::station(None, 32_000)],
        );
        accepted(raw);
    }
}

// ---------------------------------------------------------------------------------------------
// Ranges, one test per field family

/// Proves MT-1 / §2.2: phase–neutral voltage 175–276 V.
#[test]
fn mt1_voltage_range() {
    assert_range(&base(), Field::Voltage, 175_000, 276_000, |r, v| {
        r.voltage_mv = v
    });
}

/// Proves §5.5: every timer has a range, and a value one past either end is refused naming it.
#[test]
fn s5_5_timer_ranges() {
    const H: u32 = 3_600_000;
    type Get = fn(&mut Timers) -> &mut u32;
    let rows: [(&str, Get, u32, u32); 20] = [
        ("sample_period_ms", |t| &mut t.sample_period_ms, 10, 40),
        (
            "contactor_release_ms",
            |t| &mut t.contactor_release_ms,
            1,
            50,
        ),
        ("debounce_safer_ms", |t| &mut t.debounce_safer_ms, 1, 60),
        (
            "debounce_charge_ms",
            |t| &mut t.debounce_charge_ms,
            1,
            2_000,
        ),
        ("ev_response_ms", |t| &mut t.ev_response_ms, 1_000, 5_000),
        ("grace_ms", |t| &mut t.grace_ms, 1_000, 6_000),
        (
            "rise_interval_ms",
            |t| &mut t.rise_interval_ms,
            1_000,
            60_000,
        ),
        ("min_pause_ms", |t| &mut t.min_pause_ms, 0, H),
        ("min_run_ms", |t| &mut t.min_run_ms, 0, H),
        ("idle_ms", |t| &mut t.idle_ms, 1_000, H),
        (
            "phase_detection_ms",
            |t| &mut t.phase_detection_ms,
            1_000,
            H,
        ),
        (
            "setpoint_validity_ms",
            |t| &mut t.setpoint_validity_ms,
            1_000,
            H,
        ),
        (
            "site_meter_validity_ms",
            |t| &mut t.site_meter_validity_ms,
            1_000,
            H,
        ),
        ("site_meter_hold_ms", |t| &mut t.site_meter_hold_ms, 0, H),
        ("auth_timeout_ms", |t| &mut t.auth_timeout_ms, 0, 999_000),
        (
            "wakeup_after_ms",
            |t| &mut t.wakeup_after_ms,
            1_000,
            600_000,
        ),
        ("wakeup_f_ms", |t| &mut t.wakeup_f_ms, 1_000, 10_000),
        ("wakeup_settle_ms", |t| &mut t.wakeup_settle_ms, 1, 5_000),
        ("stagger_ms", |t| &mut t.stagger_ms, 0, 60_000),
        ("max_gap_ms", |t| &mut t.max_gap_ms, 100, 10_000),
    ];
    // A 20 ms contactor leaves room in the PS-1 budget for every edge of the other timers
    // (40 ms × (1 + ⌈20/40⌉) + 20 = 100 ms; 10 ms × (1 + 6) + 20 = 90 ms).
    let mut start = base();
    start.timers.contactor_release_ms = 20;
    for (name, get, min, max) in rows {
        assert_range(&start, Field::Timer(name), min, max, |r, v| {
            *get(&mut r.timers) = v
        });
    }
}

/// Proves LB-3: the minimum operating currents accept 6–32 A; below the IEC 61851 floor of 6 A
/// is refused.
#[test]
fn lb3_minimum_below_6a_refused() {
    let mut raw = base();
    raw.thresholds.min_3ph_ma = 5_999;
    refused(
        raw,
        Field::Threshold("min_3ph_ma"),
        out_of_range(5_999, 6_000, 32_000),
    );
    let mut raw = base();
    raw.thresholds.min_1ph_ma = 5_000;
    refused(
        raw,
        Field::Threshold("min_1ph_ma"),
        out_of_range(5_000, 6_000, 32_000),
    );
    let mut raw = base();
    raw.thresholds.min_1ph_ma = 6_000;
    raw.thresholds.min_3ph_ma = 6_000;
    accepted(raw);
}

/// Proves LB-3, LB-6, LB-9, PS-4, LB-10, LB-12, LB-14: every current threshold has a range.
#[test]
fn lb3_lb6_lb9_threshold_ranges() {
    type Get = fn(&mut Thresholds) -> &mut u32;
    let rows: [(&str, Get, u32, u32); 8] = [
        ("min_1ph_ma", |t| &mut t.min_1ph_ma, 6_000, 32_000),
        ("min_3ph_ma", |t| &mut t.min_3ph_ma, 6_000, 32_000),
        (
            "start_threshold_permille",
            |t| &mut t.start_threshold_permille,
            1_000,
            3_000,
        ),
        (
            "overcurrent_tolerance_ma",
            |t| &mut t.overcurrent_tolerance_ma,
            0,
            10_000,
        ),
        (
            "overcurrent_hard_ma",
            |t| &mut t.overcurrent_hard_ma,
            1_000,
            20_000,
        ),
        (
            "idle_threshold_ma",
            |t| &mut t.idle_threshold_ma,
            100,
            6_000,
        ),
        (
            "phase_tolerance_ma",
            |t| &mut t.phase_tolerance_ma,
            100,
            6_000,
        ),
        ("site_margin_ma", |t| &mut t.site_margin_ma, 0, 100_000),
    ];
    // Tolerance 0 and hard 20 A, so that the edges of one never trip "hard above tolerance".
    let mut start = base();
    start.thresholds.overcurrent_tolerance_ma = 0;
    start.thresholds.overcurrent_hard_ma = 20_000;
    for (name, get, min, max) in rows {
        assert_range(&start, Field::Threshold(name), min, max, |r, v| {
            *get(&mut r.thresholds) = v
        });
    }
}

/// Proves PS-4 / LB-9: the hard over-current threshold must be above the tolerance, or a
/// tolerated draw would already be a fault.
#[test]
fn ps4_hard_threshold_not_above_tolerance_refused() {
    let mut raw = base();
    raw.thresholds.overcurrent_tolerance_ma = 5_000;
    raw.thresholds.overcurrent_hard_ma = 5_000;
    refused(
        raw.clone(),
        Field::Threshold("overcurrent_hard_ma"),
        Reason::NotAboveTolerance,
    );
    raw.thresholds.overcurrent_hard_ma = 5_001;
    accepted(raw);
}

/// Proves PS-3: a rated current must be one PWM can signal, 6–80 A.
#[test]
fn ps3_rated_current_range() {
    assert_range(
        &base(),
        Field::RatedCurrent { point: 1 },
        6_000,
        80_000,
        |r, v| {
            r.points[1].rated_ma = v;
            r.points[1].derated_ma = v;
        },
    );
}

/// Proves §2.2: derated current is 0 – rated; above rated is refused with both values.
#[test]
fn s2_2_derated_above_rated_refused() {
    let mut raw = base();
    raw.points[1].derated_ma = 32_001;
    refused(
        raw,
        Field::DeratedCurrent { point: 1 },
        Reason::AboveRated {
            value: 32_001,
            rated: 32_000,
        },
    );
    for derated in [0, 10_000, 32_000] {
        let mut raw = base();
        raw.points[1].derated_ma = derated;
        accepted(raw);
    }
}

/// Proves IN-3 / IN-5 (§2.2): the load-shedding and temporary-limitation set points range
/// 0 – the largest derated current.
#[test]
fn in3_in5_setpoint_ranges_follow_derated_maximum() {
    let mut start = base();
    start.points[0].derated_ma = 20_000;
    start.points[1].derated_ma = 16_000;
    assert_range(&start, Field::LoadSheddingSetPoint, 0, 20_000, |r, v| {
        r.inputs.load_shedding_ma = v
    });
    let mut wallbox = start.clone();
    wallbox.family = ProductFamily::Wallbox;
    wallbox.inputs.in1 = Input1Function::DelayedStart;
    wallbox.inputs.in2 = Input2Function::TemporaryLimitation;
    assert_range(
        &wallbox,
        Field::TemporaryLimitSetPoint,
        0,
        20_000,
        |r, v| r.inputs.temporary_limit_ma = v,
    );
}

/// Proves TREE-1 / §2.2: a station node's limit is 0–64 A per phase, a supply's or circuit's
/// 0–10 000 A; the error names the node and the phase.
#[test]
fn tree1_node_limit_ranges_per_kind_and_phase() {
    for (ph, phase) in Phase::ALL.into_iter().enumerate() {
        assert_range(
            &base(),
            Field::NodeLimit { node: 0, phase },
            0,
            64_000,
            |r, v| r.nodes[0].limit_ma[ph] = v,
        );
    }
    for kind in [NodeKind::Supply, NodeKind::Circuit] {
        let raw = RawConfig::with_defaults(
            ProductFamily::City,
            [PointConfig::three_phase(0, 32_000)],
            [NodeConfig::new(None, kind, 0)],
        );
        let mut start = base();
        start.nodes[0] = raw.nodes[0];
        assert_range(
            &start,
            Field::NodeLimit {
                node: 0,
                phase: Phase::L2,
            },
            0,
            10_000_000,
            |r, v| r.nodes[0].limit_ma[1] = v,
        );
    }
}

/// Proves §1 / LB-12: a point's wiring must be a permutation of L1, L2, L3.
#[test]
fn lb12_wiring_not_a_permutation_refused() {
    let mut raw = base();
    raw.points[0].wiring = [Phase::L1, Phase::L1, Phase::L3];
    refused(raw, Field::Wiring { point: 0 }, Reason::NotAPermutation);
    let mut raw = base();
    raw.points[0].wiring = [Phase::L3, Phase::L1, Phase::L2];
    accepted(raw);
}

/// Proves §1 (N points): an empty list, or more than the maximum, is refused; the maximum is
/// accepted.
#[test]
fn s1_point_and_node_counts() {
    use loadpilot_core::config::{MAX_NODES, MAX_POINTS};
    let raw = RawConfig::with_defaults(
        ProductFamily::City,
        Vec::<PointConfig>::new(),
        [NodeConfig::station(None, 64_000)],
    );
    refused(
        raw,
        Field::Points,
        Reason::Count {
            count: 0,
            max: MAX_POINTS,
        },
    );
    let raw = RawConfig::with_defaults(
        ProductFamily::City,
        vec![PointConfig::three_phase(0, 32_000); MAX_POINTS + 1],
        [NodeConfig::station(None, 64_000)],
    );
    refused(
        raw,
        Field::Points,
        Reason::Count {
            count: MAX_POINTS + 1,
            max: MAX_POINTS,
        },
    );
    let raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        Vec::<NodeConfig>::new(),
    );
    refused(
        raw,
        Field::Nodes,
        Reason::Count {
            count: 0,
            max: MAX_NODES,
        },
    );
    // The maximum itself is accepted: as many points on one node, as many nodes beneath a root.
    accepted(RawConfig::with_defaults(
        ProductFamily::City,
        vec![PointConfig::three_phase(0, 32_000); MAX_POINTS],
        [NodeConfig::station(None, 64_000)],
    ));
    let mut nodes = vec![NodeConfig::new(Some(0), NodeKind::Circuit, 0); MAX_NODES];
    nodes[0] = NodeConfig::station(None, 64_000);
    accepted(RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        nodes.clone(),
    ));
    nodes.push(NodeConfig::new(Some(0), NodeKind::Circuit, 0));
    let raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(0, 32_000)],
        nodes,
    );
    refused(
        raw,
        Field::Nodes,
        Reason::Count {
            count: MAX_NODES + 1,
            max: MAX_NODES,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Input functions per product family

/// Proves IN-2 … IN-5 (§2.2): each product family has only its own input functions.
#[test]
fn in2_in5_input_functions_not_on_this_family_refused() {
    for family in [ProductFamily::City, ProductFamily::Parking] {
        let mut raw = base();
        raw.family = family;
        raw.inputs.in1 = Input1Function::DelayedStart;
        refused(raw, Field::Input1Function, Reason::NotOnThisFamily);
        let mut raw = base();
        raw.family = family;
        raw.inputs.in2 = Input2Function::TemporaryLimitation;
        refused(raw, Field::Input2Function, Reason::NotOnThisFamily);
        for in1 in [
            Input1Function::NotUsed,
            Input1Function::ProtectionDevices,
            Input1Function::LoadShedding,
        ] {
            let mut raw = base();
            raw.family = family;
            raw.inputs.in1 = in1;
            raw.inputs.in2 = Input2Function::ConditionalStart;
            accepted(raw);
        }
    }
    for in1 in [
        Input1Function::ProtectionDevices,
        Input1Function::LoadShedding,
    ] {
        let mut raw = base();
        raw.family = ProductFamily::Wallbox;
        raw.inputs.in1 = in1;
        raw.inputs.in2 = Input2Function::NotUsed;
        refused(raw, Field::Input1Function, Reason::NotOnThisFamily);
    }
    let mut raw = base();
    raw.family = ProductFamily::Wallbox;
    raw.inputs.in1 = Input1Function::DelayedStart;
    raw.inputs.in2 = Input2Function::ConditionalStart;
    refused(raw.clone(), Field::Input2Function, Reason::NotOnThisFamily);
    raw.inputs.in2 = Input2Function::TemporaryLimitation;
    accepted(raw);
}
