//! Every check of [`crate::config::Config::new`]: ranges of §2.2 and §5.5, the limit tree
//! (TREE-1), LB-7, LB-8, LB-14 fit checks, the PS-1 timing budget, input functions per family,
//! sessions (§5.5) and protection (CT-1, TH-1). The first wrong field refuses the whole
//! configuration.

use crate::config::{
    Input1Function, Input2Function, InputConfig, MAX_DEPTH, MAX_NODES, MAX_POINTS, NodeConfig,
    NodeKind, PointConfig, ProductFamily, ProtectionConfig, RawConfig, Thresholds, Timers,
};
use crate::config_error::{ConfigError, Field, Reason};
use crate::general::{detection_ms, is_beneath, phase_mask, static_ceiling};
use crate::session::SessionConfig;
use crate::types::Phase;

fn err(field: Field, reason: Reason) -> ConfigError {
    ConfigError { field, reason }
}

fn range(field: Field, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(err(
            field,
            Reason::OutOfRange {
                value: value.into(),
                min: min.into(),
                max: max.into(),
            },
        ))
    }
}

pub(crate) fn validate<PS, NS>(raw: &RawConfig<PS, NS>) -> Result<(), ConfigError>
where
    PS: AsRef<[PointConfig]>,
    NS: AsRef<[NodeConfig]>,
{
    let points = raw.points.as_ref();
    let nodes = raw.nodes.as_ref();
    let t = &raw.thresholds;
    let tm = &raw.timers;

    range(Field::Voltage, raw.voltage_mv, 175_000, 276_000)?;
    validate_thresholds(t)?;
    validate_timers(tm)?;

    if points.is_empty() || points.len() > MAX_POINTS {
        return Err(err(
            Field::Points,
            Reason::Count {
                count: points.len(),
                max: MAX_POINTS,
            },
        ));
    }
    if nodes.is_empty() || nodes.len() > MAX_NODES {
        return Err(err(
            Field::Nodes,
            Reason::Count {
                count: nodes.len(),
                max: MAX_NODES,
            },
        ));
    }
    validate_tree(nodes)?;

    let mut max_derated = 0u32;
    for (i, p) in points.iter().enumerate() {
        let point = u16::try_from(i).unwrap_or(u16::MAX);
        if usize::from(p.node) >= nodes.len() {
            return Err(err(
                Field::PointNode { point },
                Reason::NoSuchNode { index: p.node },
            ));
        }
        let w = p.wiring;
        let mask = w[0].bit() | w[1].bit() | w[2].bit();
        if mask != 0b111 {
            return Err(err(Field::Wiring { point }, Reason::NotAPermutation));
        }
        // IEC 61851-1 PWM encodes 6–80 A (PS-3).
        range(Field::RatedCurrent { point }, p.rated_ma, 6_000, 80_000)?;
        if p.derated_ma > p.rated_ma {
            return Err(err(
                Field::DeratedCurrent { point },
                Reason::AboveRated {
                    value: p.derated_ma,
                    rated: p.rated_ma,
                },
            ));
        }
        max_derated = max_derated.max(p.derated_ma);
        if let Some(fs) = p.fail_safe_ma {
            let ceiling = p.derated_ma;
            if fs > ceiling {
                return Err(err(
                    Field::PointFailSafe { point },
                    Reason::AboveLimit {
                        value: fs,
                        limit: ceiling,
                    },
                ));
            }
        }
    }

    validate_inputs(raw.family, &raw.inputs, max_derated)?;

    if let Some(r) = raw.rotation_interval_ms {
        range(Field::RotationInterval, r, 60_000, 86_400_000)?;
    }
    validate_site_meters(nodes)?;
    validate_protection(&raw.protection)?;
    validate_session(&raw.session)?;
    for (i, n) in nodes.iter().enumerate() {
        let node = u16::try_from(i).unwrap_or(u16::MAX);
        if let Some(fs) = n.fail_safe_ma {
            for (ph, (f, l)) in fs.iter().zip(n.limit_ma).enumerate() {
                if *f > l {
                    return Err(err(
                        Field::NodeFailSafe {
                            node,
                            phase: Phase::from_index(ph),
                        },
                        Reason::AboveLimit {
                            value: *f,
                            limit: l,
                        },
                    ));
                }
            }
        }
    }

    if !raw.load_balancing {
        validate_unbalanced(t, points, nodes)?;
    }
    Ok(())
}

/// The session timers (SPEC §5.1: every waiting phase has a timeout).
fn validate_session(s: &SessionConfig) -> Result<(), ConfigError> {
    const MIN10: u32 = 600_000;
    range(Field::Session("shutter_ms"), s.shutter_ms, 500, 30_000)?;
    range(Field::Session("lock_ms"), s.lock_ms, 500, 30_000)?;
    range(Field::Session("plug_wait_ms"), s.plug_wait_ms, 1_000, MIN10)?;
    range(Field::Session("ev_wait_ms"), s.ev_wait_ms, 1_000, MIN10)?;
    range(
        Field::Session("unplug_wait_ms"),
        s.unplug_wait_ms,
        1_000,
        3_600_000,
    )
}

/// CT-1 and TH-1 parameters.
fn validate_protection(p: &ProtectionConfig) -> Result<(), ConfigError> {
    range(
        Field::Protection("welded_current_ma"),
        p.welded_current_ma,
        100,
        6_000,
    )?;
    range(Field::Protection("welded_ms"), p.welded_ms, 100, 10_000)?;
    if let Some(t) = p.thermal
        && !(t.derate_start_dc < t.derate_end_dc
            && t.derate_end_dc < t.pause_dc
            && t.hysteresis_dc > 0)
    {
        return Err(err(Field::Protection("thermal"), Reason::ThermalOrder));
    }
    Ok(())
}

/// LB-14: a site meter's fail-safe headroom fits its node's limit, and metered nodes do not nest
/// (a point's "lowest current since the previous reading" follows one meter only).
fn validate_site_meters(nodes: &[NodeConfig]) -> Result<(), ConfigError> {
    for (i, n) in nodes.iter().enumerate() {
        let node = u16::try_from(i).unwrap_or(u16::MAX);
        if let Some(fs) = n.site_fail_safe_ma {
            for (ph, (f, l)) in fs.iter().zip(n.limit_ma).enumerate() {
                if *f > l {
                    return Err(err(
                        Field::SiteFailSafe {
                            node,
                            phase: Phase::from_index(ph),
                        },
                        Reason::AboveLimit {
                            value: *f,
                            limit: l,
                        },
                    ));
                }
            }
        }
        range(Field::SiteSlot { node }, n.site_slot_ms, 10, 1_000)?;
        if !n.site_meter {
            continue;
        }
        let mut cur = n.parent;
        for _ in 0..MAX_DEPTH {
            let Some(p) = cur else { break };
            let above = nodes.get(usize::from(p));
            if above.is_some_and(|a| a.site_meter) {
                return Err(err(
                    Field::SiteMeter { node },
                    Reason::NestedSiteMeter { above: p },
                ));
            }
            cur = above.and_then(|a| a.parent);
        }
    }
    Ok(())
}

fn validate_thresholds(t: &Thresholds) -> Result<(), ConfigError> {
    // IEC 61851-1: 6 A is the lowest current PWM can signal (LB-3 floor).
    range(Field::Threshold("min_1ph_ma"), t.min_1ph_ma, 6_000, 32_000)?;
    range(Field::Threshold("min_3ph_ma"), t.min_3ph_ma, 6_000, 32_000)?;
    range(
        Field::Threshold("start_threshold_permille"),
        t.start_threshold_permille,
        1_000,
        3_000,
    )?;
    range(
        Field::Threshold("overcurrent_tolerance_ma"),
        t.overcurrent_tolerance_ma,
        0,
        10_000,
    )?;
    range(
        Field::Threshold("overcurrent_hard_ma"),
        t.overcurrent_hard_ma,
        1_000,
        20_000,
    )?;
    if t.overcurrent_hard_ma <= t.overcurrent_tolerance_ma {
        return Err(err(
            Field::Threshold("overcurrent_hard_ma"),
            Reason::NotAboveTolerance,
        ));
    }
    range(
        Field::Threshold("idle_threshold_ma"),
        t.idle_threshold_ma,
        100,
        6_000,
    )?;
    range(
        Field::Threshold("phase_tolerance_ma"),
        t.phase_tolerance_ma,
        100,
        6_000,
    )?;
    range(
        Field::Threshold("site_margin_ma"),
        t.site_margin_ma,
        0,
        100_000,
    )
}

fn validate_timers(tm: &Timers) -> Result<(), ConfigError> {
    const H: u32 = 3_600_000;
    let checks: [(&'static str, u32, u32, u32); 20] = [
        ("sample_period_ms", tm.sample_period_ms, 10, 40),
        ("contactor_release_ms", tm.contactor_release_ms, 1, 50),
        ("debounce_safer_ms", tm.debounce_safer_ms, 1, 60),
        ("debounce_charge_ms", tm.debounce_charge_ms, 1, 2_000),
        // IEC 61851-1: the EV follows a reduction within 5 s.
        ("ev_response_ms", tm.ev_response_ms, 1_000, 5_000),
        // IEC 61851-1: the EV leaves C within 6 s after PWM stops.
        ("grace_ms", tm.grace_ms, 1_000, 6_000),
        ("rise_interval_ms", tm.rise_interval_ms, 1_000, 60_000),
        ("min_pause_ms", tm.min_pause_ms, 0, H),
        ("min_run_ms", tm.min_run_ms, 0, H),
        ("idle_ms", tm.idle_ms, 1_000, H),
        ("phase_detection_ms", tm.phase_detection_ms, 1_000, H),
        ("setpoint_validity_ms", tm.setpoint_validity_ms, 1_000, H),
        (
            "site_meter_validity_ms",
            tm.site_meter_validity_ms,
            1_000,
            H,
        ),
        ("site_meter_hold_ms", tm.site_meter_hold_ms, 0, H),
        ("auth_timeout_ms", tm.auth_timeout_ms, 0, 999_000),
        ("wakeup_after_ms", tm.wakeup_after_ms, 1_000, 600_000),
        ("wakeup_f_ms", tm.wakeup_f_ms, 1_000, 10_000),
        ("wakeup_settle_ms", tm.wakeup_settle_ms, 1, 5_000),
        ("stagger_ms", tm.stagger_ms, 0, 60_000),
        ("max_gap_ms", tm.max_gap_ms, 100, 10_000),
    ];
    for (name, value, min, max) in checks {
        range(Field::Timer(name), value, min, max)?;
    }
    // PS-1: a real C→B must open the contactor within 100 ms (IEC 61851-1 Table A.6).
    let safer = detection_ms(tm.sample_period_ms, tm.debounce_safer_ms)
        .saturating_add(tm.contactor_release_ms);
    if safer > 100 {
        return Err(err(
            Field::Timer("debounce_safer_ms"),
            Reason::TimingBudget {
                needed: safer,
                allowed: 100,
            },
        ));
    }
    // PS-1 / PS-5: the contactor closes within 3 s of B→C. (Under the ranges above it needs at
    // most 40 × (1 + 50) = 2,040 ms: a guard for wider ranges, which no configuration reaches.)
    let towards_c = detection_ms(tm.sample_period_ms, tm.debounce_charge_ms);
    if towards_c > 3_000 {
        return Err(err(
            Field::Timer("debounce_charge_ms"),
            Reason::TimingBudget {
                needed: towards_c,
                allowed: 3_000,
            },
        ));
    }
    Ok(())
}

fn validate_inputs(
    family: ProductFamily,
    inputs: &InputConfig,
    max_derated: u32,
) -> Result<(), ConfigError> {
    let wallbox = family == ProductFamily::Wallbox;
    let in1_ok = match inputs.in1 {
        Input1Function::NotUsed => true,
        Input1Function::ProtectionDevices | Input1Function::LoadShedding => !wallbox,
        Input1Function::DelayedStart => wallbox,
    };
    if !in1_ok {
        return Err(err(Field::Input1Function, Reason::NotOnThisFamily));
    }
    let in2_ok = match inputs.in2 {
        Input2Function::NotUsed => true,
        Input2Function::ConditionalStart => !wallbox,
        Input2Function::TemporaryLimitation => wallbox,
    };
    if !in2_ok {
        return Err(err(Field::Input2Function, Reason::NotOnThisFamily));
    }
    // SPEC §2.2: set points range 0 – (derated) maximum.
    range(
        Field::LoadSheddingSetPoint,
        inputs.load_shedding_ma,
        0,
        max_derated,
    )?;
    range(
        Field::TemporaryLimitSetPoint,
        inputs.temporary_limit_ma,
        0,
        max_derated,
    )
}

fn validate_tree(nodes: &[NodeConfig]) -> Result<(), ConfigError> {
    let mut roots = 0u16;
    for (i, n) in nodes.iter().enumerate() {
        let node = u16::try_from(i).unwrap_or(u16::MAX);
        match n.parent {
            None => roots = roots.saturating_add(1),
            Some(p) if usize::from(p) >= nodes.len() => {
                return Err(err(Field::Parent { node }, Reason::NoSuchNode { index: p }));
            }
            Some(_) => {}
        }
        // Walk up: the root must be reached within MAX_DEPTH hops, or there is a cycle.
        let mut cur = n.parent;
        let mut hops = 0usize;
        while let Some(p) = cur {
            hops = hops.saturating_add(1);
            if hops >= MAX_DEPTH || usize::from(p) == i {
                return Err(err(Field::Parent { node }, Reason::NotATree));
            }
            cur = nodes.get(usize::from(p)).and_then(|x| x.parent);
        }
        let max = match n.kind {
            NodeKind::Station => 64_000,
            NodeKind::Supply | NodeKind::Circuit => 10_000_000,
        };
        for (ph, l) in n.limit_ma.iter().enumerate() {
            range(
                Field::NodeLimit {
                    node,
                    phase: Phase::from_index(ph),
                },
                *l,
                0,
                max,
            )?;
        }
    }
    if roots != 1 {
        return Err(err(Field::Nodes, Reason::RootCount { roots }));
    }
    Ok(())
}

/// LB-7: with load balancing disabled, the sum of the points' own ceilings must fit under every
/// limit at or above them.
fn validate_unbalanced(
    t: &Thresholds,
    points: &[PointConfig],
    nodes: &[NodeConfig],
) -> Result<(), ConfigError> {
    for (i, n) in nodes.iter().enumerate() {
        let mut sum = [0u32; 3];
        for p in points {
            if !is_beneath(nodes, usize::from(p.node), i) {
                continue;
            }
            let c = static_ceiling(t, p);
            let mask = phase_mask(p);
            for (ph, s) in sum.iter_mut().enumerate() {
                if mask & (1 << ph) != 0 {
                    *s = s.saturating_add(c);
                }
            }
        }
        for (ph, (s, l)) in sum.iter().zip(n.limit_ma).enumerate() {
            if *s > l {
                return Err(err(
                    Field::LoadBalancing {
                        node: u16::try_from(i).unwrap_or(u16::MAX),
                        phase: Phase::from_index(ph),
                    },
                    Reason::CeilingsAboveLimit { sum: *s, limit: l },
                ));
            }
        }
    }
    Ok(())
}
