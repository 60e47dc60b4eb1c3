//! The bands around a memo's readings within which a point's preparation reads them alike
//! (`Bands`): readings that jitter within their bands keep a point on the memo of its step
//! (quiet.rs `read_alike`). What the preparation reads of its readings is written out as
//! `Sensed` (the tests' specification of the bands): `Bands` mirrors `Sensed::of` threshold by
//! threshold, a change to one is a change to the other, and the tests below hold them together.

use crate::cp::HYSTERESIS_MV;
#[cfg(test)]
use crate::cp::{CableStatus, classify, classify_raw, diode_ok};
use crate::general::General;
use crate::io::{CpReading, PointInputs};
use crate::state::PointState;

/// What a point's preparation reads of its inputs' readings, as it reads them: the pilot's
/// high level classified against the believed state and without hysteresis, its low level's diode
/// check, the proximity pin's cable status, and the measured current against each threshold the
/// preparation compares it with (the metering, which reads the values themselves, runs in every
/// step). Two inputs with the same `Sensed` and the same other fields prepare alike: readings that
/// jitter within their bands do not keep a point from its memo. (The specification the bands are
/// tested against; core itself reads the bands.)
#[cfg(test)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Sensed {
    cp: u16,
    pp: u8,
    meas: u8,
}

#[cfg(test)]
impl Sensed {
    #[inline(always)]
    pub(crate) fn of(g: &General, p: &PointState, pi: &PointInputs) -> Self {
        let th = &g.thresholds;
        let cp = pi.cp.map_or(0, |cp| {
            1 | u16::from(classify(cp.high_mv, p.vehicle) as u8) << 1
                | u16::from(classify_raw(cp.high_mv).connected()) << 4
                | u16::from(diode_ok(cp.low_mv)) << 5
        });
        let pp = pi
            .pp_ohm
            .map_or(0, |ohm| 1 | (CableStatus::of(ohm) as u8) << 1);
        let meas = pi.measured_ma.map_or(0, |m| {
            let drawn = m.iter().copied().max().unwrap_or(0);
            let tol = th.phase_tolerance_ma;
            1 | u8::from(drawn > p.offer_high_ma.saturating_add(th.overcurrent_hard_ma)) << 1
                | u8::from(drawn > p.offer_ma.saturating_add(th.overcurrent_tolerance_ma)) << 2
                | u8::from(drawn > g.protection.welded_current_ma) << 3
                | u8::from(drawn < th.idle_threshold_ma) << 4
                | u8::from(m[0] > tol) << 5
                | u8::from(m[1] > tol) << 6
                | u8::from(m[2] > tol) << 7
        });
        Sensed { cp, pp, meas }
    }
}

/// Whether two points' inputs are equal but for the readings `Sensed` stands for (the pilot's
/// levels, the proximity pin, the measured current and the meter's register).
#[inline(always)]
pub(crate) fn same_but_readings(a: &PointInputs, b: &PointInputs) -> bool {
    // Every field is named here, so that a new one cannot be forgotten (the one-byte ones,
    // `_`, in `small_fields`).
    let PointInputs {
        cp: _,
        vehicle: _,
        pp_ohm: _,
        domestic: _,
        contactor_feedback: _,
        temperature_dc,
        meter_mwh: _,
        reset: _,
        badge,
        remote: _,
        offline: _,
        lock_closed: _,
        shutter_open: _,
        authorised: _,
        vip: _,
        measured_ma: _,
        ev_limit_ma,
        cable_ma,
        setpoint,
        commands,
    } = a;
    a.small_fields() == b.small_fields()
        && *commands == b.commands
        && *temperature_dc == b.temperature_dc
        && *badge == b.badge
        && *ev_limit_ma == b.ev_limit_ma
        && *cable_ma == b.cable_ma
        && *setpoint == b.setpoint
}

/// The pilot's high level where `Sensed::of` may read x − 1 and x apart (against any believed
/// state): the ends of the bands of PS-1, and the boundaries of the A–E chain ± the hysteresis.
const HIGH_BREAKS: [i32; 16] = {
    let h = HYSTERESIS_MV;
    [
        -13_500,
        -10_500,
        -1_500,
        1_500 - h,
        1_500,
        1_500 + h,
        4_500 - h,
        4_500,
        4_500 + h,
        7_500 - h,
        7_500,
        7_500 + h,
        10_500 - h,
        10_500,
        10_500 + h,
        13_501,
    ]
};

/// The same for the low level (the diode check of PS-2).
const LOW_BREAKS: [i32; 2] = [-13_500, -10_500];

/// The same for the proximity pin's resistance (the cable bands of CAB-2).
const PP_BREAKS: [u32; 9] = [80, 141, 164, 309, 400, 937, 1_100, 2_461, 4_501];

/// Bands around a memo's readings: any readings within them (and given where those were, and
/// with the same measured phases above the phase tolerance) have the same `Sensed` against the
/// same state and configuration, so the check of a step's readings is a few comparisons. Made,
/// around the memo's inputs and against its state, by the first step whose readings differ
/// from them but are within them (quiet.rs `read_alike`), gone with the memo.
/// Each band is `[lo, hi)` between the breaks around the reading, so a reading can only be in
/// it where no break lies between it and the reading the band was made from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Bands {
    pub(crate) valid: bool,
    /// The readings given: the pilot (bit 0), the proximity pin (1), a measurement (2).
    given: u8,
    /// The measured phases above the phase tolerance (bits 0 to 2).
    phases: u8,
    high: (i32, i32),
    low: (i32, i32),
    pp: (u32, u32),
    drawn: (u32, u32),
}

/// `[lo, hi)` around `x` between the `breaks` (sorted, ascending): the last break at or below
/// `x` (else `least`) and the first above it (else `greatest`, which no reading reaches).
#[inline(always)]
fn band<T: Copy + Ord>(x: T, breaks: &[T], least: T, greatest: T) -> (T, T) {
    let mut lo = least;
    for &b in breaks {
        if b > x {
            return (lo, b);
        }
        lo = b;
    }
    (lo, greatest)
}

/// Whether a reading is given in both inputs and `f` holds for the two, or in neither.
#[inline(always)]
fn both<T>(a: Option<T>, b: Option<T>, f: impl FnOnce(T, T) -> bool) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => f(x, y),
        _ => false,
    }
}

#[inline(always)]
fn within<T: PartialOrd>(x: T, band: (T, T)) -> bool {
    band.0 <= x && x < band.1
}

/// The thresholds of the measured current (the largest phase) in `Sensed::of`, as the values
/// at which each comparison turns: above the hard over-current, above the tolerance, above the
/// welded current (turning one above each), below the idle threshold (turning at it).
#[inline(always)]
fn drawn_breaks(g: &General, p: &PointState) -> [Option<u32>; 4] {
    let th = &g.thresholds;
    [
        p.offer_high_ma
            .saturating_add(th.overcurrent_hard_ma)
            .checked_add(1),
        p.offer_ma
            .saturating_add(th.overcurrent_tolerance_ma)
            .checked_add(1),
        g.protection.welded_current_ma.checked_add(1),
        Some(th.idle_threshold_ma),
    ]
}

/// The measured phases above the phase tolerance, as bits.
#[inline(always)]
fn phases_above(m: &[u32; 3], tol: u32) -> u8 {
    u8::from(m[0] > tol) | u8::from(m[1] > tol) << 1 | u8::from(m[2] > tol) << 2
}

impl Bands {
    /// No bands (a memo's until a step makes them).
    pub(crate) const NONE: Bands = Bands {
        valid: false,
        given: 0,
        phases: 0,
        high: (0, 0),
        low: (0, 0),
        pp: (0, 0),
        drawn: (0, 0),
    };

    /// Makes these the bands around the readings of `a` (as `Bands::around`) and returns true if
    /// the readings of `b` are within them (`hold`); else returns false and leaves them not
    /// valid. Made band by band, and given up at the first band that `b`'s reading is outside
    /// of (or given where `a`'s is not, or the other way round): a point whose readings moved
    /// across a threshold (a plug-in, an EV following a new offer) pays for the bands up to the
    /// one they left only. Out of line: the usual step does not carry it.
    #[inline(never)]
    pub(crate) fn make_holding(
        &mut self,
        g: &General,
        p: &PointState,
        a: &PointInputs,
        b: &PointInputs,
    ) -> bool {
        *self = Bands::NONE;
        let bands = self;
        let holds = both(a.cp, b.cp, |ca, cb| {
            bands.given |= 1;
            bands.high = band(ca.high_mv, &HIGH_BREAKS, i32::MIN, i32::MAX);
            bands.low = band(ca.low_mv, &LOW_BREAKS, i32::MIN, i32::MAX);
            bands.cp_within(cb)
        }) && both(a.measured_ma, b.measured_ma, |ma, mb| {
            bands.given |= 4;
            let drawn = ma[0].max(ma[1]).max(ma[2]);
            let (mut lo, mut hi) = (u32::MIN, u32::MAX);
            // Each break in turn, written out (a loop over the array kept it in memory).
            let mut split = |t: Option<u32>| {
                if let Some(t) = t {
                    if t <= drawn {
                        lo = lo.max(t);
                    } else {
                        hi = hi.min(t);
                    }
                }
            };
            let [t0, t1, t2, t3] = drawn_breaks(g, p);
            split(t0);
            split(t1);
            split(t2);
            split(t3);
            bands.drawn = (lo, hi);
            bands.phases = phases_above(&ma, g.thresholds.phase_tolerance_ma);
            bands.measured_within(g, &mb)
        }) && both(a.pp_ohm, b.pp_ohm, |oa, ob| {
            bands.given |= 2;
            bands.pp = band(oa, &PP_BREAKS, u32::MIN, u32::MAX);
            bands.pp_within(ob)
        });
        bands.valid = holds;
        holds
    }

    /// The bands around the readings of `pi`, for the state `p` (whose believed pilot state and
    /// offers `Sensed::of` reads): `make_holding` of `pi` against itself, which every reading
    /// is within.
    #[cfg(test)]
    pub(crate) fn around(g: &General, p: &PointState, pi: &PointInputs) -> Bands {
        Bands::around_holding(g, p, pi, pi).unwrap_or(Bands::NONE)
    }

    /// `make_holding` as a value: the bands if `b` holds, else `None`.
    #[cfg(test)]
    pub(crate) fn around_holding(
        g: &General,
        p: &PointState,
        a: &PointInputs,
        b: &PointInputs,
    ) -> Option<Bands> {
        let mut bands = Bands::NONE;
        bands.make_holding(g, p, a, b).then_some(bands)
    }

    /// Whether `pi`'s readings are within the bands (then `Sensed::of` reads them as it read
    /// those the bands were made from, against the same state and configuration).
    #[inline(always)]
    pub(crate) fn hold(&self, g: &General, pi: &PointInputs) -> bool {
        let cp = match pi.cp {
            None => self.given & 1 == 0,
            Some(cp) => self.given & 1 != 0 && self.cp_within(cp),
        };
        let pp = match pi.pp_ohm {
            None => self.given & 2 == 0,
            Some(ohm) => self.given & 2 != 0 && self.pp_within(ohm),
        };
        let meas = match pi.measured_ma {
            None => self.given & 4 == 0,
            Some(m) => self.given & 4 != 0 && self.measured_within(g, &m),
        };
        self.valid && cp && pp && meas
    }

    /// Whether the pilot's levels are within their bands (`hold`, `make_holding`).
    #[inline(always)]
    fn cp_within(&self, cp: CpReading) -> bool {
        within(cp.high_mv, self.high) && within(cp.low_mv, self.low)
    }

    /// Whether the proximity pin's resistance is within its band.
    #[inline(always)]
    fn pp_within(&self, ohm: u32) -> bool {
        within(ohm, self.pp)
    }

    /// Whether the current drawn (the highest phase's) is within its band and the same phases
    /// are above the phase tolerance.
    #[inline(always)]
    fn measured_within(&self, g: &General, m: &[u32; 3]) -> bool {
        within(m[0].max(m[1]).max(m[2]), self.drawn)
            && phases_above(m, g.thresholds.phase_tolerance_ma) == self.phases
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::CpReading;
    use crate::types::VehicleState;
    use proptest::prelude::*;

    const BELIEVED: [VehicleState; 7] = [
        VehicleState::A,
        VehicleState::B,
        VehicleState::C,
        VehicleState::D,
        VehicleState::E,
        VehicleState::F,
        VehicleState::Unknown,
    ];

    /// Every value where `f` reads `x − 1` and `x` apart, over `range`, is in `breaks`, and the
    /// breaks are sorted.
    fn every_turn_is_a_break<T: PartialEq + core::fmt::Debug>(
        breaks: &[i64],
        range: core::ops::RangeInclusive<i64>,
        f: impl Fn(i64) -> T,
    ) {
        assert!(
            breaks.windows(2).all(|w| w[0] < w[1]),
            "{breaks:?} not sorted"
        );
        for x in range.clone().skip(1) {
            if f(x - 1) != f(x) {
                assert!(breaks.contains(&x), "{x} is a turn but no break");
            }
        }
        // Beyond the range, nothing turns: the classifications read a single band there.
        assert_eq!(f(*range.start()), f(*range.start() - 1_000_000));
        assert_eq!(f(*range.end()), f(*range.end() + 1_000_000));
    }

    /// PS-1: the high level's breaks hold every turn of the classification against each
    /// believed state, and of the classification as read (its `connected`).
    #[test]
    fn ps1_the_high_levels_breaks_are_every_turn_of_what_is_read() {
        let breaks: Vec<i64> = HIGH_BREAKS.iter().map(|&b| i64::from(b)).collect();
        for believed in BELIEVED {
            every_turn_is_a_break(&breaks, -20_000..=20_000, |x| {
                let x = i32::try_from(x).unwrap_or(if x < 0 { i32::MIN } else { i32::MAX });
                (classify(x, believed), classify_raw(x).connected())
            });
        }
    }

    /// PS-2 and CAB-2: the low level's and the proximity pin's breaks.
    #[test]
    fn ps2_cab2_the_low_levels_and_the_pins_breaks_are_every_turn() {
        let low: Vec<i64> = LOW_BREAKS.iter().map(|&b| i64::from(b)).collect();
        every_turn_is_a_break(&low, -20_000..=20_000, |x| {
            diode_ok(i32::try_from(x).unwrap_or(i32::MIN))
        });
        let pp: Vec<i64> = PP_BREAKS.iter().map(|&b| i64::from(b)).collect();
        every_turn_is_a_break(&pp, 0..=20_000, |x| {
            CableStatus::of(u32::try_from(x.max(0)).unwrap_or(u32::MAX))
        });
    }

    fn general(tol: u32, hard: u32, over: u32, welded: u32, idle: u32) -> General {
        let mut g = General::for_tests();
        g.thresholds.phase_tolerance_ma = tol;
        g.thresholds.overcurrent_hard_ma = hard;
        g.thresholds.overcurrent_tolerance_ma = over;
        g.thresholds.idle_threshold_ma = idle;
        g.protection.welded_current_ma = welded;
        g
    }

    /// The pilot's levels, the proximity pin and the measured currents, each maybe given.
    type Readings = (Option<(i32, i32)>, Option<u32>, Option<[u32; 3]>);

    /// A reading near one of the interesting values (a break, a threshold) or anywhere.
    fn near(points: Vec<i64>) -> impl Strategy<Value = i64> {
        prop_oneof![
            (prop::sample::select(points), -400i64..=400).prop_map(|(p, d)| p + d),
            -20_000i64..=80_000,
        ]
    }

    fn readings() -> impl Strategy<Value = Readings> {
        let mv: Vec<i64> = HIGH_BREAKS.iter().map(|&b| i64::from(b)).collect();
        let ohm: Vec<i64> = PP_BREAKS.iter().map(|&b| i64::from(b)).collect();
        let ma: Vec<i64> = vec![0, 300, 1_000, 16_000, 18_000, 26_000, 32_000];
        let clamp_i32 = |x: i64| i32::try_from(x.clamp(-30_000, 30_000)).unwrap_or(0);
        let clamp_u32 = |x: i64| u32::try_from(x.max(0)).unwrap_or(0);
        (
            prop::option::weighted(0.9, (near(mv.clone()), near(mv)))
                .prop_map(move |c| c.map(|(h, l)| (clamp_i32(h), clamp_i32(-l)))),
            prop::option::weighted(0.9, near(ohm)).prop_map(move |o| o.map(clamp_u32)),
            prop::option::weighted(0.9, prop::array::uniform3(near(ma)))
                .prop_map(move |m| m.map(|m| m.map(clamp_u32))),
        )
    }

    fn inputs(r: Readings) -> PointInputs {
        PointInputs {
            cp: r.0.map(|(high_mv, low_mv)| CpReading { high_mv, low_mv }),
            pp_ohm: r.1,
            measured_ma: r.2,
            ..PointInputs::DEFAULT
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// PS-1, PS-2, CAB-2, LB-9, LB-10, LB-12, CT-1: readings within the bands around
        /// readings `a` are sensed as `a` (so the memo that served `a` may serve them), and
        /// `a`'s own readings are within them.
        #[test]
        fn ps1_lb9_a_reading_within_the_bands_is_sensed_alike(
            a in readings(),
            b in readings(),
            near_a in any::<bool>(),
            d in prop::array::uniform4(-350i32..=350),
            believed in prop::sample::select(BELIEVED.to_vec()),
            offers in (0u32..40_000, 0u32..40_000),
            th in (0u32..2_000, 0u32..12_000, 0u32..4_000, 0u32..2_000, 0u32..2_000),
        ) {
            let g = general(th.0, th.1, th.2, th.3, th.4);
            let mut p = PointState::new();
            p.vehicle = believed;
            p.offer_ma = offers.0;
            p.offer_high_ma = offers.0.max(offers.1);
            let a = inputs(a);
            // `b`: `a` moved a little (each reading by its own amount), or other readings.
            let b = if near_a {
                let mut b = a;
                if let Some(cp) = &mut b.cp {
                    cp.high_mv += d[0];
                    cp.low_mv += d[1];
                }
                if let Some(o) = &mut b.pp_ohm {
                    *o = o.saturating_add_signed(d[2]);
                }
                if let Some(m) = &mut b.measured_ma {
                    for (k, x) in m.iter_mut().enumerate() {
                        *x = x.saturating_add_signed(d[3] >> k);
                    }
                }
                b
            } else {
                inputs(b)
            };
            let bands = Bands::around(&g, &p, &a);
            prop_assert!(bands.hold(&g, &a), "{a:?} not within its own bands {bands:?}");
            if bands.hold(&g, &b) {
                prop_assert_eq!(Sensed::of(&g, &p, &b), Sensed::of(&g, &p, &a));
            }
            // The check made band by band, as the memo makes it: the same answer, and where
            // `b` holds, the same bands.
            prop_assert_eq!(
                Bands::around_holding(&g, &p, &a, &b),
                bands.hold(&g, &b).then_some(bands)
            );
            prop_assert!(!Bands::NONE.hold(&g, &a));
        }

        /// LB-9, LB-10, PS-4, CT-1: a measured current on either side of a threshold of
        /// `Sensed::of` (by a few mA: the comparisons turn at one above each limit, and the idle
        /// one at its value) is not within the bands of the other side.
        #[test]
        fn lb9_lb10_a_current_across_a_threshold_is_not_within_the_bands(
            which in 0usize..4,
            below in 1u32..4,
            above in 0u32..3,
            swap in any::<bool>(),
            offers in (0u32..40_000, 0u32..40_000),
            th in (0u32..2_000, 0u32..12_000, 0u32..4_000, 4u32..2_000, 4u32..2_000),
        ) {
            let g = general(th.0, th.1, th.2, th.3, th.4);
            let mut p = PointState::new();
            p.vehicle = VehicleState::C;
            p.offer_ma = offers.0;
            p.offer_high_ma = offers.0.max(offers.1);
            // Where each comparison turns, written from `Sensed::of`'s operators.
            let turn = [
                p.offer_high_ma + th.1 + 1,
                p.offer_ma + th.2 + 1,
                th.3 + 1,
                th.4,
            ][which];
            let at = |ma: u32| PointInputs { measured_ma: Some([ma; 3]), ..PointInputs::DEFAULT };
            let (mut a, mut b) = (at(turn - below), at(turn + above));
            if swap {
                (a, b) = (b, a);
            }
            prop_assert_ne!(Sensed::of(&g, &p, &a), Sensed::of(&g, &p, &b));
            prop_assert!(!Bands::around(&g, &p, &a).hold(&g, &b));
        }
    }
}
