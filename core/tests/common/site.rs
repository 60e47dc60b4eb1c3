//! Helpers shared by the site-meter and rotation scenario tests (`site_meter.rs`, `rotation.rs`):
//! the 32 A three-phase point, a minute, and `Runs`, a record of every point's runs, sheds
//! (LB-5) and charging time (LB-13) over a scenario.

use super::Scenario;
use loadpilot_core::{AllocReason, PointConfig};

pub const P32: PointConfig = PointConfig::three_phase(0, 32_000);
pub const MIN: u64 = 60_000;

/// Every point's runs (allocation > 0) and charging time over a scenario.
#[derive(Debug, Default)]
pub struct Runs {
    pub open: Vec<Option<u64>>,
    /// Per point: (start, stop) of every finished run.
    pub done: Vec<Vec<(u64, u64)>>,
    pub charged_ms: Vec<u64>,
    /// (time, point) of every shed (a stop with reason Shed).
    pub sheds: Vec<(u64, usize)>,
    /// Per shed: the sum of the minimums of the points that ran in the step before (mA).
    pub need: Vec<u32>,
}

impl Runs {
    pub fn new(points: usize) -> Self {
        Runs {
            open: vec![None; points],
            done: vec![Vec::new(); points],
            charged_ms: vec![0; points],
            sheds: Vec::new(),
            need: Vec::new(),
        }
    }

    /// Steps `s` up to `t_ms`, recording.
    pub fn run<const P: usize, const N: usize>(&mut self, s: &mut Scenario<P, N>, t_ms: u64) {
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
    pub fn starts(&self, p: usize) -> Vec<u64> {
        let mut v: Vec<u64> = self.done[p].iter().map(|r| r.0).collect();
        v.extend(self.open[p]);
        v
    }
}
