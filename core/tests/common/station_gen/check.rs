//! The rules checked in every step of the simulated site (`Sim::run_step`), written from the SPEC
//! text and the brief: SU-3 (a clock fault stops everything), TREE-1/EX-1/LB-8 (the effective
//! limits), LB-12 (the phases loaded), LB-2 (the ceiling), LB-3 (0 or at least the minimum),
//! LB-10 (idle at the minimum), PS-3 (the signal and its duty), PS-7, who may have current at all
//! (EX-2, IN-2, IN-4, IN-5, LOC-1, SU-2, LB-9), PS-4 and SU-1 (the contactor), LB-1 (every node
//! and supply phase within its limit) and, when asked (`Checks::lb9`), LB-9 (a point rises only
//! by what is free under the count).

// Points, nodes and phases are parallel arrays here (configuration, inputs, outputs, the
// previous outputs): indexing them by one loop variable reads better than zipping four.
#![allow(clippy::needless_range_loop)]

use loadpilot_core::pilot::{decode_ma, duty_permille};
use loadpilot_core::{
    Input1Function, Input2Function, Location, PhaseCount, PilotOutput, PointFlags, PointOutput,
    VehicleState,
};

use super::build::config_mask;
use super::sim::{Sim, ensure, mask_of};

impl Sim {
    /// The every-step rules.
    pub fn check(&self, prev: &[PointOutput], dt: u64, clock_fault: bool) -> Result<(), String> {
        let raw = self.raw();
        let tm = &raw.timers;
        let np = raw.points.len();
        let nn = raw.nodes.len();
        let now = self.now;

        if clock_fault {
            // SU-3: everything stops.
            for (i, o) in self.out.iter().enumerate() {
                ensure!(
                    o.allocation_ma == 0 && !o.contactor && o.signal_ma == 0,
                    "SU-3: point {i} not stopped on a clock fault: {o:?}"
                );
            }
            return Ok(());
        }

        // TREE-1 / EX-1 / LB-8: the effective limits.
        let limits: Vec<[u32; 3]> = (0..nn).map(|n| self.node_limit(n)).collect();
        for (n, l) in limits.iter().enumerate() {
            ensure!(
                self.nodes[n].limit_ma() == *l,
                "EX-1/LB-8: node {n} effective limit {:?}, expected {l:?}",
                self.nodes[n].limit_ma()
            );
        }

        let protection = raw.inputs.in1 == Input1Function::ProtectionDevices && self.in1_active();
        let postponed = (raw.inputs.in1 == Input1Function::DelayedStart && self.in1_active())
            || (raw.inputs.in2 == Input2Function::ConditionalStart && !self.in2_active());
        let budget_broken =
            dt + u64::from(tm.debounce_safer_ms) + u64::from(tm.contactor_release_ms) > 100;

        for i in 0..np {
            let o = &self.out[i];
            let pc = &raw.points[i];
            let pi = &self.pin[i];
            let a = o.allocation_ma;
            let mask = mask_of(o);

            // Output shape (LB-12): the charge loads one phase or three.
            if a == 0 {
                ensure!(
                    o.alloc_ma == [0; 3],
                    "point {i}: alloc_ma {:?} with allocation 0",
                    o.alloc_ma
                );
            } else {
                for ph in 0..3 {
                    let want = if mask & (1 << ph) != 0 { a } else { 0 };
                    ensure!(
                        o.alloc_ma[ph] == want,
                        "point {i}: alloc_ma {:?} vs allocation {a}",
                        o.alloc_ma
                    );
                }
                match pc.phases {
                    PhaseCount::One => ensure!(
                        mask == config_mask(pc),
                        "LB-12: single-phase point {i} loads mask {mask:03b}, wired to {:?}",
                        pc.wiring[0]
                    ),
                    PhaseCount::Three => ensure!(
                        mask == 0b111 || (pc.phase_detection && mask.count_ones() == 1),
                        "LB-12: three-phase point {i} loads mask {mask:03b}"
                    ),
                }
            }

            // LB-2: never above the ceiling; LB-10: an idle EV gets its minimum.
            let ceiling = self.ceiling(i);
            ensure!(
                a <= ceiling,
                "LB-2: point {i} allocation {a} above its ceiling {ceiling}"
            );
            // LB-3: 0 or at least the minimum of the charge.
            if a > 0 {
                let min = self.min_for_mask(mask);
                ensure!(
                    a >= min,
                    "LB-3: point {i} allocation {a} below its minimum {min} (mask {mask:03b})"
                );
                if o.flags.contains(PointFlags::EV_IDLE) {
                    ensure!(a == min, "LB-10: idle point {i} at {a}, minimum {min}");
                }
            }

            // PS-3: the signal is the allocation rounded down to a duty.
            ensure!(
                o.signal_ma <= a,
                "PS-3: point {i} signal {} above allocation {a}",
                o.signal_ma
            );
            let waking = o.flags.contains(PointFlags::WAKE_UP);
            if waking {
                // PS-7: core drives State F for the wake-up; nothing is signalled meanwhile.
                ensure!(
                    a > 0
                        && o.pilot == PilotOutput::StateF
                        && o.signal_ma == 0
                        && o.duty_permille == 0
                        && !o.contactor,
                    "PS-7: point {i} wakes up with {o:?}"
                );
            } else if a >= 6_000 {
                let d = o.duty_permille;
                ensure!(
                    o.pilot == PilotOutput::Pwm && (100..=960).contains(&d),
                    "PS-3: point {i} allocation {a} but pilot {:?} duty {d}",
                    o.pilot
                );
                ensure!(
                    decode_ma(d) == o.signal_ma,
                    "PS-3: point {i} duty {d} decodes to {} not {}",
                    decode_ma(d),
                    o.signal_ma
                );
                ensure!(
                    decode_ma(d) <= a,
                    "PS-3: point {i} duty {d} signals above {a}"
                );
                ensure!(
                    d == 960 || decode_ma(d + 1) > a,
                    "PS-3: point {i} duty {d} is not the largest for {a}"
                );
                ensure!(
                    Some(d) == duty_permille(a),
                    "PS-3: point {i} duty {d} vs pilot::duty_permille"
                );
            } else {
                ensure!(
                    o.signal_ma == 0 && o.duty_permille == 0 && o.pilot != PilotOutput::Pwm,
                    "PS-3: point {i} with allocation {a} signals {o:?}"
                );
            }

            // Who may have current at all (EX-2, IN-2, IN-4, IN-5, LOC-1, SU-2, LB-9).
            if a > 0 {
                let v = pi.vehicle;
                let vehicle_ok = matches!(v, VehicleState::B | VehicleState::C)
                    || (v == VehicleState::D && raw.location == Location::Outdoor);
                ensure!(
                    vehicle_ok,
                    "point {i} has {a} with vehicle {v:?} ({:?})",
                    raw.location
                );
                ensure!(pi.authorised, "point {i} has {a} while not authorised");
                ensure!(
                    pi.commands.is_empty(),
                    "EX-2: point {i} has {a} under commands {:?}",
                    pi.commands
                );
                ensure!(!postponed, "IN-4/IN-5: point {i} has {a} while postponed");
                ensure!(
                    !protection,
                    "IN-2: point {i} has {a} while protection devices tripped"
                );
                ensure!(
                    !self.fault_latched[i],
                    "SU-2: point {i} has {a} with a latched pilot fault"
                );
                ensure!(
                    !o.flags.contains(PointFlags::EV_OVERCURRENT),
                    "LB-9: point {i} has {a} while stopped for EV over-current"
                );
            }
            // IN-2: protection devices show State F; SU-2: a latched pilot fault offers nothing
            // (it may show +12 V, so that the vehicle's departure can be seen).
            if protection {
                ensure!(
                    o.pilot == PilotOutput::StateF && !o.contactor,
                    "IN-2: point {i} shows {:?}, contactor {}",
                    o.pilot,
                    o.contactor
                );
            }
            if self.fault_latched[i] {
                ensure!(
                    o.pilot != PilotOutput::Pwm && !o.contactor,
                    "SU-2: point {i} with a latched pilot fault shows {:?}, contactor {}",
                    o.pilot,
                    o.contactor
                );
            }

            // PS-4: the contactor.
            if o.contactor {
                let v = pi.vehicle;
                ensure!(
                    v == VehicleState::C
                        || (v == VehicleState::D && raw.location == Location::Outdoor),
                    "PS-4: point {i} contactor closed in {v:?} ({:?})",
                    raw.location
                );
                ensure!(
                    !o.flags.contains(PointFlags::FAULT),
                    "PS-4: point {i} contactor closed with a fault"
                );
                if o.signal_ma > 0 {
                    ensure!(
                        a >= self.min_for_mask(mask),
                        "PS-4: point {i} closed at {a}"
                    );
                } else {
                    let off = self.pwm_off_at[i].or(if prev[i].signal_ma > 0 {
                        Some(now)
                    } else {
                        None
                    });
                    ensure!(
                        prev[i].contactor
                            && off
                                .is_some_and(|t0| now.saturating_sub(t0) < u64::from(tm.grace_ms)),
                        "PS-4: point {i} contactor closed without PWM beyond the grace time (off since {off:?})"
                    );
                }
                if !prev[i].contactor {
                    // SU-1 / PS-4: it closes only after C with PWM on held for the debounce.
                    let since = if self.ready(i) {
                        self.ready_since[i].unwrap_or(now)
                    } else {
                        now
                    };
                    ensure!(
                        self.ready(i)
                            && now.saturating_sub(since) >= u64::from(tm.debounce_charge_ms),
                        "PS-4/SU-1: point {i} contactor closes after C with PWM on for {} ms, \
                         debounce {} ms (last clock fault at {:?}, PWM in the last step {})",
                        now.saturating_sub(since),
                        tm.debounce_charge_ms,
                        self.last_clock_fault,
                        prev[i].signal_ma
                    );
                }
                ensure!(
                    !(budget_broken && prev[i].contactor),
                    "SU-3: point {i} contactor still closed across a gap of {dt} ms"
                );
            }
        }

        // LB-1: on every node and supply phase, the allocations (and offers) beneath fit.
        let mut sum = vec![[0u64; 3]; nn];
        for i in 0..np {
            let o = &self.out[i];
            let mask = mask_of(o);
            for ph in 0..3 {
                let offer = if mask & (1 << ph) != 0 {
                    o.signal_ma
                } else {
                    0
                };
                let v = u64::from(o.alloc_ma[ph].max(offer));
                for &n in &self.anc[i] {
                    sum[n][ph] += v;
                }
            }
        }
        for n in 0..nn {
            let lim = self.nodes[n].limit_ma();
            for ph in 0..3 {
                ensure!(
                    sum[n][ph] <= u64::from(lim[ph]),
                    "LB-1: node {n} phase L{} carries {} mA above its limit {} mA",
                    ph + 1,
                    sum[n][ph],
                    lim[ph]
                );
            }
        }

        if self.checks.lb9 {
            self.check_lb9(prev, &limits)?;
        }
        Ok(())
    }

    /// LB-9, as the brief defines it. The count on a constraint (node, supply phase) is the
    /// sum over the points beneath of max(allocation, measured current) (the allocation alone
    /// without a measurement).
    /// (a) No point rises (or starts) in a step where, on some constraint above it on a phase it
    ///     loads, the count with the allocations after this step's reductions (the rising
    ///     points at their old allocation) and this step's measured currents already exceeds
    ///     the limit.
    /// (b) After a step in which a point rose, the count with the new allocations and this
    ///     step's measured currents fits every constraint above it on the phases it loads.
    pub fn check_lb9(&self, prev: &[PointOutput], limits: &[[u32; 3]]) -> Result<(), String> {
        let nn = limits.len();
        let mut before = vec![[0u64; 3]; nn];
        let mut after = vec![[0u64; 3]; nn];
        for i in 0..self.out.len() {
            let o = &self.out[i];
            let mask = mask_of(o);
            let reduced = prev[i].allocation_ma.min(o.allocation_ma);
            let meas = self.supply_measured(i);
            for ph in 0..3 {
                let on = mask & (1 << ph) != 0;
                let a0 = if on { reduced } else { 0 };
                let a1 = if on { o.allocation_ma } else { 0 };
                let (c0, c1) = match meas {
                    Some(m) => (a0.max(m[ph]), a1.max(m[ph])),
                    None => (a0, a1),
                };
                for &n in &self.anc[i] {
                    before[n][ph] += u64::from(c0);
                    after[n][ph] += u64::from(c1);
                }
            }
        }
        for i in 0..self.out.len() {
            let (a0, a1) = (prev[i].allocation_ma, self.out[i].allocation_ma);
            if a1 <= a0 {
                continue;
            }
            let mask = mask_of(&self.out[i]);
            for &n in &self.anc[i] {
                for ph in 0..3 {
                    if mask & (1 << ph) == 0 {
                        continue;
                    }
                    let lim = u64::from(limits[n][ph]);
                    ensure!(
                        before[n][ph] <= lim,
                        "LB-9: point {i} rose {a0} -> {a1} while the count on node {n} phase L{} \
                         was already {} above the limit {lim} (measured per supply phase {:?})",
                        ph + 1,
                        before[n][ph],
                        self.supply_measured(i)
                    );
                    ensure!(
                        after[n][ph] <= lim,
                        "LB-9: point {i} rose {a0} -> {a1} and the count on node {n} phase L{} is \
                         then {} above the limit {lim} (measured per supply phase {:?})",
                        ph + 1,
                        after[n][ph],
                        self.supply_measured(i)
                    );
                }
            }
        }
        Ok(())
    }
}
