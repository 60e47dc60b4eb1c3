//! `lp_step`: the C inputs of one tick → core's `step()` → the C outputs.
//!
//! Every input is converted into the controller's own `PointInputs` / `NodeInputs` arrays
//! first; a bad value anywhere refuses the whole step (`LP_BAD_ENUM`) before core runs, so the
//! state never sees half a tick. Outputs are written with raw-pointer writes (the C array is
//! never read, whatever it held before).

use core::ptr::addr_of_mut;

use loadpilot_core::{
    Badge, CpReading, Inputs, NodeInputs, Outputs, PointInputs, PointOutput, SetPoint, SiteReading,
    SiteState, State, StationInputs, Work, step,
};

use crate::controller::{lp_controller, parts};
use crate::enums::{self, boolean};
use crate::lp_result;
use crate::output_codes as out;

/// What the firmware measured and decided for one charge point this tick. All-zero is a valid
/// value: no vehicle (state A classified by the firmware), nothing measured, not authorised.
/// Booleans are 0 or 1; `has_*` = 1 says the value beside it is present.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_point_inputs {
    /// 1: `cp_high_mv` / `cp_low_mv` are the measured pilot levels and core classifies and
    /// debounces them (PS-1, PS-2); 0: `vehicle` is the firmware's own classification.
    pub has_cp: u8,
    /// Pilot state as the firmware classified it (`lp_vehicle_state`), used when `has_cp` = 0.
    pub vehicle: u32,
    /// High level of the CP signal (mV, e.g. 9000 for state B).
    pub cp_high_mv: i32,
    /// Low level of the CP signal while PWM is on (mV, about −12000 with a working EV diode).
    pub cp_low_mv: i32,
    /// 1: `pp_ohm` is measured.
    pub has_pp: u8,
    /// Proximity-pin resistance (Ω, CAB-2).
    pub pp_ohm: u32,
    /// 1: a plug is in the domestic socket (TE, or the TE side of T2-TE, CAB-3).
    pub domestic: u8,
    /// 1: `contactor_feedback` is read from an auxiliary contact (CT-1).
    pub has_contactor_feedback: u8,
    /// 1: the auxiliary contact reads closed.
    pub contactor_feedback: u8,
    /// 1: `temperature_dc` is measured (TH-1).
    pub has_temperature: u8,
    /// Temperature of the point (tenths of °C).
    pub temperature_dc: i16,
    /// 1: `meter_mwh` is an external meter's register, used instead of internal metering (MT-2).
    pub has_meter: u8,
    /// External meter register (mWh).
    pub meter_mwh: u64,
    /// 1: reset a latched welded-contactor fault (CT-1).
    pub reset: u8,
    /// 1: a badge was presented this tick (`badge_*`, AU-1 … AU-4).
    pub has_badge: u8,
    /// The firmware's handle for the badge (non-zero; 0 is the default id tag).
    pub badge_id: u32,
    /// What the firmware's badge list says (`lp_badge_kind`).
    pub badge_kind: u32,
    /// 1: the badge is the one the point is booked for (AU-3).
    pub badge_booker: u8,
    /// 1: the badge is in the supervision's authorisation cache (AU-4).
    pub badge_cached: u8,
    /// A remote command or authorisation decision this tick (`lp_remote`).
    pub remote: u32,
    /// 1: the supervision is unreachable (AU-4).
    pub offline: u8,
    /// 1: `lock_closed` is read from a lock sensor.
    pub has_lock_feedback: u8,
    /// 1: the cable lock reads locked.
    pub lock_closed: u8,
    /// 1: `shutter_open` is read from a shutter sensor.
    pub has_shutter_feedback: u8,
    /// 1: the shutter reads open.
    pub shutter_open: u8,
    /// 1: the firmware allows this point to charge (an extra gate beside the session; keep 1
    /// unless something outside loadpilot forbids charging).
    pub authorised: u8,
    /// 1: the session holds a VIP badge by the firmware's own decision (AU-1).
    pub vip: u8,
    /// 1: `measured_ma` is measured.
    pub has_measured: u8,
    /// Measured current of the point's phases L1, L2, L3 (mA).
    pub measured_ma: [u32; 3],
    /// 1: `ev_limit_ma` is known.
    pub has_ev_limit: u8,
    /// The EV's own maximum current (mA).
    pub ev_limit_ma: u32,
    /// 1: `cable_ma` is known (a cable capacity from elsewhere than PP).
    pub has_cable_limit: u8,
    /// Cable capacity (mA).
    pub cable_ma: u32,
    /// 1: a set point for this point was received (EX-1; used when the point is `external`).
    pub has_setpoint: u8,
    /// The point's set point (mA).
    pub setpoint_ma: u32,
    /// When it was received (`now_ms` clock); it expires after `timers.setpoint_validity_ms`.
    pub setpoint_received_ms: u64,
    /// EX-2 commands holding the point (`LP_COMMAND_*` bits).
    pub commands: u32,
}

/// Inputs of one tree node this tick.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_node_inputs {
    /// 1: a set point for this node was received (EX-1).
    pub has_setpoint: u8,
    /// The node's set point (mA, every phase).
    pub setpoint_ma: u32,
    /// When it was received (`now_ms` clock).
    pub setpoint_received_ms: u64,
    /// 1: the node's site meter has answered (`site_*`, LB-14).
    pub has_site: u8,
    /// Site meter: current per supply phase at the node, the points beneath included (mA).
    pub site_load_ma: [u32; 3],
    /// When the site meter measured it (`now_ms` clock).
    pub site_measured_ms: u64,
}

/// Everything the firmware gives one `lp_step`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lp_inputs {
    /// 1: the contact of function input 1 is closed (its polarity decides the meaning, IN-1).
    pub in1_closed: u8,
    /// 1: the contact of function input 2 is closed.
    pub in2_closed: u8,
    /// One entry per configured point, in order.
    pub points: *const lp_point_inputs,
    /// Must equal the configured number of points.
    pub points_len: u32,
    /// One entry per configured node, in order.
    pub nodes: *const lp_node_inputs,
    /// Must equal the configured number of nodes.
    pub nodes_len: u32,
}

/// What core decided for one point: drive the hardware from it (see `ffi/README.md`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct lp_point_output {
    /// Allocation per supply phase L1, L2, L3 (mA).
    pub alloc_ma: [u32; 3],
    /// Allocation of the charge (mA per loaded phase): 0 or at least the minimum (LB-3).
    pub allocation_ma: u32,
    /// The current the EV is told through the duty (mA, PS-3); 0 without PWM.
    pub signal_ma: u32,
    /// Energy of the current session (mWh, MT-1).
    pub energy_mwh: u64,
    /// The session's badge handle (0: default id tag, or no session).
    pub session_id: u32,
    /// Status flags (`LP_FLAG_*` bits, SPEC §5.3).
    pub flags: u32,
    /// PWM duty (‰, 100..=960) while `pilot` is `LP_PILOT_PWM`, else 0.
    pub duty_permille: u16,
    /// The tree node `reason` refers to, or `LP_NO_NODE`.
    pub reason_node: u16,
    /// What the pilot driver shows (`lp_pilot_output`).
    pub pilot: u8,
    /// 1: close the contactor; 0: open it.
    pub contactor: u8,
    /// The binding constraint (`lp_alloc_reason`, LB-11).
    pub reason: u8,
    /// Outlet status (`lp_outlet_status`, SPEC §5.1).
    pub status: u8,
    /// Last error (`lp_last_error`, SPEC §5.2).
    pub last_error: u8,
    /// EVSE status (`lp_evse_status`, PS-6).
    pub evse_status: u8,
    /// What the proximity pin says (`lp_cable_status`, CAB-2).
    pub cable: u8,
    /// 1: command the cable lock locked.
    pub lock: u8,
    /// 1: command the shutter open.
    pub shutter_open: u8,
}

/// Where `lp_step` writes: the caller's array of `points_len` point outputs, and the station.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lp_outputs {
    /// The caller's array, one entry per configured point (written by `lp_step`).
    pub points: *mut lp_point_output,
    /// Its length: must equal the configured number of points.
    pub points_len: u32,
    /// Station error bits (`LP_STATION_*`, SPEC §5.4), written by `lp_step`.
    pub station_errors: u32,
    /// Call `lp_step` again no later than this (ms, `now_ms` clock), or sooner when an input
    /// changes; written by `lp_step`.
    pub next_deadline_ms: u64,
}

/// One C point input → core, or `None` when an enum, boolean or flag is out of range.
pub(crate) fn point_inputs(c: &lp_point_inputs) -> Option<PointInputs> {
    let opt = |has: u8| boolean(has);
    let cp = opt(c.has_cp)?.then_some(CpReading {
        high_mv: c.cp_high_mv,
        low_mv: c.cp_low_mv,
    });
    let badge = if opt(c.has_badge)? {
        Some(Badge {
            id: c.badge_id,
            kind: enums::badge_kind(c.badge_kind)?,
            booker: boolean(c.badge_booker)?,
            cached: boolean(c.badge_cached)?,
        })
    } else {
        None
    };
    let contactor_feedback = if opt(c.has_contactor_feedback)? {
        Some(boolean(c.contactor_feedback)?)
    } else {
        None
    };
    let lock_closed = if opt(c.has_lock_feedback)? {
        Some(boolean(c.lock_closed)?)
    } else {
        None
    };
    let shutter_open = if opt(c.has_shutter_feedback)? {
        Some(boolean(c.shutter_open)?)
    } else {
        None
    };
    Some(PointInputs {
        cp,
        vehicle: enums::vehicle(c.vehicle)?,
        pp_ohm: opt(c.has_pp)?.then_some(c.pp_ohm),
        domestic: boolean(c.domestic)?,
        contactor_feedback,
        temperature_dc: opt(c.has_temperature)?.then_some(c.temperature_dc),
        meter_mwh: opt(c.has_meter)?.then_some(c.meter_mwh),
        reset: boolean(c.reset)?,
        badge,
        remote: enums::remote(c.remote)?,
        offline: boolean(c.offline)?,
        lock_closed,
        shutter_open,
        authorised: boolean(c.authorised)?,
        vip: boolean(c.vip)?,
        measured_ma: opt(c.has_measured)?.then_some(c.measured_ma),
        ev_limit_ma: opt(c.has_ev_limit)?.then_some(c.ev_limit_ma),
        cable_ma: opt(c.has_cable_limit)?.then_some(c.cable_ma),
        setpoint: opt(c.has_setpoint)?.then_some(SetPoint {
            current_ma: c.setpoint_ma,
            received_ms: c.setpoint_received_ms,
        }),
        commands: enums::commands(c.commands)?,
    })
}

/// One C node input → core, or `None` when a boolean is out of range.
pub(crate) fn node_inputs(c: &lp_node_inputs) -> Option<NodeInputs> {
    Some(NodeInputs {
        setpoint: boolean(c.has_setpoint)?.then_some(SetPoint {
            current_ma: c.setpoint_ma,
            received_ms: c.setpoint_received_ms,
        }),
        site: boolean(c.has_site)?.then_some(SiteReading {
            load_ma: c.site_load_ma,
            measured_ms: c.site_measured_ms,
        }),
    })
}

/// One core point output → C.
pub fn point_output_to_c(o: &PointOutput) -> lp_point_output {
    lp_point_output {
        alloc_ma: o.alloc_ma,
        allocation_ma: o.allocation_ma,
        signal_ma: o.signal_ma,
        energy_mwh: o.energy_mwh,
        session_id: o.session_id,
        flags: out::flags_out(o.flags),
        duty_permille: o.duty_permille,
        reason_node: o.reason_node,
        pilot: out::pilot_out(o.pilot) as u8,
        contactor: o.contactor.into(),
        reason: out::reason_out(o.reason) as u8,
        status: out::status_out(o.status) as u8,
        last_error: out::last_error_out(o.last_error) as u8,
        evse_status: out::evse_out(o.evse_status) as u8,
        cable: out::cable_out(o.cable) as u8,
        lock: o.lock.into(),
        shutter_open: o.shutter_open.into(),
    }
}

/// Runs one control step at `now_ms` (ms of a monotonic clock of the firmware's choice; the
/// first step is the start-up) with `*inputs`, and writes `*outputs` (its `points` array and
/// station fields). Call it every `timers.sample_period_ms` while a contactor is closed and
/// never later than `outputs->next_deadline_ms`.
///
/// Refused, with nothing changed and nothing written: `LP_NULL_ARGUMENT` (a pointer, or the
/// `points` / `nodes` arrays, is NULL), `LP_MISALIGNED`, `LP_NOT_INITIALIZED`,
/// `LP_BAD_LENGTH` (`points_len` / `nodes_len` differ from the configuration), `LP_BAD_ENUM`
/// (an enum, boolean or command bit out of range in any input).
///
/// # Safety
/// `controller` is NULL or was returned by `lp_controller_init` and is not used concurrently;
/// `inputs` / `outputs` are NULL or valid, their arrays NULL or valid for their lengths, and
/// none of them overlaps the controller memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_step(
    controller: *mut lp_controller,
    inputs: *const lp_inputs,
    now_ms: u64,
    outputs: *mut lp_outputs,
) -> lp_result {
    let r = crate::guard(|| {
        // SAFETY: forwarded contract.
        unsafe { step_impl(controller, inputs, now_ms, outputs) }
    });
    if r == lp_result::LP_PANIC {
        // A panic may have left the state half-updated: refuse further steps until a new init.
        // SAFETY: the panic came from inside a step, so `parts` had accepted the controller.
        if let Ok(p) = unsafe { parts(controller) } {
            p.header.poisoned = true;
        }
    }
    r
}

/// # Safety
/// As for `lp_step`.
unsafe fn step_impl(
    controller: *mut lp_controller,
    inputs: *const lp_inputs,
    now_ms: u64,
    outputs: *mut lp_outputs,
) -> lp_result {
    if inputs.is_null() || outputs.is_null() {
        return lp_result::LP_NULL_ARGUMENT;
    }
    if !inputs.is_aligned() || !outputs.is_aligned() {
        return lp_result::LP_MISALIGNED;
    }
    // SAFETY: forwarded contract.
    let p = match unsafe { parts(controller) } {
        Ok(p) => p,
        Err(r) => return r,
    };
    // SAFETY: non-null, aligned, readable; integers and raw pointers only (valid for any bytes),
    // copied by value.
    let (i, o) = unsafe { (inputs.read(), outputs.read()) };
    let (points, nodes) = (p.point_state.len(), p.node_state.len());
    if i.points.is_null() || i.nodes.is_null() || o.points.is_null() {
        return lp_result::LP_NULL_ARGUMENT;
    }
    if !i.points.is_aligned() || !i.nodes.is_aligned() || !o.points.is_aligned() {
        return lp_result::LP_MISALIGNED;
    }
    let len_ok = |len: u32, want: usize| usize::try_from(len).is_ok_and(|l| l == want);
    if !len_ok(i.points_len, points) || !len_ok(i.nodes_len, nodes) || !len_ok(o.points_len, points)
    {
        return lp_result::LP_BAD_LENGTH;
    }
    let (Some(in1), Some(in2)) = (boolean(i.in1_closed), boolean(i.in2_closed)) else {
        return lp_result::LP_BAD_ENUM;
    };
    for (k, slot) in p.point_inputs.iter_mut().enumerate() {
        // SAFETY: `points_len` elements are readable (contract, length checked); read by value.
        let c = unsafe { i.points.add(k).read() };
        match point_inputs(&c) {
            Some(v) => *slot = v,
            None => return lp_result::LP_BAD_ENUM,
        }
    }
    for (k, slot) in p.node_inputs.iter_mut().enumerate() {
        // SAFETY: as above, for the nodes.
        let c = unsafe { i.nodes.add(k).read() };
        match node_inputs(&c) {
            Some(v) => *slot = v,
            None => return lp_result::LP_BAD_ENUM,
        }
    }

    let h = p.header;
    let view = h.config.view();
    let state = State {
        station: &mut h.station,
        points: p.point_state,
        nodes: p.node_state,
        site: SiteState {
            points: p.point_site,
            nodes: p.node_site,
        },
        work: Work {
            points: p.point_work,
            nodes: p.node_work,
            station: &mut h.station_work,
        },
    };
    let core_inputs = Inputs {
        station: StationInputs {
            in1_closed: in1,
            in2_closed: in2,
        },
        points: p.point_inputs,
        nodes: p.node_inputs,
    };
    let out = Outputs {
        station: &mut h.station_out,
        points: &mut *p.point_output,
    };
    if step(&view, state, &core_inputs, now_ms, out).is_err() {
        // Lengths are equal by construction of the controller memory.
        return lp_result::LP_BAD_LENGTH;
    }

    for (k, po) in p.point_output.iter().enumerate() {
        // SAFETY: `points_len` (= points) elements are writable per the contract; `write` does
        // not read what the caller's array held.
        unsafe { o.points.add(k).write(point_output_to_c(po)) };
    }
    // SAFETY: `outputs` is non-null, aligned and writable; field writes through raw places.
    unsafe {
        addr_of_mut!((*outputs).station_errors)
            .write(out::station_errors_out(h.station_out.errors));
        addr_of_mut!((*outputs).next_deadline_ms).write(h.station_out.next_deadline_ms);
    }
    lp_result::LP_OK
}
