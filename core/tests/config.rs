//! Configuration validation: every range of `config.rs`, the limit tree (TREE-1), the fit checks
//! of LB-7 and LB-8, the PS-1 timing budget, input functions per product family, the error text,
//! the RON round trip through serde, and "refused whole".
//!
//! Each refusal is checked for the exact `ConfigError { field, reason }`; each range also for its
//! accepted edges, so that an off-by-one either way fails.

use loadpilot_core::{
    Config, ConfigError, Field, Input1Function, Input2Function, NodeConfig, NodeKind, Phase,
    PointConfig, ProductFamily, RawConfig, Reason, Thresholds, Timers, two_point_station,
};

type Raw2 = RawConfig<[PointConfig; 2], [NodeConfig; 1]>;

/// The standard two-point station on a 64 A station node, every other parameter at its default.
fn base() -> Raw2 {
    two_point_station(64_000)
}

fn check<PS, NS>(raw: RawConfig<PS, NS>) -> Result<(), ConfigError>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    Config::new(raw).map(|_| ())
}

#[track_caller]
fn refused<PS, NS>(raw: RawConfig<PS, NS>, field: Field, reason: Reason)
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    assert_eq!(check(raw), Err(ConfigError { field, reason }));
}

#[track_caller]
fn accepted<PS, NS>(raw: RawConfig<PS, NS>)
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    if let Err(e) = check(raw) {
        panic!("expected the configuration to be accepted, got: {e}");
    }
}

fn out_of_range(value: u32, min: u32, max: u32) -> Reason {
    Reason::OutOfRange {
        value: value.into(),
        min: min.into(),
        max: max.into(),
    }
}

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

/// Proves §1 (N points): an empty list, or more than the maximum, is refused.
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
    let mut nodes = vec![NodeConfig::new(Some(0), NodeKind::Circuit, 0); MAX_NODES + 1];
    nodes[0].parent = None;
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
// TREE-1

/// Supply 0 → circuit 1 → station 2, one point under the station.
fn tree3() -> RawConfig<[PointConfig; 1], [NodeConfig; 3]> {
    RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(2, 32_000)],
        [
            NodeConfig::new(None, NodeKind::Supply, 100_000),
            NodeConfig::new(Some(0), NodeKind::Circuit, 80_000),
            NodeConfig::station(Some(1), 64_000),
        ],
    )
}

#[test]
fn tree1_three_levels_accepted() {
    accepted(tree3());
}

#[test]
fn tree1_cycle_refused() {
    let mut raw = tree3();
    // 1 → 2 → 1: neither reaches the root.
    raw.nodes[1].parent = Some(2);
    refused(raw, Field::Parent { node: 1 }, Reason::NotATree);
    let mut raw = tree3();
    raw.nodes[2].parent = Some(2);
    refused(raw, Field::Parent { node: 2 }, Reason::NotATree);
}

#[test]
fn tree1_two_roots_refused() {
    let mut raw = tree3();
    raw.nodes[1].parent = None;
    refused(raw, Field::Nodes, Reason::RootCount { roots: 2 });
}

#[test]
fn tree1_unknown_parent_refused() {
    let mut raw = tree3();
    raw.nodes[2].parent = Some(3);
    refused(
        raw,
        Field::Parent { node: 2 },
        Reason::NoSuchNode { index: 3 },
    );
}

#[test]
fn tree1_point_on_unknown_node_refused() {
    let mut raw = tree3();
    raw.points[0].node = 7;
    refused(
        raw,
        Field::PointNode { point: 0 },
        Reason::NoSuchNode { index: 7 },
    );
}

/// A chain of `N` nodes, each under the previous one, with one point on the deepest.
fn chain<const N: usize>() -> RawConfig<[PointConfig; 1], [NodeConfig; N]> {
    let nodes: [NodeConfig; N] = core::array::from_fn(|i| match i {
        0 => NodeConfig::new(None, NodeKind::Supply, 100_000),
        _ => NodeConfig::new(Some(i as u16 - 1), NodeKind::Circuit, 100_000),
    });
    RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(N as u16 - 1, 32_000)],
        nodes,
    )
}

#[test]
fn tree1_too_deep_refused() {
    use loadpilot_core::config::MAX_DEPTH;
    assert_eq!(MAX_DEPTH, 8, "the chains below assume 8 levels");
    // Eight levels (seven hops from the deepest node to the root) are accepted, nine are not.
    accepted(chain::<8>());
    refused(chain::<9>(), Field::Parent { node: 8 }, Reason::NotATree);
}

// ---------------------------------------------------------------------------------------------
// LB-7, LB-8, PS-1, inputs

/// Proves LB-7: with load balancing disabled, the ceilings must fit under the station limit.
#[test]
fn lb7_disabled_refused_when_ceilings_exceed_node_limit() {
    let mut raw = two_point_station(63_999);
    raw.load_balancing = false;
    refused(
        raw,
        Field::LoadBalancing {
            node: 0,
            phase: Phase::L1,
        },
        Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 63_999,
        },
    );
    let mut raw = two_point_station(64_000);
    raw.load_balancing = false;
    accepted(raw.clone());
    // The same numbers with load balancing on are fine: the points share.
    let mut raw = two_point_station(40_000);
    raw.load_balancing = true;
    accepted(raw);
}

/// Proves LB-7: every limit at or above the station counts, per phase (here the supply's L3).
#[test]
fn lb7_disabled_checks_limits_above_the_station() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [PointConfig::three_phase(1, 32_000); 2],
        [
            NodeConfig::new(None, NodeKind::Supply, 100_000),
            NodeConfig::station(Some(0), 64_000),
        ],
    );
    raw.load_balancing = false;
    raw.nodes[0].limit_ma[2] = 50_000;
    refused(
        raw.clone(),
        Field::LoadBalancing {
            node: 0,
            phase: Phase::L3,
        },
        Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 50_000,
        },
    );
    raw.nodes[0].limit_ma[2] = 64_000;
    accepted(raw);
}

/// Proves LB-7 with LB-12 and LB-3: single-phase points on different phases do not add up, and
/// a derated current below the minimum is a ceiling of 0.
#[test]
fn lb7_disabled_counts_per_phase_and_lb3_zero_ceilings() {
    let mut raw = RawConfig::with_defaults(
        ProductFamily::City,
        [
            PointConfig::single_phase(0, 32_000, Phase::L1),
            PointConfig::single_phase(0, 32_000, Phase::L2),
        ],
        [NodeConfig::station(None, 32_000)],
    );
    raw.load_balancing = false;
    accepted(raw.clone());
    raw.points[1] = PointConfig::single_phase(0, 32_000, Phase::L1);
    refused(
        raw,
        Field::LoadBalancing {
            node: 0,
            phase: Phase::L1,
        },
        Reason::CeilingsAboveLimit {
            sum: 64_000,
            limit: 32_000,
        },
    );
    // Derated 13 A on a three-phase point is below the 14 A minimum: it never charges (LB-3).
    let mut raw = two_point_station(32_000);
    raw.load_balancing = false;
    raw.points[1].derated_ma = 13_000;
    accepted(raw);
}

/// Proves LB-8: a node's fail-safe current above the limit it replaces is refused, per phase.
#[test]
fn lb8_node_fail_safe_above_limit_refused() {
    let mut raw = base();
    raw.external_control = true;
    raw.nodes[0].fail_safe_ma = Some([20_000, 64_001, 20_000]);
    refused(
        raw.clone(),
        Field::NodeFailSafe {
            node: 0,
            phase: Phase::L2,
        },
        Reason::AboveLimit {
            value: 64_001,
            limit: 64_000,
        },
    );
    raw.nodes[0].fail_safe_ma = Some([64_000, 64_000, 0]);
    accepted(raw);
}

/// Proves LB-8: a point's fail-safe current above its (derated) maximum is refused.
#[test]
fn lb8_point_fail_safe_above_limit_refused() {
    let mut raw = base();
    raw.external_control = true;
    raw.points[1].external = true;
    raw.points[1].derated_ma = 20_000;
    raw.points[1].fail_safe_ma = Some(20_001);
    refused(
        raw.clone(),
        Field::PointFailSafe { point: 1 },
        Reason::AboveLimit {
            value: 20_001,
            limit: 20_000,
        },
    );
    raw.points[1].fail_safe_ma = Some(20_000);
    accepted(raw.clone());
    raw.points[1].fail_safe_ma = Some(0);
    accepted(raw);
}

/// Proves PS-1: P × (1 + ⌈safer debounce / P⌉) + R ≤ 100 ms, or the configuration is refused.
#[test]
fn ps1_timing_budget_refused() {
    let mut raw = base();
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_safer_ms = 60;
    raw.timers.contactor_release_ms = 30;
    // 40 × (1 + 2) + 30 = 150 ms.
    refused(
        raw,
        Field::Timer("debounce_safer_ms"),
        Reason::TimingBudget {
            needed: 150,
            allowed: 100,
        },
    );
    // At the edge: 10 × (1 + 6) + 30 = 100 ms is accepted, 31 ms of release time is not.
    let mut raw = base();
    raw.timers.sample_period_ms = 10;
    raw.timers.debounce_safer_ms = 60;
    raw.timers.contactor_release_ms = 30;
    accepted(raw.clone());
    raw.timers.contactor_release_ms = 31;
    refused(
        raw,
        Field::Timer("debounce_safer_ms"),
        Reason::TimingBudget {
            needed: 101,
            allowed: 100,
        },
    );
    // A debounce that is not a multiple of P rounds up: 40 × (1 + ⌈1/40⌉) + 21 = 101 ms.
    let mut raw = base();
    raw.timers.sample_period_ms = 40;
    raw.timers.debounce_safer_ms = 1;
    raw.timers.contactor_release_ms = 21;
    refused(
        raw,
        Field::Timer("debounce_safer_ms"),
        Reason::TimingBudget {
            needed: 101,
            allowed: 100,
        },
    );
}

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

/// Proves PS-1: the default debounce and release times fit the budget at every sample period
/// the SPEC allows (10–40 ms), so a slow loop needs no other change.
#[test]
fn ps1_defaults_fit_every_sample_period() {
    for period in 10..=40 {
        let mut raw = base();
        raw.timers.sample_period_ms = period;
        accepted(raw);
    }
}
