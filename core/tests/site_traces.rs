//! Site-meter headroom (LB-14) with the limit (LB-1) and no flapping (LB-6) over random
//! site-load traces: one property, run through the slice API on random small configurations
//! (a metered station, an optional tree above, rotation), checking the rules in every step.

mod common;

use common::mix;
use loadpilot_core::{
    Config, NodeConfig, NodeKind, Phase, PointConfig, PointFlags, ProductFamily, RawConfig,
};
use proptest::prelude::*;

// ---- Property: random site-load traces (LB-1, LB-6, LB-14) ----

/// One piece of the other consumers' load: its length (s) and what it does, per phase (mA).
#[derive(Clone, Copy, Debug)]
enum Seg {
    /// Jumps to the level.
    Step([u32; 3]),
    /// Moves linearly to the level over the piece.
    Ramp([u32; 3]),
    /// Drops (or jumps) to the level for the piece, then returns.
    Dip([u32; 3]),
}

#[derive(Clone, Copy, Debug)]
struct PSpec {
    /// `None`: a three-phase point (and EV); `Some(k)`: single-phase on supply phase k.
    phase: Option<u8>,
    rated_ma: u32,
    /// Under the sibling station (not metered) when there is a tree above.
    elsewhere: bool,
    ev_max_ma: u32,
    /// The EV's rise rate (mA/s); 0: at once.
    ramp_ma_s: u32,
    metered: bool,
    plug_s: u64,
    /// How long the vehicle stays (s); `None`: to the end.
    stay_s: Option<u64>,
}

#[derive(Clone, Debug)]
struct Case {
    /// 0: the metered station is the root; 1: supply → stations; 2: supply → circuit → stations.
    tree: u8,
    above_ma: u32,
    station_ma: [u32; 3],
    fail_safe: Option<[u32; 3]>,
    margin_ma: u32,
    thr_permille: u32,
    /// min run, min pause, hold, validity (s).
    timers_s: [u32; 4],
    rotation_s: Option<u32>,
    points: Vec<PSpec>,
    /// Meter period, base latency, latency jitter (ms).
    meter_ms: [u64; 3],
    base: [u32; 3],
    segs: Vec<(u64, Seg)>,
    /// (from, length) in s: the meter reads nothing.
    silences: Vec<(u64, u64)>,
    seed: u64,
}

const RUN_MS: u64 = 600_000;

impl Case {
    /// The true other consumers' load at `t` (mA per phase).
    fn other(&self, t: u64) -> [u32; 3] {
        let (mut prev, mut start) = (self.base, 0u64);
        for &(len_s, seg) in &self.segs {
            let len = len_s * 1_000;
            if t < start + len {
                return match seg {
                    Seg::Step(v) | Seg::Dip(v) => v,
                    Seg::Ramp(v) => {
                        let f = |a: u32, b: u32| {
                            let (a, b, x) = (i64::from(a), i64::from(b), (t - start) as i64);
                            (a + (b - a) * x / len as i64) as u32
                        };
                        [f(prev[0], v[0]), f(prev[1], v[1]), f(prev[2], v[2])]
                    }
                };
            }
            if let Seg::Step(v) | Seg::Ramp(v) = seg {
                prev = v;
            }
            start += len;
        }
        prev
    }

    fn silent(&self, t: u64) -> bool {
        let s = t / 1_000;
        self.silences.iter().any(|&(a, l)| (a..a + l).contains(&s))
    }

    fn raw(&self) -> RawConfig<Vec<PointConfig>, Vec<NodeConfig>> {
        let mut nodes = Vec::new();
        let station_parent = match self.tree {
            0 => None,
            1 => {
                nodes.push(NodeConfig::new(None, NodeKind::Supply, self.above_ma));
                Some(0)
            }
            _ => {
                nodes.push(NodeConfig::new(None, NodeKind::Supply, 10_000_000));
                nodes.push(NodeConfig::new(Some(0), NodeKind::Circuit, self.above_ma));
                Some(1)
            }
        };
        let metered = nodes.len() as u16;
        let mut st = NodeConfig::station(station_parent, 0);
        st.limit_ma = self.station_ma;
        st.site_meter = true;
        st.site_fail_safe_ma = self
            .fail_safe
            .map(|f| [0, 1, 2].map(|ph| self.station_ma[ph] * f[ph] / 1_000));
        nodes.push(st);
        if station_parent.is_some() {
            nodes.push(NodeConfig::station(station_parent, 32_000));
        }
        let points = (self.points.iter())
            .map(|p| {
                let node = metered + u16::from(p.elsewhere && station_parent.is_some());
                match p.phase {
                    None => PointConfig::three_phase(node, p.rated_ma),
                    Some(k) => {
                        PointConfig::single_phase(node, p.rated_ma, Phase::from_index(k as usize))
                    }
                }
            })
            .collect();
        let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
        let t = &mut raw.timers;
        t.stagger_ms = 0;
        // 40 ms steps keep ten simulated minutes per case cheap (PS-1: 40 × 2 + 20 = 100 ms).
        t.sample_period_ms = 40;
        [
            t.min_run_ms,
            t.min_pause_ms,
            t.site_meter_hold_ms,
            t.site_meter_validity_ms,
        ] = self.timers_s.map(|s| s * 1_000);
        raw.thresholds.site_margin_ma = self.margin_ma;
        raw.thresholds.start_threshold_permille = self.thr_permille;
        raw.rotation_interval_ms = self.rotation_s.map(|s| s * 1_000);
        raw
    }
}

fn level() -> impl Strategy<Value = [u32; 3]> {
    prop_oneof![
        (0u32..=60).prop_map(|a| [a * 1_000; 3]),
        [0u32..=60_000, 0u32..=60_000, 0u32..=60_000],
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let seg = prop_oneof![
        (1u64..=120, level().prop_map(Seg::Step)),
        (1u64..=300, level().prop_map(Seg::Ramp)),
        (1u64..=90, level().prop_map(Seg::Dip)),
    ];
    let point = (
        prop_oneof![3 => Just(None), 1 => (0u8..3).prop_map(Some)],
        prop_oneof![Just(16_000u32), Just(32_000)],
        any::<bool>(),
        6_000u32..=32_000,
        prop_oneof![Just(0u32), 2_000u32..=20_000],
        prop::bool::weighted(0.85),
        0u64..=300,
        prop::option::of(20u64..=400),
    )
        .prop_map(
            |(phase, rated_ma, elsewhere, ev_max_ma, ramp_ma_s, metered, plug_s, stay_s)| PSpec {
                phase,
                rated_ma,
                elsewhere,
                ev_max_ma,
                ramp_ma_s,
                metered,
                plug_s,
                stay_s,
            },
        );
    let limits = (
        0u8..=2,
        prop_oneof![Just(10_000_000u32), 20_000u32..=120_000],
        prop_oneof![
            (16u32..=64).prop_map(|a| [a * 1_000; 3]),
            [16_000u32..=64_000, 16_000u32..=64_000, 16_000u32..=64_000]
        ],
        prop::option::of([0u32..=1_000, 0u32..=1_000, 0u32..=1_000]),
        0u32..=5_000,
        1_000u32..=2_000,
    );
    let timers = (
        [5u32..=120, 0u32..=120, 0u32..=90, 2u32..=20],
        prop::option::of(60u32..=180),
    );
    let meter = (
        prop_oneof![Just(1_000u64), 200u64..=3_000],
        0u64..=600,
        0u64..=400,
        level(),
        prop::collection::vec(seg, 1..=10),
        prop::collection::vec((0u64..=560, 1u64..=40), 0..=2),
        any::<u64>(),
    );
    (limits, timers, prop::collection::vec(point, 1..=8), meter).prop_map(
        |(
            (tree, above_ma, station_ma, fail_safe, margin_ma, thr_permille),
            (timers_s, rotation_s),
            points,
            m,
        )| {
            let (period, latency, jitter, base, segs, silences, seed) = m;
            Case {
                tree,
                above_ma,
                station_ma,
                fail_safe,
                margin_ma,
                thr_permille,
                timers_s,
                rotation_s,
                points,
                meter_ms: [period, latency, jitter],
                base,
                segs,
                silences,
                seed,
            }
        },
    )
}

/// What the property checked, over all cases: fresh steps, steady steps (check (b)), starts,
/// stops within the minimum run (allowed), stale steps.
static SEEN: [std::sync::atomic::AtomicU64; 5] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 5];

fn seen(k: usize) {
    SEEN[k].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Runs one case through the slice API; the first broken rule as an error.
fn run_case(c: &Case) -> Result<(), String> {
    use loadpilot_core::{
        Inputs, NodeInputs, NodeSite, NodeState, NodeWork, Outputs, PhaseCount, PointInputs,
        PointOutput, PointSite, PointState, PointWork, SiteReading, SiteState, State,
        StationInputs, StationOutput, StationState, VehicleState, Work, step,
    };
    let cfg = Config::new(c.raw()).map_err(|e| format!("invalid configuration: {e}"))?;
    let raw = cfg.raw();
    let (pcfg, ncfg) = (&raw.points, &raw.nodes);
    let (np, nn) = (pcfg.len(), ncfg.len());
    let metered = ncfg.iter().position(|n| n.site_meter).unwrap();
    let beneath: Vec<Vec<usize>> = (0..nn)
        .map(|n| {
            (0..np)
                .filter(|&i| {
                    let mut cur = Some(pcfg[i].node);
                    while let Some(x) = cur {
                        if usize::from(x) == n {
                            return true;
                        }
                        cur = ncfg[usize::from(x)].parent;
                    }
                    false
                })
                .collect()
        })
        .collect();
    let (th, tm) = (raw.thresholds, raw.timers);
    let (validity, margin) = (u64::from(tm.site_meter_validity_ms), th.site_margin_ma);
    let mut station = StationState::new();
    let mut points = vec![PointState::new(); np];
    let mut nodes = vec![NodeState::new(); nn];
    let mut point_sites = vec![PointSite::new(); np];
    let mut node_sites = vec![NodeSite::new(); nn];
    let (mut work, mut nwork) = (vec![PointWork::new(); np], vec![NodeWork::new(); nn]);
    let mut swork = loadpilot_core::StationWork::new();
    let mut so = StationOutput::default();
    let mut out = vec![PointOutput::default(); np];
    let mut pin = vec![PointInputs::default(); np];
    let mut nin = vec![NodeInputs::default(); nn];
    // Per point: what the EV draws (mA per phase), heads for, and since when its draw is as now.
    let (mut draw, mut want, mut since) = (vec![0u32; np], vec![0u32; np], vec![0u64; np]);
    let mut started = vec![0u64; np];
    let mut queue: std::collections::VecDeque<(u64, SiteReading)> = Default::default();
    let mut next_read = 0u64;
    let mut was_fresh = false;
    let period = u64::from(tm.sample_period_ms);
    let mut t = 0u64;
    while t < RUN_MS {
        let prev = out.clone();
        // Vehicles and what the EVs draw.
        for (i, p) in c.points.iter().enumerate() {
            let plugged =
                t >= p.plug_s * 1_000 && p.stay_s.is_none_or(|s| t < (p.plug_s + s) * 1_000);
            pin[i].vehicle = if plugged {
                VehicleState::C
            } else {
                VehicleState::A
            };
            pin[i].authorised = true;
            let before = draw[i];
            if draw[i] < want[i] {
                let up = if p.ramp_ma_s == 0 {
                    u32::MAX
                } else {
                    p.ramp_ma_s * period as u32 / 1_000
                };
                draw[i] = want[i].min(draw[i].saturating_add(up));
            }
            if draw[i] != before {
                since[i] = t;
            }
            let m = if pcfg[i].phases == PhaseCount::One {
                [draw[i], 0, 0]
            } else {
                [draw[i]; 3]
            };
            pin[i].measured_ma = p.metered.then_some(m);
        }
        let supply = |i: usize, d: u32| -> [u32; 3] {
            let mut s = [0; 3];
            let n = if pcfg[i].phases == PhaseCount::One {
                1
            } else {
                3
            };
            pcfg[i].wiring[..n].iter().for_each(|ph| s[ph.index()] += d);
            s
        };
        // The site meter.
        if t >= next_read {
            next_read = t + c.meter_ms[0];
            if !c.silent(t) {
                let mut load = c.other(t);
                for &i in &beneath[metered] {
                    let s = supply(i, draw[i]);
                    (0..3).for_each(|ph| load[ph] += s[ph]);
                }
                let lat = c.meter_ms[1] + mix(c.seed ^ t) % (c.meter_ms[2] + 1);
                let at = (t + lat).max(queue.back().map_or(0, |q| q.0));
                queue.push_back((
                    at,
                    SiteReading {
                        load_ma: load,
                        measured_ms: t,
                    },
                ));
            }
        }
        while let Some(&(at, r)) = queue.front()
            && at <= t
        {
            nin[metered].site = Some(r);
            queue.pop_front();
        }
        let state = State {
            station: &mut station,
            points: &mut points,
            nodes: &mut nodes,
            site: SiteState {
                points: &mut point_sites,
                nodes: &mut node_sites,
            },
            work: Work {
                points: &mut work,
                nodes: &mut nwork,
                station: &mut swork,
            },
        };
        let inputs = Inputs {
            station: StationInputs::default(),
            points: &pin,
            nodes: &nin,
        };
        let outputs = Outputs {
            station: &mut so,
            points: &mut out,
        };
        step(&cfg.view(), state, &inputs, t, outputs).map_err(|e| e.to_string())?;

        let reading = nin[metered].site;
        let fresh = reading.is_some_and(|r| r.measured_ms <= t && t - r.measured_ms <= validity);
        let count = |o: &PointOutput, ph: usize| {
            let none = o.alloc_ma.iter().all(|a| *a == 0);
            let offer = if none || o.alloc_ma[ph] > 0 {
                o.signal_ma
            } else {
                0
            };
            o.alloc_ma[ph].max(offer)
        };
        if fresh {
            let r = reading.unwrap();
            // (b) applies only when no EV beneath the meter changed its draw since the reading was
            // measured: then the reading less the points' present currents is the true other load
            // at that time, and core may not count less.
            let steady = beneath[metered].iter().all(|&i| since[i] <= r.measured_ms);
            let truth = c.other(r.measured_ms);
            seen(0);
            if steady {
                seen(1);
            }
            for n in 0..nn {
                let other = node_sites[n].other_ma();
                let m = if n == metered { margin } else { 0 };
                for ph in 0..3 {
                    let sum: u32 = beneath[n].iter().map(|&i| count(&out[i], ph)).sum();
                    let limit = ncfg[n].limit_ma[ph];
                    if sum > limit.saturating_sub(other[ph]).saturating_sub(m) {
                        return Err(format!(
                            "LB-1/LB-14 at {t} ms, node {n} L{}: points {sum} + other {} + margin \
                             {m} > limit {limit}",
                            ph + 1,
                            other[ph]
                        ));
                    }
                    if n == metered
                        && steady
                        && sum > limit.saturating_sub(truth[ph]).saturating_sub(m)
                    {
                        return Err(format!(
                            "LB-14 at {t} ms L{}: points {sum} + true other {} (at {} ms) + margin \
                             {m} > limit {limit}; core counts {}",
                            ph + 1,
                            truth[ph],
                            r.measured_ms,
                            other[ph]
                        ));
                    }
                }
            }
        }
        // (c) LB-6: no stop within the minimum run time, unless allowed.
        for i in 0..np {
            let (was, is) = (prev[i].allocation_ma > 0, out[i].allocation_ma > 0);
            if !was && is {
                started[i] = t;
                seen(2);
            }
            if !was || is || t - started[i] >= u64::from(tm.min_run_ms) {
                continue;
            }
            let forced = pin[i].vehicle != VehicleState::C
                || out[i]
                    .flags
                    .intersects(PointFlags::EV_OVERCURRENT | PointFlags::FAULT);
            let stale = !fresh || !was_fresh;
            // LB-1 break: on a node and phase it loaded, the minimums of the points that ran
            // before the stop exceed the new headroom.
            let min_of = |o: &PointOutput| match o.alloc_ma.iter().filter(|a| **a > 0).count() {
                1 => th.min_1ph_ma,
                _ => th.min_3ph_ma,
            };
            let lb1 = (0..nn).filter(|n| beneath[*n].contains(&i)).any(|n| {
                (0..3).filter(|ph| prev[i].alloc_ma[*ph] > 0).any(|ph| {
                    let need: u32 = (beneath[n].iter())
                        .filter(|&&j| prev[j].alloc_ma[ph] > 0)
                        .map(|&j| min_of(&prev[j]))
                        .sum();
                    need > nodes[n].limit_ma()[ph]
                })
            });
            seen(3);
            if !(forced || stale || lb1) {
                return Err(format!(
                    "LB-6 at {t} ms: point {i} started at {} ms stopped ({:?}) before its minimum \
                     run {} ms with no LB-1 break; before {:?}, now {:?}",
                    started[i], out[i].reason, tm.min_run_ms, prev[i].alloc_ma, out[i].alloc_ma
                ));
            }
        }
        was_fresh = fresh;
        if !fresh {
            seen(4);
        }
        // The EVs follow (reductions at once, rises by their ramp from the next sample).
        for i in 0..np {
            let o = &out[i];
            want[i] = if o.contactor {
                o.signal_ma.min(c.points[i].ev_max_ma)
            } else {
                0
            };
            if draw[i] > want[i] {
                draw[i] = want[i];
            }
        }
        t += period;
    }
    Ok(())
}

/// Proves LB-14, LB-1 and LB-6 over random site-load traces (steps, ramps, dips, meter silences,
/// latencies) on random small configurations (1–8 points under a metered station, optional tree
/// above, random margin, start threshold, timers and rotation): in every step where the meter is
/// fresh, every node and phase holds the points' count plus core's other load (plus the margin
/// on the metered node) within its configured limit, and within the limit less the true other
/// load whenever no EV changed its draw since the reading was measured; and no point is stopped
/// within its minimum run time unless the meter is stale, the EV left or faulted, or the
/// minimums of the points running before the stop exceeded the new headroom (an LB-1 break).
#[test]
fn lb14_lb1_lb6_random_site_traces() {
    let cases = common::proptest_cases(256);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/site_and_rotation.txt",
            ),
        )),
        max_shrink_iters: 300,
        ..ProptestConfig::default()
    });
    let result = runner.run(&case(), |c| {
        run_case(&c).map_err(proptest::test_runner::TestCaseError::fail)
    });
    let n = SEEN
        .each_ref()
        .map(|a| a.load(std::sync::atomic::Ordering::Relaxed));
    eprintln!(
        "{cases} cases: {} fresh steps ({} steady), {} starts, {} early stops, {} stale steps",
        n[0], n[1], n[2], n[3], n[4]
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
