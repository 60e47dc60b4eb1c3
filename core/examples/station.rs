//! A scripted two-point station, stepped every 10 ms like firmware would.
//!
//! The story: two EVs plug in and share the station's 50 A; a building management system (BMS,
//! external control EX-1) lowers the station's set point to 36 A, then to 20 A, where both
//! three-phase minimums (2 × 14 A) no longer fit and one point is shed (LB-5); then the set point
//! returns to 50 A and the shed point restarts once its minimum pause has run out (LB-6).
//!
//! One line is printed whenever an output changes: time, and for each point the pilot output,
//! the contactor, the allocation and the reason for it (LB-11).
//!
//! Run with `cargo run -p loadpilot-core --example station`.

use loadpilot_core::{
    Controller, NO_NODE, PilotOutput, PointFlags, PointOutput, SetPoint, StepInputs, VehicleState,
    two_point_station,
};

/// The caller's sample period (PS-1).
const TICK_MS: u64 = 10;
/// How long the simulated EVs take to react to the pilot (well inside the 5 s of PS-5).
const EV_LAG_MS: u64 = 1_000;
/// End of the story.
const END_MS: u64 = 180_000;

/// The BMS set point of the station node: from when (ms), how much (mA), and the story.
const SETPOINTS: [(u64, u32, &str); 4] = [
    (0, 50_000, "BMS set point 50 A"),
    (
        60_000,
        36_000,
        "BMS lowers the set point to 36 A: both points reduce",
    ),
    (
        100_000,
        20_000,
        "BMS lowers the set point to 20 A: 2 x 14 A no longer fit, one is shed",
    ),
    (
        150_000,
        50_000,
        "BMS restores 50 A: the shed point waits for its minimum pause",
    ),
];

/// A simulated EV: plugs in at `plug_ms`, asks to charge (C) once it sees PWM, and draws what
/// the pilot signals, each change `EV_LAG_MS` after the pilot changed.
struct Ev {
    plug_ms: u64,
    state: VehicleState,
    draw_ma: u32,
    /// The next (vehicle state, draw) the EV moves to, and when.
    pending: Option<(VehicleState, u32, u64)>,
}

impl Ev {
    fn new(plug_ms: u64) -> Self {
        Ev {
            plug_ms,
            state: VehicleState::A,
            draw_ma: 0,
            pending: None,
        }
    }

    /// Applies the pending reaction when it is due (before the step).
    fn tick(&mut self, now_ms: u64) {
        if self.state == VehicleState::A && now_ms >= self.plug_ms {
            self.state = VehicleState::B;
        }
        if let Some((state, draw_ma, at)) = self.pending
            && now_ms >= at
        {
            (self.state, self.draw_ma) = (state, draw_ma);
            self.pending = None;
        }
    }

    /// Reacts to what the point shows (after the step).
    fn observe(&mut self, out: &PointOutput, now_ms: u64) {
        if self.state == VehicleState::A {
            return;
        }
        if !out.contactor {
            // No current flows through an open contactor, whatever the EV wants.
            self.draw_ma = 0;
        }
        let want = if out.pilot == PilotOutput::Pwm {
            let draw = if out.contactor { out.signal_ma } else { 0 };
            (VehicleState::C, draw)
        } else {
            (VehicleState::B, 0)
        };
        let pending = self.pending.map(|(s, d, _)| (s, d));
        if want != (self.state, self.draw_ma) && pending != Some(want) {
            self.pending = Some((want.0, want.1, now_ms + EV_LAG_MS));
        } else if want == (self.state, self.draw_ma) {
            self.pending = None;
        }
    }
}

/// What one point's line shows; a line is printed when this changes.
fn point_text(o: &PointOutput) -> String {
    let pilot = match o.pilot {
        PilotOutput::Steady12V => "Steady12V".to_string(),
        PilotOutput::Pwm => format!("PWM {:>2}.{}%", o.duty_permille / 10, o.duty_permille % 10),
        PilotOutput::StateF => "StateF".to_string(),
    };
    let contactor = if o.contactor { "closed" } else { "open" };
    let amps = format!(
        "{:>2}.{} A",
        o.allocation_ma / 1000,
        o.allocation_ma % 1000 / 100
    );
    let mut reason = o.reason.to_string();
    if o.reason_node != NO_NODE {
        reason = format!("{reason} (node {})", o.reason_node);
    }
    // The reason names the binding constraint; the flag tells that LB-5 shed the point.
    if o.flags.contains(PointFlags::SHED) {
        reason.push_str(", shed");
    }
    format!("{pilot:<9} {contactor:<6} {amps} {reason:<29}")
}

/// `now_ms` as seconds with three decimals, right-aligned.
fn secs(now_ms: u64) -> String {
    format!("{:>3}.{:03} s", now_ms / 1000, now_ms % 1000)
}

fn main() -> Result<(), loadpilot_core::ConfigError> {
    // Two three-phase 32 A points under one station node; the node follows the BMS set point.
    let mut raw = two_point_station(50_000);
    raw.external_control = true;
    raw.timers.min_pause_ms = 60_000; // LB-6, the default, written out for the story
    let mut ctl = Controller::<2, 1>::new(raw)?;

    let mut evs = [Ev::new(1_000), Ev::new(10_000)];
    let mut inputs = StepInputs::<2, 1>::default();
    let mut last = String::new();
    let mut setpoint_ma = 0;

    println!("loadpilot station example: two 32 A three-phase points, station node 0");
    println!("{:>9} | {:<53} | point 2", "time", "point 1");
    for now_ms in (0..=END_MS).step_by(TICK_MS as usize) {
        // The script: the BMS refreshes its set point every step, so it never goes stale (LB-8).
        for (from_ms, ma, story) in SETPOINTS {
            if now_ms == from_ms {
                println!("{}   -- {story}", secs(now_ms));
                setpoint_ma = ma;
            }
        }
        for (k, ev) in evs.iter_mut().enumerate() {
            if now_ms == ev.plug_ms {
                println!("{}   -- EV {} plugs in", secs(now_ms), k + 1);
            }
        }
        inputs.nodes[0].setpoint = Some(SetPoint {
            current_ma: setpoint_ma,
            received_ms: now_ms,
        });
        for (ev, pi) in evs.iter_mut().zip(inputs.points.iter_mut()) {
            ev.tick(now_ms);
            pi.vehicle = ev.state;
            pi.authorised = true; // free access: no badge in this story
            pi.measured_ma = Some([ev.draw_ma; 3]);
        }

        let out = ctl.step(&inputs, now_ms);

        for (ev, o) in evs.iter_mut().zip(out.points.iter()) {
            ev.observe(o, now_ms);
        }
        let line = format!(
            "{} | {}",
            point_text(&out.points[0]),
            point_text(&out.points[1])
        );
        if line != last {
            println!("{} | {}", secs(now_ms), line.trim_end());
            last = line;
        }
    }
    Ok(())
}
