//! The world of `deadlines.rs`'s PS-1 property, which each of its two callers drives: per point
//! a scripted vehicle (pilot levels with or without the EV's diode (PS-2), cable, EV limit,
//! temperature, authorisation, VIP, badges, remote commands and decisions, resets, pauses within
//! the session (PS-4, LB-6)), the station's input 1 and the supply's external set point (EX-1);
//! an EV that draws what it is signalled (at most its maximum, sometimes more: LB-9, PS-4) on one
//! or three phases while the contactor is closed, optional contactor, lock and shutter feedback
//! that follow the commands, and a contactor that may weld (CT-1). The physical answers follow
//! the outputs a lag later, so they are inputs that change at known times.
//!
//! With what `deadlines.rs` and `deadlines_scripted.rs` share: the raw configuration's type and
//! the outputs but for the energy meter (`held`).

use super::Slices;
use loadpilot_core::{
    Badge, BadgeKind, CpReading, NodeConfig, NodeInputs, PilotOutput, PointConfig, PointInputs,
    PointOutput, RawConfig, Remote, SetPoint, Timers, VehicleState,
};

pub type Raw = RawConfig<Vec<PointConfig>, Vec<NodeConfig>>;

/// One change of the script, at a time of its own.
#[derive(Clone, Copy, Debug)]
pub enum Act {
    Vehicle(usize, VehicleState),
    /// The EV pauses in B for this many ms, then asks again (C): a stop within the session and
    /// its minimum pause (PS-4, LB-6). Generated only: the script has the two changes.
    Pause(usize, u64),
    /// The EV's diode: `false` reads 0 V as the low level (PS-2).
    Diode(usize, bool),
    Pp(usize, Option<u32>),
    EvMax(usize, u32),
    /// Drawn above the signal (LB-9, PS-4).
    Extra(usize, u32),
    Temperature(usize, Option<i16>),
    Authorised(usize, bool),
    Vip(usize, bool),
    /// The contactor welds: current and feedback stay when it is commanded open (CT-1).
    Weld(usize, bool),
    /// Given in the step at the change's time only (as are badges).
    Remote(usize, Remote),
    Badge(usize, BadgeKind),
    Reset(usize),
    In1(bool),
    /// The supply's external set point, received now (EX-1); `None`: no longer sent.
    Supply(Option<u32>),
}

#[derive(Clone, Copy, Debug)]
pub struct PointSpec {
    pub three: bool,
    pub rated_ma: u32,
    pub wiring: usize,
    /// The EV draws on one phase only.
    pub single_ev: bool,
    pub meas: bool,
    pub feedback: bool,
    pub lock_sensor: bool,
    pub shutter_sensor: bool,
    /// ms from a change of the outputs to the world's answer.
    pub lag: u64,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub family: u8,
    /// Where badges are checked (`AuthLocation`, 0..4).
    pub auth: u8,
    pub in1: u8,
    pub external: bool,
    pub session_lock: bool,
    pub session_shutter: bool,
    pub rotation: Option<u32>,
    pub supply_ma: u32,
    pub station_ma: u32,
    pub timers: Timers,
    pub session_ms: [u32; 5],
    pub points: Vec<PointSpec>,
    pub start_ms: u64,
    pub duration_ms: u64,
    pub script: Vec<(u64, Act)>,
}

/// What the world answers to a point's outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Answer {
    /// The pilot shows PWM: the low level (PS-2) is there to read.
    pwm: bool,
    draw_ma: u32,
    feedback: Option<bool>,
    lock: Option<bool>,
    shutter: Option<bool>,
}

#[derive(Clone, Debug)]
struct PointWorld {
    spec: PointSpec,
    vehicle: VehicleState,
    diode: bool,
    pp: Option<u32>,
    ev_max: u32,
    extra: u32,
    temperature: Option<i16>,
    authorised: bool,
    vip: bool,
    welded: bool,
    now: Answer,
    next: Option<(u64, Answer)>,
}

/// One caller's world: the script, and the answers to this caller's outputs.
#[derive(Clone, Debug)]
pub struct World {
    points: Vec<PointWorld>,
    in1: bool,
    supply: Option<SetPoint>,
    /// The next script entry not yet applied.
    at: usize,
}

impl World {
    pub fn new(c: &Case) -> World {
        let points = c
            .points
            .iter()
            .map(|s| PointWorld {
                spec: *s,
                vehicle: VehicleState::A,
                diode: true,
                pp: None,
                ev_max: 32_000,
                extra: 0,
                temperature: None,
                authorised: true,
                vip: false,
                welded: false,
                now: Answer {
                    pwm: false,
                    draw_ma: 0,
                    feedback: s.feedback.then_some(false),
                    lock: s.lock_sensor.then_some(false),
                    shutter: s.shutter_sensor.then_some(false),
                },
                next: None,
            })
            .collect();
        World {
            points,
            in1: false,
            supply: None,
            at: 0,
        }
    }

    /// The inputs at `now` (after the changes up to it) into `m`.
    pub fn inputs(&mut self, c: &Case, now: u64, m: &mut Slices) {
        let mut once: Vec<Act> = Vec::new();
        while let Some(&(t, a)) = c.script.get(self.at) {
            if c.start_ms + t > now {
                break;
            }
            self.at += 1;
            match a {
                Act::Vehicle(k, v) => self.points[k].vehicle = v,
                Act::Pause(..) => unreachable!("expanded when the script is made"),
                Act::Diode(k, d) => self.points[k].diode = d,
                Act::Pp(k, r) => self.points[k].pp = r,
                Act::EvMax(k, ma) => self.points[k].ev_max = ma,
                Act::Extra(k, ma) => self.points[k].extra = ma,
                Act::Temperature(k, t) => self.points[k].temperature = t,
                Act::Authorised(k, a) => self.points[k].authorised = a,
                Act::Vip(k, v) => self.points[k].vip = v,
                Act::Weld(k, w) => self.points[k].welded = w,
                Act::In1(closed) => self.in1 = closed,
                Act::Supply(ma) => {
                    self.supply = ma.map(|current_ma| SetPoint {
                        current_ma,
                        received_ms: now,
                    })
                }
                Act::Remote(..) | Act::Reset(_) | Act::Badge(..) => {
                    // Given in the step at the change's time only (a later step of the lazy
                    // caller is at a later time).
                    if c.start_ms + t == now {
                        once.push(a);
                    }
                }
            }
        }
        for (pw, pi) in self.points.iter_mut().zip(m.inputs.iter_mut()) {
            if let Some((t, a)) = pw.next
                && t <= now
            {
                pw.now = a;
                pw.next = None;
            }
            let high_mv = match pw.vehicle {
                VehicleState::A => 12_000,
                VehicleState::B => 9_000,
                VehicleState::C => 6_000,
                VehicleState::D => 3_000,
                VehicleState::E => 0,
                VehicleState::F => -12_000,
                VehicleState::Unknown => 14_500,
            };
            // An EV that leaves C (or D) stops drawing at once; one that unplugs cannot draw.
            let d = if matches!(pw.vehicle, VehicleState::C | VehicleState::D) {
                pw.now.draw_ma
            } else {
                0
            };
            *pi = PointInputs {
                cp: Some(CpReading {
                    high_mv,
                    // Without PWM there is no low level: a reading of none is as good as any.
                    low_mv: if pw.now.pwm && !pw.diode { 0 } else { -12_000 },
                }),
                pp_ohm: pw.pp,
                contactor_feedback: pw.now.feedback,
                temperature_dc: pw.temperature,
                lock_closed: pw.now.lock,
                shutter_open: pw.now.shutter,
                authorised: pw.authorised,
                vip: pw.vip,
                measured_ma: pw.spec.meas.then_some(if pw.spec.single_ev {
                    [d, 0, 0]
                } else {
                    [d; 3]
                }),
                ev_limit_ma: Some(pw.ev_max),
                ..PointInputs::default()
            };
        }
        for a in once {
            match a {
                Act::Remote(k, r) => m.inputs[k].remote = r,
                Act::Reset(k) => m.inputs[k].reset = true,
                Act::Badge(k, kind) => {
                    m.inputs[k].badge = Some(Badge {
                        id: 1 + k as u32,
                        kind,
                        booker: false,
                        cached: false,
                    })
                }
                _ => {}
            }
        }
        m.station_inputs.in1_closed = self.in1;
        m.node_inputs[0] = NodeInputs {
            setpoint: self.supply,
            site: None,
        };
    }

    /// The world's answers to the outputs of the step at `now`, due a lag later.
    pub fn answer(&mut self, outputs: &[PointOutput], now: u64) {
        for (pw, o) in self.points.iter_mut().zip(outputs) {
            let charging = matches!(pw.vehicle, VehicleState::C | VehicleState::D);
            let flows = o.contactor || (pw.welded && pw.now.draw_ma > 0);
            let draw_ma = if !flows {
                0
            } else if o.contactor && charging {
                o.signal_ma.min(pw.ev_max).saturating_add(pw.extra)
            } else {
                pw.now.draw_ma
            };
            let want = Answer {
                pwm: o.pilot == PilotOutput::Pwm,
                draw_ma,
                feedback: pw
                    .spec
                    .feedback
                    .then_some(o.contactor || (pw.welded && pw.now.feedback == Some(true))),
                lock: pw.spec.lock_sensor.then_some(o.lock),
                shutter: pw.spec.shutter_sensor.then_some(o.shutter_open),
            };
            let heading = pw.next.map_or(pw.now, |(_, a)| a);
            if want == pw.now {
                pw.next = None;
            } else if want != heading {
                pw.next = Some((now + pw.spec.lag, want));
            }
        }
    }

    /// The first time after `now` at which an input changes.
    pub fn next_change(&self, c: &Case, now: u64) -> u64 {
        let script = c
            .script
            .get(self.at)
            .map_or(u64::MAX, |(t, _)| c.start_ms + t);
        self.points
            .iter()
            .filter_map(|pw| pw.next.map(|(t, _)| t))
            .fold(script, u64::min)
            .max(now + 1)
    }
}

/// The outputs but for the energy meter.
pub fn held(o: &PointOutput) -> PointOutput {
    PointOutput {
        energy_mwh: 0,
        ..*o
    }
}
