//! Tests of the memo of a point's step: its comparisons see every field of the state and the
//! inputs that the preparation reads.

use super::*;
use crate::io::{CpReading, SetPoint};
use crate::session::{Badge, BadgeKind, LastError, OutletStatus, Remote};
use crate::state::{Run, Stamp};
use crate::types::{Commands, VehicleState};
use proptest::prelude::*;

/// Each of these changes one field of a `PointState`, every field once, in the order of
/// the struct, with the name of the field.
type StateChange = (&'static str, fn(&mut PointState));
const STATE_CHANGES: [StateChange; 31] = [
    ("bits", |p| p.bits ^= 1 << 7),
    ("energy", |p| p.energy.mwh ^= 1),
    ("meter_last", |p| p.meter_last ^= 1),
    ("alloc_ma", |p| p.alloc_ma ^= 1),
    ("offer_ma", |p| p.offer_ma ^= 1),
    ("offer_high_ma", |p| p.offer_high_ma ^= 1),
    ("session_id", |p| p.session_id ^= 1),
    ("sess_since", |p| p.sess_since.0 ^= 1),
    ("since", |p| p.since.0 ^= 1),
    ("last_rise", |p| p.last_rise.0 ^= 1),
    ("idle_since", |p| p.idle_since.0 ^= 1),
    ("phase_since", |p| p.phase_since.0 ^= 1),
    ("over_since", |p| p.over_since.0 ^= 1),
    ("pwm_off_at", |p| p.pwm_off_at.0 ^= 1),
    ("c_since", |p| p.c_since.0 ^= 1),
    ("pwm_since", |p| p.pwm_since.0 ^= 1),
    ("cand_since", |p| p.cand_since.0 ^= 1),
    ("diode_since", |p| p.diode_since.0 ^= 1),
    ("wake_at", |p| p.wake_at.0 ^= 1),
    ("f_at", |p| p.f_at.0 ^= 1),
    ("opened_at", |p| p.opened_at.0 ^= 1),
    ("weld_since", |p| p.weld_since.0 ^= 1),
    ("offer_high_at", |p| p.offer_high_at.0 ^= 1),
    ("cand", |p| p.cand = other_vehicle(p.cand)),
    ("vehicle", |p| p.vehicle = other_vehicle(p.vehicle)),
    ("status", |p| {
        p.status = if p.status == OutletStatus::InitDone {
            OutletStatus::ChargeLoopStarted
        } else {
            OutletStatus::InitDone
        }
    }),
    ("last_error", |p| {
        p.last_error = if p.last_error == LastError::None {
            LastError::BadgeUnknown
        } else {
            LastError::None
        }
    }),
    ("run", |p| {
        p.run = if p.run == Run::Running {
            Run::Idle
        } else {
            Run::Running
        }
    }),
    ("phase_mode", |p| p.phase_mode ^= 1),
    ("phase_cand", |p| p.phase_cand ^= 1),
    ("spare", |p| p.spare ^= 1),
];

/// Names every field of both structs (no `..`), so that a new field stops this module from
/// compiling until it has its change in `STATE_CHANGES` or `INPUT_CHANGES`.
fn every_field_has_a_change(p: &PointState, i: &PointInputs) {
    let PointState {
        bits: _,
        energy: _,
        meter_last: _,
        alloc_ma: _,
        offer_ma: _,
        offer_high_ma: _,
        session_id: _,
        sess_since: _,
        since: _,
        last_rise: _,
        idle_since: _,
        phase_since: _,
        over_since: _,
        pwm_off_at: _,
        c_since: _,
        pwm_since: _,
        cand_since: _,
        diode_since: _,
        wake_at: _,
        f_at: _,
        opened_at: _,
        weld_since: _,
        offer_high_at: _,
        cand: _,
        vehicle: _,
        status: _,
        last_error: _,
        run: _,
        phase_mode: _,
        phase_cand: _,
        spare: _,
    } = p;
    let PointInputs {
        cp: _,
        vehicle: _,
        pp_ohm: _,
        domestic: _,
        contactor_feedback: _,
        temperature_dc: _,
        meter_mwh: _,
        reset: _,
        badge: _,
        remote: _,
        offline: _,
        lock_closed: _,
        shutter_open: _,
        authorised: _,
        vip: _,
        measured_ma: _,
        ev_limit_ma: _,
        cable_ma: _,
        setpoint: _,
        commands: _,
    } = i;
}

fn other_vehicle(v: VehicleState) -> VehicleState {
    if v == VehicleState::C {
        VehicleState::B
    } else {
        VehicleState::C
    }
}

/// Each of these changes one field of a `PointInputs`, every field once, in the order of
/// the struct; an option each way between `None` and `Some`, and from `Some` to another
/// value where the flag says to keep it.
type InputChange = (&'static str, fn(&mut PointInputs, bool));
const INPUT_CHANGES: [InputChange; 20] = [
    ("cp", |i, keep| {
        i.cp = flip(
            i.cp,
            CpReading {
                high_mv: 9_000,
                low_mv: -12_000,
            },
            keep,
            |c| CpReading {
                low_mv: c.low_mv ^ 1,
                ..c
            },
        )
    }),
    ("vehicle", |i, _| i.vehicle = other_vehicle(i.vehicle)),
    ("pp_ohm", |i, keep| {
        i.pp_ohm = flip(i.pp_ohm, 220, keep, |x| x ^ 1)
    }),
    ("domestic", |i, _| i.domestic ^= true),
    ("contactor_feedback", |i, keep| {
        i.contactor_feedback = flip(i.contactor_feedback, true, keep, |x| !x)
    }),
    ("temperature_dc", |i, keep| {
        i.temperature_dc = flip(i.temperature_dc, 250, keep, |x| x ^ 1)
    }),
    ("meter_mwh", |i, keep| {
        i.meter_mwh = flip(i.meter_mwh, 7, keep, |x| x ^ 1)
    }),
    ("reset", |i, _| i.reset ^= true),
    ("badge", |i, keep| {
        i.badge = flip(
            i.badge,
            Badge {
                id: 5,
                kind: BadgeKind::User,
                booker: false,
                cached: false,
            },
            keep,
            |b| Badge {
                cached: !b.cached,
                ..b
            },
        )
    }),
    ("remote", |i, _| {
        i.remote = if i.remote == Remote::None {
            Remote::Stop
        } else {
            Remote::None
        }
    }),
    ("offline", |i, _| i.offline ^= true),
    ("lock_closed", |i, keep| {
        i.lock_closed = flip(i.lock_closed, false, keep, |x| !x)
    }),
    ("shutter_open", |i, keep| {
        i.shutter_open = flip(i.shutter_open, true, keep, |x| !x)
    }),
    ("authorised", |i, _| i.authorised ^= true),
    ("vip", |i, _| i.vip ^= true),
    ("measured_ma", |i, keep| {
        i.measured_ma = flip(i.measured_ma, [0; 3], keep, |m| [m[0], m[1], m[2] ^ 1])
    }),
    ("ev_limit_ma", |i, keep| {
        i.ev_limit_ma = flip(i.ev_limit_ma, 16_000, keep, |x| x ^ 1)
    }),
    ("cable_ma", |i, keep| {
        i.cable_ma = flip(i.cable_ma, 20_000, keep, |x| x ^ 1)
    }),
    ("setpoint", |i, keep| {
        i.setpoint = flip(
            i.setpoint,
            SetPoint {
                current_ma: 6_000,
                received_ms: 3,
            },
            keep,
            |s| SetPoint {
                received_ms: s.received_ms ^ 1,
                ..s
            },
        )
    }),
    ("commands", |i, _| i.commands = Commands(i.commands.0 ^ 4)),
];

/// `Some(new)` for `None`; else another value where `keep`, `None` where not.
fn flip<T>(x: Option<T>, new: T, keep: bool, other: fn(T) -> T) -> Option<T> {
    match x {
        None => Some(new),
        Some(v) if keep => Some(other(v)),
        Some(_) => None,
    }
}

fn any_vehicle() -> impl Strategy<Value = VehicleState> {
    prop_oneof![
        Just(VehicleState::A),
        Just(VehicleState::B),
        Just(VehicleState::C),
        Just(VehicleState::F),
    ]
}

fn any_state() -> impl Strategy<Value = PointState> {
    (
        any::<u64>(),
        proptest::array::uniform32(0u32..4),
        (any_vehicle(), any_vehicle(), any::<bool>(), 0u8..4),
    )
        .prop_map(|(bits, v, (cand, vehicle, running, phase))| {
            let mut p = PointState::new();
            p.bits = bits;
            p.energy.mwh = u64::from(v[0]);
            p.meter_last = u64::from(v[1]);
            p.alloc_ma = v[2];
            p.offer_ma = v[3];
            p.offer_high_ma = v[4];
            p.session_id = v[5];
            for (k, s) in [
                &mut p.sess_since,
                &mut p.since,
                &mut p.last_rise,
                &mut p.idle_since,
                &mut p.phase_since,
                &mut p.over_since,
                &mut p.pwm_off_at,
                &mut p.c_since,
                &mut p.pwm_since,
                &mut p.cand_since,
                &mut p.diode_since,
                &mut p.wake_at,
                &mut p.f_at,
                &mut p.opened_at,
                &mut p.weld_since,
                &mut p.offer_high_at,
            ]
            .into_iter()
            .enumerate()
            {
                *s = Stamp(v.get(k + 6).copied().unwrap_or(0));
            }
            p.cand = cand;
            p.vehicle = vehicle;
            p.run = if running { Run::Running } else { Run::Waiting };
            p.phase_mode = phase;
            p.phase_cand = phase ^ 2;
            p
        })
}

fn any_inputs() -> impl Strategy<Value = PointInputs> {
    (proptest::array::uniform20(any::<bool>()), any::<u32>()).prop_map(|(set, x)| {
        let mut i = PointInputs::DEFAULT;
        // Each change from the default once where `set` says: every option `Some`, every
        // flag set, and so on; `x` moves the values.
        for ((_, change), on) in INPUT_CHANGES.iter().zip(set) {
            if on {
                change(&mut i, true);
            }
        }
        if let Some(m) = &mut i.measured_ma {
            m[0] = x;
        }
        if let Some(c) = &mut i.cp {
            c.high_mv = i32::try_from(x % 20_000).unwrap_or(0);
        }
        i
    })
}

proptest! {
    /// The memo's comparisons (`same_state`, `same_but_readings`, `read_alike`) see a
    /// change of any one field but those they are meant to pass over (the metering's
    /// energy and meter reading and, while the offer is at its highest, the time of the
    /// highest offer; the readings), and the same value as the same, against the derived
    /// `==` of each struct; `read_alike` reads changed readings as the memo's exactly where
    /// they are within the bands around the memo's (`Bands::around`, whose own property
    /// tests hold them to what the preparation reads) or only the meter's register changed.
    #[test]
    fn the_memos_comparisons_see_every_field(p in any_state(), i in any_inputs()) {
        every_field_has_a_change(&p, &i);
        prop_assert!(same_state(&p, &p));
        for (name, change) in STATE_CHANGES {
            let mut q = p;
            change(&mut q);
            prop_assert_ne!(p, q, "{} did not change", name);
            let passed_over = matches!(name, "energy" | "meter_last")
                || (name == "offer_high_at" && p.offer_ma >= p.offer_high_ma);
            prop_assert_eq!(same_state(&p, &q), passed_over, "state field {}", name);
            prop_assert_eq!(same_state(&q, &p), passed_over, "state field {} (swapped)", name);
        }
        let g = General::for_tests();
        // A memo of `p` with inputs `i`, its bands not made yet (as a new memo has them).
        let memo = || {
            let mut q = PointWork::new().quiet;
            q.state = p;
            q.inputs = i;
            q
        };
        prop_assert!(same_but_readings(&i, &i));
        prop_assert!(read_alike(&g, &mut memo(), &i));
        for ((name, change), keep) in INPUT_CHANGES
            .into_iter()
            .flat_map(|c| [(c, true), (c, false)])
        {
            let mut j = i;
            change(&mut j, keep);
            prop_assert_ne!(i, j, "{} did not change", name);
            let reading = matches!(name, "cp" | "pp_ohm" | "measured_ma" | "meter_mwh");
            prop_assert_eq!(same_but_readings(&i, &j), reading, "input field {}", name);
            let alike = match name {
                "meter_mwh" => true,
                "cp" | "pp_ohm" | "measured_ma" => {
                    crate::readings::Bands::around(&g, &p, &i).hold(&g, &j)
                }
                _ => false,
            };
            let mut q = memo();
            prop_assert_eq!(read_alike(&g, &mut q, &j), alike, "input field {}", name);
            // Made, the bands answer the same.
            prop_assert_eq!(read_alike(&g, &mut q, &j), alike, "input field {} again", name);
        }
    }
}
