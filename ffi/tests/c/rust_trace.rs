//! The Rust half of the C-vs-Rust comparison (issue 5): the same scripted two-point station as
//! `trace.c`, driven through core's Rust API (`Controller`), printing the same trace: one line
//! per change of a point's outputs, one per change of the station outputs, and an FNV-1a hash
//! over every field of every step (explicit little-endian fields, STYLE.md "Tests").
//! `scripts/test` runs both and diffs them, so every output field is compared as the C
//! compiler lays out the header's structs. Numbers are core's own discriminants (`as u8`), not
//! the ffi mapping, so a wrong mapping shows too.
//!
//! Keep in step with `trace.c`: same script, same SplitMix64 draws in the same order.

use loadpilot_core::{
    Controller, CpReading, NodeInputs, PointInputs, PointOutput, SetPoint, StationOutput,
    StepInputs, two_point_station,
};

/// SplitMix64 (Steele, Lea, Flood 2014), written here so no dependency can change the stream.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// FNV-1a, 64 bit.
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for x in b {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
}

/// The station's scripted world at `t`: pilot high level and PP resistance of each point.
fn world(point: usize, t: u64) -> (i32, Option<u32>) {
    // (plug, B, C, back to B, unplug) times per point.
    let (plug, c, b, unplug) = if point == 0 {
        (1_000, 2_000, 150_000, 151_000)
    } else {
        (5_000, 6_000, 165_000, 170_000)
    };
    if t < plug || t >= unplug {
        (12_000, None)
    } else if t >= c && t < b {
        (6_000, Some(220))
    } else {
        (9_000, Some(220))
    }
}

/// The node's set point at `t` (EX-1): 40 A, 20 A from 60 s (one of two 14 A minimums is shed),
/// 40 A again from 120 s; refreshed every 10 s.
fn node_setpoint(t: u64) -> SetPoint {
    let current_ma = if (60_000..120_000).contains(&t) {
        20_000
    } else {
        40_000
    };
    SetPoint {
        current_ma,
        received_ms: t - t % 10_000,
    }
}

const END_MS: u64 = 180_000;
const STEP_MS: u64 = 10;

fn hash_point(h: &mut Fnv, o: &PointOutput) {
    for a in o.alloc_ma {
        h.u64(a.into());
    }
    for v in [
        u64::from(o.allocation_ma),
        u64::from(o.signal_ma),
        u64::from(o.duty_permille),
        o.pilot as u64,
        u64::from(o.contactor),
        o.reason as u64,
        u64::from(o.reason_node),
        u64::from(o.flags.0),
        o.energy_mwh,
        o.status as u64,
        o.last_error as u64,
        o.evse_status as u64,
        o.cable as u64,
        u64::from(o.lock),
        u64::from(o.shutter_open),
        u64::from(o.session_id),
    ] {
        h.u64(v);
    }
}

fn line(t: u64, k: usize, o: &PointOutput) -> String {
    format!(
        "t={t} p={k} alloc={},{},{} allocation={} signal={} duty={} pilot={} contactor={} \
         reason={} node={} flags={:08x} energy={} status={} last_error={} evse={} cable={} \
         lock={} shutter={} session={}",
        o.alloc_ma[0],
        o.alloc_ma[1],
        o.alloc_ma[2],
        o.allocation_ma,
        o.signal_ma,
        o.duty_permille,
        o.pilot as u8,
        u8::from(o.contactor),
        o.reason as u8,
        o.reason_node,
        o.flags.0,
        o.energy_mwh,
        o.status as u8,
        o.last_error as u8,
        o.evse_status as u8,
        o.cable as u8,
        u8::from(o.lock),
        u8::from(o.shutter_open),
        o.session_id
    )
}

/// The outputs without the energy, which changes every step while charging.
fn key(o: &PointOutput) -> PointOutput {
    PointOutput {
        energy_mwh: 0,
        ..*o
    }
}

fn main() {
    let mut raw = two_point_station(40_000);
    raw.timers.stagger_ms = 0;
    raw.external_control = true;
    let mut ctl = Controller::<2, 1>::new(raw).expect("the trace configuration is valid");
    let mut rng = SplitMix64(0x5EED_0005);
    let mut hash = Fnv(0xCBF2_9CE4_8422_2325);
    let mut prev = [PointOutput::default(); 2];
    let mut printed: [Option<PointOutput>; 2] = [None, None];
    let mut printed_station: Option<StationOutput> = None;
    let mut t = 0;
    while t <= END_MS {
        let mut inputs = StepInputs::<2, 1>::default();
        for (k, p) in inputs.points.iter_mut().enumerate() {
            let (high_mv, pp) = world(k, t);
            let noise = i32::try_from(rng.below(200)).unwrap() - 100;
            let draw = if prev[k].contactor {
                prev[k]
                    .signal_ma
                    .min(32_000)
                    .saturating_sub(u32::try_from(rng.below(300)).unwrap())
            } else {
                0
            };
            *p = PointInputs {
                cp: Some(CpReading {
                    high_mv: high_mv + noise,
                    low_mv: -12_000,
                }),
                pp_ohm: pp,
                authorised: true,
                measured_ma: Some([draw; 3]),
                ..PointInputs::default()
            };
        }
        inputs.nodes[0] = NodeInputs {
            setpoint: Some(node_setpoint(t)),
            site: None,
        };
        let out = ctl.step(&inputs, t);
        for (k, o) in out.points.iter().enumerate() {
            hash_point(&mut hash, o);
            if printed[k].is_none_or(|p| key(&p) != key(o)) {
                println!("{}", line(t, k, o));
                printed[k] = Some(*o);
            }
        }
        hash.u64(out.station.errors.0.into());
        hash.u64(out.station.next_deadline_ms);
        if printed_station.is_none_or(|s| s.errors != out.station.errors) {
            println!("t={t} station errors={:08x}", out.station.errors.0);
            printed_station = Some(out.station);
        }
        prev = out.points;
        t += STEP_MS;
    }
    println!("hash={:016x}", hash.0);
}
