//! Callgrind driver: runs one benchmark case so that `benches/callgrind.sh` can count the
//! instructions of its measured calls.
//!
//! ```text
//! case CASE POINTS EPISODES
//!   CASE = steady | shed | plugin | trip | noisy
//!                                          EPISODES windows of 50 steps each (benches/benches/site.rs)
//!        | config                          EPISODES validations of the POINTS site (Config::new)
//!        | duty | cp | pp                  EPISODES × 64 calls of the pure function (POINTS unused)
//!        | info                            settle time and charging points of every case at POINTS
//!                                          (with CASE_VERBOSE=1: the first 16 points' outputs)
//! ```
//!
//! Only the `measured_*` functions are meant to be counted (`--toggle-collect='*measured_*'`):
//! set-up, settling and the snapshot restore between windows are not. The script differences two
//! runs of different EPISODES, so whatever the toggle leaves in cancels out too.
#[path = "../benches/site.rs"]
mod site;

use loadpilot_core::{
    Config, NodeConfig, PointConfig, RawConfig, VehicleState, cp, cp::CableStatus,
    pilot::duty_permille,
};
use site::{Case, Prepared, WINDOW};
use std::hint::black_box;

#[inline(never)]
fn measured_config(raw: RawConfig<&[PointConfig], &[NodeConfig]>) -> bool {
    Config::new(black_box(raw)).is_ok()
}

#[inline(never)]
fn measured_duty(ma: u32) -> Option<u16> {
    duty_permille(black_box(ma))
}

#[inline(never)]
fn measured_cp(mv: i32, believed: VehicleState) -> VehicleState {
    cp::classify(black_box(mv), black_box(believed))
}

#[inline(never)]
fn measured_pp(ohm: u32) -> CableStatus {
    CableStatus::of(black_box(ohm))
}

/// 64 inputs spread over the whole range of each pure function.
fn sweep(lo: i64, hi: i64) -> impl Iterator<Item = i64> {
    (0..64).map(move |k| lo + (hi - lo) * k / 63)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("steady");
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let episodes: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut sink = 0u64;
    match what {
        "info" => {
            for case in Case::ALL {
                let p = Prepared::new(case, n);
                let (before, after, repeated) = p.replayed();
                println!(
                    "{:7} {n:5} points: settled after {:6} steps; charging {before:5} -> {after:5} over {WINDOW} steps, {repeated:2} of them repeated",
                    case.name(),
                    p.settle_steps
                );
                if std::env::var_os("CASE_VERBOSE").is_some() {
                    let mut work = p.work();
                    p.replay(&mut work);
                    for (i, o) in work.out.iter().enumerate().take(16) {
                        println!(
                            "  p{i:<3} alloc {:6} signal {:6} {:?} contactor {} {:?} node {} {:?}",
                            o.allocation_ma,
                            o.signal_ma,
                            o.pilot,
                            o.contactor,
                            o.reason,
                            o.reason_node,
                            o.status
                        );
                    }
                    println!("  errors {:?}", work.station_out.errors);
                }
            }
        }
        "config" => {
            let raw = site::raw_config(n);
            let borrowed = site::borrowed(&raw);
            for _ in 0..episodes {
                sink += u64::from(measured_config(borrowed.clone()));
            }
        }
        "duty" => {
            for _ in 0..episodes {
                for ma in sweep(0, 90_000) {
                    sink += u64::from(measured_duty(ma as u32).unwrap_or(0));
                }
            }
        }
        "cp" => {
            for _ in 0..episodes {
                for mv in sweep(-14_000, 14_000) {
                    sink += measured_cp(mv as i32, VehicleState::B) as u64;
                }
            }
        }
        "pp" => {
            for _ in 0..episodes {
                for ohm in sweep(0, 6_000) {
                    sink += measured_pp(ohm as u32) as u64;
                }
            }
        }
        name => {
            let case = Case::parse(name).unwrap_or_else(|| panic!("unknown case {name}"));
            let p = Prepared::new(case, n);
            let mut work = p.work();
            for _ in 0..episodes {
                p.replay(&mut work);
            }
            sink = work.out.iter().map(|o| u64::from(o.allocation_ma)).sum();
        }
    }
    println!("{sink}");
}
