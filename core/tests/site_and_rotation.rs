//! Site-meter headroom (LB-14), no flapping under it (LB-6) and rotation under a lasting
//! shortage (LB-13): scenarios through the harness of `common/` (which checks LB-1, LB-3 and,
//! while a site meter's reading is fresh, LB-14 in every step), and one property over random
//! site-load traces.
//!
//! Times are absolute ms from the first step; every test sets the start stagger to 0.

mod common;

use common::{Ev, Scenario, Slices, mix, station};
use loadpilot_core::{
    AllocReason, Config, ConfigError, Field, NodeConfig, NodeKind, Phase, PointConfig, PointFlags,
    ProductFamily, RawConfig, Reason, ShedPriority, StationErrors,
};
use proptest::prelude::*;

const P32: PointConfig = PointConfig::three_phase(0, 32_000);
const MIN: u64 = 60_000;

type Raw<const P: usize, const N: usize> = RawConfig<[PointConfig; P], [NodeConfig; N]>;

/// One station node of `limit_ma` per phase carrying a site meter, over `P` three-phase 32 A
/// points; every other parameter at its default (margin 2 A, validity 10 s, hold 60 s).
fn metered<const P: usize>(limit_ma: u32) -> Raw<P, 1> {
    let mut raw = station(limit_ma, [P32; P]);
    raw.nodes[0].site_meter = true;
    raw
}

/// Every point's runs (allocation > 0) and charging time over a scenario.
#[derive(Debug, Default)]
struct Runs {
    open: Vec<Option<u64>>,
    /// Per point: (start, stop) of every finished run.
    done: Vec<Vec<(u64, u64)>>,
    charged_ms: Vec<u64>,
    /// (time, point) of every shed (a stop with reason Shed).
    sheds: Vec<(u64, usize)>,
    /// Per shed: the sum of the minimums of the points that ran in the step before (mA).
    need: Vec<u32>,
}

impl Runs {
    fn new(points: usize) -> Self {
        Runs {
            open: vec![None; points],
            done: vec![Vec::new(); points],
            charged_ms: vec![0; points],
            sheds: Vec::new(),
            need: Vec::new(),
        }
    }

    /// Steps `s` up to `t_ms`, recording.
    fn run<const P: usize, const N: usize>(&mut self, s: &mut Scenario<P, N>, t_ms: u64) {
        let raw = s.ctl().config().raw();
        let period = u64::from(raw.timers.sample_period_ms);
        let th = raw.thresholds;
        while s.now() + period <= t_ms {
            let need: u32 = (s.out().points.iter())
                .filter(|po| po.allocation_ma > 0)
                .map(|po| match po.alloc_ma.iter().filter(|a| **a > 0).count() {
                    1 => th.min_1ph_ma,
                    _ => th.min_3ph_ma,
                })
                .sum();
            s.step();
            let now = s.now();
            for p in 0..P {
                let on = s.point(p).allocation_ma > 0;
                match (on, self.open[p]) {
                    (true, None) => self.open[p] = Some(now),
                    (false, Some(start)) => {
                        self.open[p] = None;
                        self.done[p].push((start, now));
                        if s.point(p).reason == AllocReason::Shed {
                            self.sheds.push((now, p));
                            self.need.push(need);
                        }
                    }
                    _ => {}
                }
                if on {
                    self.charged_ms[p] += period;
                }
            }
        }
    }

    /// Every start of `p`, finished runs and the open one.
    fn starts(&self, p: usize) -> Vec<u64> {
        let mut v: Vec<u64> = self.done[p].iter().map(|r| r.0).collect();
        v.extend(self.open[p]);
        v
    }
}

// ---- LB-14 ----

/// Proves LB-14 (and LB-1 with it): a rise of the other consumers' load lowers the allocations in
/// the very step its reading arrives, and the points then count at most the limit less the
/// measured other load less the margin.
#[test]
fn lb14_site_load_rise_applies_in_the_step_the_reading_arrives() {
    let mut s = Scenario::new(metered::<2>(64_000));
    let other = |t: u64| [if t < 30_000 { 10_000 } else { 30_000 }; 3];
    s.site_meter(0, 1_000, |_| 200, other);
    s.plug(0).plug(1).at(30_190);
    // 64 − 10 − 2 = 52 A shared by two.
    s.expect_alloc(0, 26_000).expect_alloc(1, 26_000);
    assert_eq!(s.ctl().node_sites()[0].other_ma(), [10_000; 3]);
    assert_eq!(s.site_input(0).map(|r| r.measured_ms), Some(29_000));
    s.step();
    assert_eq!(s.now(), 30_200);
    assert_eq!(s.site_input(0).map(|r| r.measured_ms), Some(30_000));
    let ns = s.ctl().node_states()[0];
    assert_eq!(s.ctl().node_sites()[0].other_ma(), [30_000; 3]);
    assert_eq!(ns.limit_ma(), [32_000; 3]);
    s.expect_alloc(0, 16_000).expect_alloc(1, 16_000);
    s.expect_reason_at(0, AllocReason::NodeLimit, 0);
    let counted = s.point(0).alloc_ma[0].max(s.point(0).signal_ma)
        + s.point(1).alloc_ma[0].max(s.point(1).signal_ma);
    assert!(counted + 30_000 + 2_000 <= 64_000, "{counted}");
    s.at(40_000).expect_alloc(0, 16_000).expect_alloc(1, 16_000);
}

/// Proves LB-14 with LB-6: a point that starts is not taken for a rise of the other load: two
/// points start under a steady site load with room for both and keep running; nothing is shed.
#[test]
fn lb14_lb6_a_start_is_not_taken_for_other_load() {
    for latency in [0, 200, 700] {
        let mut s = Scenario::new(metered::<2>(64_000));
        s.site_meter(0, 1_000, move |_| latency, |_| [10_000; 3]);
        let mut runs = Runs::new(2);
        s.plug(0).plug(1);
        runs.run(&mut s, 5 * MIN);
        assert_eq!(runs.sheds, vec![], "latency {latency} ms: {:?}", runs.done);
        s.expect_alloc(0, 26_000).expect_alloc(1, 26_000);
    }
}

fn dip(from: u64, to: u64) -> impl Fn(u64) -> [u32; 3] {
    move |t| {
        [if (from..to).contains(&t) {
            10_000
        } else {
            40_000
        }; 3]
    }
}

/// Proves LB-14: a dip of the other load shorter than the hold time starts nothing and changes
/// no allocation; a dip longer than the hold time is believed exactly the hold time after its
/// first reading arrived.
#[test]
fn lb14_short_dip_starts_nothing_long_dip_after_the_hold_time() {
    // 64 − 40 − 2 = 22 A: one point runs (14 + 21 > 22), the other waits.
    let mut s = Scenario::new(metered::<2>(64_000));
    s.site_meter(0, 1_000, |_| 200, dip(60_000, 90_000));
    s.plug(0).plug(1).at(30_000);
    s.expect_alloc(0, 22_000).expect_alloc(1, 0);
    s.expect_flag(1, PointFlags::NOT_ENOUGH_ENERGY_TO_START, true);
    while s.now() < 300_000 {
        s.step();
        s.expect_alloc(0, 22_000).expect_alloc(1, 0);
    }
    // While the dip lasted the lower reading was seen but held.
    let mut s = Scenario::new(metered::<2>(64_000));
    s.site_meter(0, 1_000, |_| 200, dip(60_000, 90_000));
    s.plug(0).plug(1).at(85_000);
    assert_eq!(s.ctl().node_sites()[0].other_ma(), [40_000; 3]);

    let mut s = Scenario::new(metered::<2>(64_000));
    s.site_meter(0, 1_000, |_| 200, dip(60_000, 400_000));
    s.plug(0).plug(1);
    // The first lower reading (measured at 60 s) arrives at 60.2 s; hold 60 s.
    let t = s.until(200_000, |s| s.point(1).allocation_ma > 0);
    assert_eq!(t, 120_200);
    s.expect_alloc(1, 26_000);
    assert_eq!(s.ctl().node_sites()[0].other_ma(), [10_000; 3]);
}

/// The highest true other load (any phase) over `from..=to`, sampled every second.
fn peak<const P: usize, const N: usize>(s: &Scenario<P, N>, from: u64, to: u64) -> u32 {
    (from / 1_000..=to / 1_000)
        .flat_map(|k| s.other_load(k * 1_000))
        .max()
        .unwrap_or(0)
}

/// Proves LB-14 with LB-6: over an hour of a slowly rising, noisy site load, with EVs that
/// follow at 5–10 A/s both ways and readings every second arriving 100–300 ms late: no point is
/// stopped sooner than its minimum run after it started, no point starts again sooner than
/// minimum run + minimum pause after its previous start, and every shed is needed: the minimums of the points
/// that ran did not fit under the limit less the margin less the true other load of the last
/// hold time (an EV's ramp or a noisy reading is never taken for a lasting rise).
#[test]
fn lb14_lb6_slow_rise_over_an_hour_has_no_short_cycles() {
    let mut s = Scenario::new(metered::<3>(64_000));
    // 0 → 40 A over the hour, plus up to 2 A of noise per reading.
    let other = |t: u64| {
        let base = (40_000 * t.min(3_600_000) / 3_600_000) as u32;
        let noise = |ph: u64| (mix(t / 1_000 * 3 + ph) % 2_000) as u32;
        [base + noise(0), base + noise(1), base + noise(2)]
    };
    s.site_meter(0, 1_000, |t| 100 + mix(t) % 201, other);
    for (p, rate) in [(0, 5_000), (1, 7_500), (2, 10_000)] {
        s.ev(p, Ev::three_phase(32_000).ramp(rate));
    }
    let mut runs = Runs::new(3);
    s.plug(0).plug(1);
    runs.run(&mut s, 2 * MIN);
    s.plug(2);
    runs.run(&mut s, 10 * MIN);
    s.unplug(0);
    runs.run(&mut s, 12 * MIN);
    s.plug(0);
    runs.run(&mut s, 65 * MIN);
    let report = format!("runs {:?}, sheds {:?}", runs.done, runs.sheds);
    for p in 0..3 {
        for &(start, stop) in &runs.done[p] {
            let unplugged = p == 0 && stop == 10 * MIN + 10;
            assert!(unplugged || stop - start >= MIN, "point {p}: {report}");
        }
        for w in runs.starts(p).windows(2) {
            let replug = p == 0 && w[0] < 10 * MIN && w[1] >= 12 * MIN;
            assert!(replug || w[1] - w[0] >= 2 * MIN, "point {p}: {report}");
        }
    }
    for (&(t, p), &need) in runs.sheds.iter().zip(&runs.need) {
        let other = peak(&s, t.saturating_sub(62_000), t);
        assert!(
            need + 2_000 + other > 64_000,
            "point {p} shed at {t} ms: minimums {need} mA fit beside {other} mA; {report}"
        );
    }
    // All three ran; the load rose to 40 A: at the end one runs (64 − 42 − 2 = 20 A).
    assert!(
        runs.starts(2).first().is_some_and(|t| *t < 3 * MIN),
        "{report}"
    );
    assert_eq!(runs.sheds.len(), 2, "{report}");
    assert_eq!((0..3).filter(|p| s.point(*p).allocation_ma > 0).count(), 1);
}

/// Proves LB-14: a silent meter's last reading stays in force for its validity time; then, in
/// the very next step, the node falls back to its fail-safe headroom (default: the largest start
/// threshold beneath, 21 A), with reason SiteMeterStale and the SITE_METER_LOST bit. A meter that
/// never answered is stale from the start.
#[test]
fn lb14_silent_meter_falls_back_after_the_validity_time() {
    let mut s = Scenario::new(metered::<2>(64_000));
    s.site_meter(0, 1_000, |_| 200, |_| [10_000; 3]);
    s.plug(0).plug(1).step();
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [21_000; 3]);
    s.expect_error(StationErrors::SITE_METER_LOST, true);
    // SU-1: nothing starts at the very first step; point 0 starts at the next.
    s.step();
    s.expect_alloc(1, 0)
        .expect_reason_at(1, AllocReason::Shed, 0);
    s.at(30_000).expect_alloc(0, 26_000).expect_alloc(1, 26_000);
    s.expect_error(StationErrors::SITE_METER_LOST, false);
    // The last reading is measured at 39 s; validity 10 s.
    s.at(39_500).meter_silent(true).at(48_990);
    assert!(s.out().station.next_deadline_ms <= 49_001);
    s.at(49_000);
    assert_eq!(s.site_input(0).map(|r| r.measured_ms), Some(39_000));
    s.expect_alloc(0, 26_000).expect_alloc(1, 26_000);
    s.expect_error(StationErrors::SITE_METER_LOST, false);
    s.step();
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [21_000; 3]);
    s.expect_error(StationErrors::SITE_METER_LOST, true);
    // One point stops (both ran past their minimum run; the first started is shed).
    s.expect_alloc(0, 0)
        .expect_reason_at(0, AllocReason::Shed, 0);
    s.expect_alloc(1, 21_000);
    s.expect_reason_at(1, AllocReason::SiteMeterStale, 0);
}

/// Proves LB-14: a configured site fail-safe headroom (per phase) replaces the default while the
/// meter is stale, and the point is shared under it with reason SiteMeterStale.
#[test]
fn lb14_configured_site_fail_safe_applies_while_stale() {
    let mut raw = metered::<1>(64_000);
    raw.nodes[0].site_fail_safe_ma = Some([30_000, 24_000, 64_000]);
    let mut s = Scenario::new(raw);
    s.plug(0).at(10_000);
    assert_eq!(
        s.ctl().node_states()[0].limit_ma(),
        [30_000, 24_000, 64_000]
    );
    s.expect_alloc(0, 24_000).expect_phases(0, [24_000; 3]);
    s.expect_reason_at(0, AllocReason::SiteMeterStale, 0);
    s.expect_error(StationErrors::SITE_METER_LOST, true);
}

/// Proves LB-14: when the meter answers again, the headroom is back in the step its reading
/// arrives, counted from the new reading (no jump above the limit: the harness checks in every
/// step that the points fit under the limit less the measured other load and margin).
#[test]
fn lb14_meter_back_gives_normal_headroom_without_overshoot() {
    let mut s = Scenario::new(metered::<2>(64_000));
    let other = |t: u64| [if t < 45_000 { 10_000 } else { 20_000 }; 3];
    s.site_meter(0, 1_000, |_| 200, other);
    s.plug(0).plug(1).at(39_500).meter_silent(true).at(59_990);
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [21_000; 3]);
    s.expect_alloc(0, 0).expect_alloc(1, 21_000);
    // The next reading is measured at 60 s and arrives at 60.2 s.
    s.meter_silent(false).at(60_190);
    s.expect_error(StationErrors::SITE_METER_LOST, true);
    s.step();
    assert_eq!(s.now(), 60_200);
    s.expect_error(StationErrors::SITE_METER_LOST, false);
    let ns = s.ctl().node_states()[0];
    // 20 A of other load (the reading less point 1's 21 A), margin 2 A.
    assert_eq!(s.ctl().node_sites()[0].other_ma(), [20_000; 3]);
    assert_eq!(ns.limit_ma(), [42_000; 3]);
    // Point 1's last rise is long past: it takes its ceiling at once; point 0 is in its pause.
    s.expect_alloc(0, 0).expect_alloc(1, 32_000);
    s.expect_reason(1, AllocReason::Rated);
    // Point 0 waits for its minimum pause (stopped at 49.01 s), then both share 42 A.
    let mut runs = Runs::new(2);
    runs.run(&mut s, 200_000);
    let again = runs.starts(0);
    assert!(
        again.len() == 1 && (109_010..109_100).contains(&again[0]),
        "{again:?}"
    );
    s.expect_alloc(0, 21_000).expect_alloc(1, 21_000);
}

/// Proves LB-14: a reading stamped later than `now_ms` is stale until `now_ms` reaches it.
#[test]
fn lb14_future_stamped_reading_is_stale() {
    let mut s = Scenario::new(metered::<1>(64_000));
    s.plug(0).site_reading(0, [40_000; 3], 5_000).at(1_000);
    assert_eq!(s.ctl().node_states()[0].limit_ma(), [21_000; 3]);
    s.expect_error(StationErrors::SITE_METER_LOST, true);
    s.expect_alloc(0, 21_000);
    s.expect_reason_at(0, AllocReason::SiteMeterStale, 0);
    s.at(4_990);
    s.expect_error(StationErrors::SITE_METER_LOST, true);
    s.expect_reason(0, AllocReason::SiteMeterStale);
    s.at(5_000);
    s.expect_error(StationErrors::SITE_METER_LOST, false);
    // The first reading counts: 40 A less at most point 0's 21 A is other load (core may count
    // point 0 as 0 before its first reading, the conservative choice): 22 A ..= 43 A.
    let limit = s.ctl().node_states()[0].limit_ma();
    assert!((22_000..=43_000).contains(&limit[0]), "{limit:?}");
    assert!(limit.iter().all(|l| *l == limit[0]), "{limit:?}");
    assert_ne!(s.point(0).reason, AllocReason::SiteMeterStale);
}

/// Proves LB-14: the configuration refuses a site fail-safe headroom above its node's limit (per
/// phase), and a site meter beneath another one; sibling meters and a fail-safe equal to the
/// limit are accepted.
#[test]
fn lb14_config_refuses_fail_safe_above_limit_and_nested_meters() {
    let mut raw = metered::<1>(64_000);
    raw.nodes[0].limit_ma = [64_000, 40_000, 64_000];
    raw.nodes[0].site_fail_safe_ma = Some([64_000, 40_001, 0]);
    let want = ConfigError {
        field: Field::SiteFailSafe {
            node: 0,
            phase: Phase::L2,
        },
        reason: Reason::AboveLimit {
            value: 40_001,
            limit: 40_000,
        },
    };
    assert_eq!(Config::new(raw.clone()).err(), Some(want));
    raw.nodes[0].site_fail_safe_ma = Some([64_000, 40_000, 0]);
    assert!(Config::new(raw).is_ok());

    // supply 0 → circuit 1 → stations 2 and 3.
    let nodes = [
        NodeConfig::new(None, NodeKind::Supply, 200_000),
        NodeConfig::new(Some(0), NodeKind::Circuit, 100_000),
        NodeConfig::station(Some(1), 64_000),
        NodeConfig::station(Some(1), 64_000),
    ];
    let points = [
        PointConfig::three_phase(2, 32_000),
        PointConfig::three_phase(3, 32_000),
    ];
    let tree = |metered: &[usize]| {
        let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
        metered.iter().for_each(|n| raw.nodes[*n].site_meter = true);
        Config::new(raw).err()
    };
    let nested = |node, above| ConfigError {
        field: Field::SiteMeter { node },
        reason: Reason::NestedSiteMeter { above },
    };
    assert_eq!(tree(&[0, 2]), Some(nested(2, 0)));
    assert_eq!(tree(&[1, 3]), Some(nested(3, 1)));
    assert_eq!(tree(&[0, 1]), Some(nested(1, 0)));
    assert_eq!(tree(&[2, 3]), None);
    assert_eq!(tree(&[0]), None);
}

// ---- LB-6 under a site meter ----

/// Other load giving a metered 64 A node (margin 2 A) exactly `headroom` mA.
fn load_for(headroom: u32) -> [u32; 3] {
    [64_000 - 2_000 - headroom; 3]
}

/// Proves LB-6 (with LB-14): under a site-metered node a waiting point, and later a shed point
/// past its minimum pause, starts only when its start threshold fits over the running minimums:
/// 150 % of the minimum by default (21 A), and the configured ratio (120 %: 16.8 A).
#[test]
fn lb6_start_threshold_under_a_site_meter() {
    for (permille, thr) in [(1_500u32, 21_000u32), (1_200, 16_800)] {
        let mut raw = metered::<2>(64_000);
        raw.thresholds.start_threshold_permille = permille;
        raw.timers.site_meter_hold_ms = 0;
        let mut s = Scenario::new(raw);
        let other = move |t: u64| match t {
            0..20_000 => load_for(14_000 + thr - 1),
            20_000..100_000 => load_for(14_000 + thr),
            100_000..110_000 => load_for(27_999),
            110_000..250_000 => load_for(14_000 + thr - 1),
            _ => load_for(14_000 + thr),
        };
        s.site_meter(0, 1_000, |_| 0, other);
        let mut runs = Runs::new(2);
        s.plug(0).plug(1);
        runs.run(&mut s, 19_990);
        assert_eq!(runs.starts(1), Vec::<u64>::new(), "{permille} ‰");
        s.expect_reason_at(1, AllocReason::Shed, 0);
        runs.run(&mut s, 100_000);
        let started = runs.starts(1);
        assert!(
            started.len() == 1 && (20_000..=20_050).contains(&started[0]),
            "{permille} ‰: point 1 started at {started:?}"
        );
        // At 100 s the minimums (28 A) no longer fit: the first started (point 0) is shed.
        runs.run(&mut s, 300_000);
        assert_eq!(runs.sheds, vec![(100_000, 0)], "{permille} ‰");
        let restarted = runs.starts(0)[1..].to_vec();
        assert!(
            restarted.len() == 1 && (250_000..=250_050).contains(&restarted[0]),
            "{permille} ‰: point 0 restarted at {restarted:?}"
        );
    }
}

/// Proves LB-6: the minimum pause is configuration: a shed point waits exactly that long before
/// it starts again, although the headroom is back a second after the shed.
#[test]
fn lb6_minimum_pause_is_configuration() {
    for pause in [25_000u32, 60_000, 90_000] {
        let mut raw = metered::<2>(64_000);
        raw.timers.min_pause_ms = pause;
        raw.timers.site_meter_hold_ms = 0;
        let mut s = Scenario::new(raw);
        let other = |t: u64| {
            load_for(if (100_000..101_000).contains(&t) {
                27_000
            } else {
                52_000
            })
        };
        s.site_meter(0, 1_000, |_| 0, other);
        let mut runs = Runs::new(2);
        s.plug(0).plug(1);
        runs.run(&mut s, 100_000 + u64::from(pause) - 10);
        // Both started at 0 ms: the higher index is shed.
        assert_eq!(runs.sheds, vec![(100_000, 1)], "pause {pause}");
        s.expect_reason(1, AllocReason::MinimumPause);
        runs.run(&mut s, 300_000);
        let again = runs.starts(1)[1];
        assert_eq!(again, 100_000 + u64::from(pause), "pause {pause}");
    }
}

/// Proves LB-6: the minimum run time is configuration. With priority "energy delivered", point 0
/// (started at 50 s, more energy) and point 1 (started at 0 s, its EV draws 10 A) must lose one
/// at 100 s: with a 60 s minimum run point 1 is past it and point 0 is not, so point 1 is shed
/// (the young point is kept although it delivered more); with 120 s both are young and the
/// priority sheds point 0.
#[test]
fn lb6_minimum_run_is_configuration() {
    for (run, shed) in [(60_000u32, 1usize), (120_000, 0)] {
        let mut raw = metered::<2>(64_000);
        raw.timers.min_run_ms = run;
        raw.shed_priority = ShedPriority::EnergyDelivered;
        let mut s = Scenario::new(raw);
        s.site_meter(
            0,
            1_000,
            |_| 0,
            |t| load_for(if t < 100_000 { 52_000 } else { 22_000 }),
        );
        s.ev(1, Ev::three_phase(10_000));
        let mut runs = Runs::new(2);
        s.plug(1);
        runs.run(&mut s, 50_000);
        s.plug(0);
        runs.run(&mut s, 99_990);
        assert!(s.point(0).energy_mwh > s.point(1).energy_mwh);
        runs.run(&mut s, 130_000);
        assert_eq!(runs.sheds, vec![(100_000, shed)], "min run {run}");
        s.expect_alloc(1 - shed, 22_000);
    }
}

// ---- LB-13 ----

/// Three 32 A points on a 40 A station: room for two (14 + 21 fits, 14 + 14 + 21 does not).
/// The time of the second step (one sample period): SU-1 starts nothing at the first.
fn second_step<const P: usize, const N: usize>(s: &Scenario<P, N>) -> u64 {
    u64::from(s.ctl().config().raw().timers.sample_period_ms)
}

fn crowded(rotation_ms: Option<u32>) -> Scenario<3, 1> {
    let mut raw = station(40_000, [P32; 3]);
    raw.rotation_interval_ms = rotation_ms;
    // A 40 ms period keeps the hours-long runs short (PS-1: 40 × 2 + 20 = 100 ms).
    raw.timers.sample_period_ms = 40;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).plug(2);
    s
}

/// Proves LB-13: the third point gets its turn one interval after start-up (its minimum pause
/// and the others' minimum run are over by then), replacing the one the shedding priority sheds
/// next (equal starts: the higher index), and nothing else moves.
#[test]
fn lb13_third_point_gets_its_turn_within_one_interval() {
    let mut s = crowded(Some(10 * 60_000));
    let mut runs = Runs::new(3);
    runs.run(&mut s, 10 * MIN - 40);
    assert_eq!(runs.starts(2), Vec::<u64>::new());
    s.expect_alloc(0, 20_000).expect_alloc(1, 20_000);
    runs.run(&mut s, 11 * MIN);
    assert_eq!(runs.sheds, vec![(10 * MIN, 1)]);
    let t = runs.starts(2)[0];
    assert!((10 * MIN..=10 * MIN + 200).contains(&t), "started at {t}");
    s.expect_alloc(0, 20_000)
        .expect_alloc(1, 0)
        .expect_alloc(2, 20_000);
    s.expect_reason_at(1, AllocReason::Shed, 0);
}

/// Proves LB-13 with LB-5 in one step: when a shed and a due rotation fall in the same step, the
/// point just shed is already a waiting point for the rotation (with no minimum pause it has
/// waited long enough), so it takes the place of the next point in the shedding order at once,
/// as it would one step later. (A guard on the selection's shortcut: rotation and starts are
/// skipped only when no point waits, the points shed in the step included.)
#[test]
fn lb13_lb5_a_point_shed_in_a_step_whose_rotation_is_due_is_a_candidate() {
    let mut raw = station(64_000, [P32; 3]);
    raw.external_control = true;
    raw.timers.setpoint_validity_ms = 3_600_000;
    raw.timers.min_pause_ms = 0;
    raw.timers.min_run_ms = 0;
    raw.rotation_interval_ms = Some(MIN as u32);
    let mut s = Scenario::new(raw);
    s.node_setpoint(0, 64_000)
        .plug(0)
        .plug(1)
        .plug(2)
        .at(MIN + 5_000);
    assert!((0..3).all(|p| s.point(p).allocation_ma > 21_000));
    // 40 A: the three minimums (42 A) do not fit; one point is shed, and the rotation, due
    // since 1 min, swaps it for the next in the shedding order in the same step.
    s.node_setpoint(0, 40_000).step();
    s.expect_alloc(0, 20_000);
    s.expect_reason_at(1, AllocReason::Shed, 0)
        .expect_alloc(1, 0);
    // Selected in point 1's place, point 2 waits for point 1's current to leave (LB-9).
    s.expect_reason_at(2, AllocReason::Transfer, 0)
        .expect_alloc(2, 0);
}

/// Proves LB-13: over 6 h 10 min with a 15 min interval each point's charging time differs from
/// every other's by no more than one interval; the swaps come one per interval, never two in
/// one interval, and each replaces exactly one point.
#[test]
fn lb13_long_run_shares_charging_time_one_swap_per_interval() {
    let interval = 15 * MIN;
    let mut s = crowded(Some(interval as u32));
    let mut runs = Runs::new(3);
    let end = 370 * MIN;
    runs.run(&mut s, end);
    let (lo, hi) = (
        *runs.charged_ms.iter().min().unwrap(),
        *runs.charged_ms.iter().max().unwrap(),
    );
    assert!(hi - lo <= interval, "charging times {:?}", runs.charged_ms);
    // Every point charged about two thirds of the time.
    assert!(lo >= end * 2 / 3 - interval, "{:?}", runs.charged_ms);
    let times: Vec<u64> = runs.sheds.iter().map(|s| s.0).collect();
    assert_eq!(times.len() as u64, end / interval, "sheds {:?}", runs.sheds);
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= interval,
            "two swaps at {} and {} ms",
            w[0],
            w[1]
        );
    }
    assert!(times.iter().all(|t| t % interval < 1_000), "{times:?}");
}

/// Proves LB-13: rotation is off by default: the waiting point waits for hours, nothing is shed.
#[test]
fn lb13_rotation_off_by_default() {
    let raw = RawConfig::with_defaults(
        ProductFamily::City,
        [P32; 3],
        [NodeConfig::station(None, 40_000)],
    );
    assert_eq!(raw.rotation_interval_ms, None);
    let mut s = crowded(raw.rotation_interval_ms);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 180 * MIN);
    assert_eq!(runs.starts(2), Vec::<u64>::new());
    assert_eq!(runs.sheds, vec![]);
    // SU-1: nothing starts at the very first step (every pilot shows +12 V), so at the second.
    let second = second_step(&s);
    assert_eq!(
        (runs.starts(0), runs.starts(1)),
        (vec![second], vec![second])
    );
}

/// Proves LB-13: a VIP is not rotated out for a non-VIP: the two non-VIP points take turns.
#[test]
fn lb13_vip_is_not_rotated_out() {
    let mut s = crowded(Some(10 * 60_000));
    s.vip(0, true);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 65 * MIN);
    assert_eq!(runs.starts(0), vec![second_step(&s)]);
    let shed: Vec<(u64, usize)> = runs.sheds.iter().map(|&(t, p)| (t / MIN, p)).collect();
    assert_eq!(
        shed,
        vec![(10, 1), (20, 2), (30, 1), (40, 2), (50, 1), (60, 2)]
    );
}

/// Proves LB-13: a point is rotated out only after its minimum run time: with a 5 min interval and
/// a 12 min minimum run, the swaps come at 12 min (the first), 17 min (an interval after it) and
/// when the point started just after 12 min has run 12 min (not at 22 min).
#[test]
fn lb13_rotation_waits_for_the_minimum_run() {
    let mut raw = station(40_000, [P32; 3]);
    raw.rotation_interval_ms = Some(5 * 60_000);
    raw.timers.min_run_ms = 12 * 60_000;
    let mut s = Scenario::new(raw);
    s.plug(0).plug(1).plug(2);
    let mut runs = Runs::new(3);
    runs.run(&mut s, 25 * MIN);
    let times: Vec<u64> = runs.sheds.iter().map(|s| s.0).collect();
    // The first two points start at the second step (SU-1), t0.
    let t0 = runs.starts(0)[0];
    let started = runs.starts(2)[0];
    assert!(
        (t0 + 12 * MIN..t0 + 12 * MIN + 100).contains(&started),
        "{started}"
    );
    let third = started + 12 * MIN;
    assert_eq!(
        times,
        vec![t0 + 12 * MIN, t0 + 17 * MIN, third],
        "{:?}",
        runs.sheds
    );
}

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

/// LB-14 memory through the slice API: a configuration with a site meter needs one `PointSite`
/// per point and one `NodeSite` per node, and a step without them is refused (naming the slice)
/// with nothing changed; without a site meter, empty slices do.
#[test]
fn lb14_site_memory_is_required_only_with_a_site_meter() {
    use loadpilot_core::{NodeSite, PointSite, StepError};
    let run = |metered: bool, sites: bool| {
        let mut raw = loadpilot_core::two_point_station(32_000);
        raw.nodes[0].site_meter = metered;
        let cfg = Config::new(raw).unwrap();
        let mut s = Slices::new(2, 1);
        if sites {
            s.point_site = vec![PointSite::new(); 2];
            s.node_site = vec![NodeSite::new(); 1];
        }
        let r = s.step(&cfg.view(), 1_000);
        (r, s.station.max_now_ms())
    };
    assert_eq!(run(false, false), (Ok(()), 1_000));
    assert_eq!(run(true, true), (Ok(()), 1_000));
    let (r, now) = run(true, false);
    assert_eq!(
        r,
        Err(StepError::Length {
            what: "state.site.points",
            len: 0,
            expected: 2
        })
    );
    assert_eq!(now, 0, "a refused step changes nothing");
}
