//! Fuzzes the C entry points of loadpilot-ffi (issue 5, STYLE.md "Fuzz what parses outside
//! data"): arbitrary bytes become configuration structs (mostly core's defaults with fields
//! overwritten by fuzz bytes, sometimes raw bytes) and sequences of input structs (valid-looking
//! ones and raw bytes), fed through `lp_config_check`, `lp_controller_init` and `lp_step` exactly
//! as C would call them, with wrong lengths and NULL pointers mixed in.
//!
//! Checked on every call: the result is one of the documented codes; `lp_config_check` and
//! `lp_controller_init` agree; a refused step writes nothing; an accepted step writes outputs in
//! range (enum numbers, duty 100..=960 ‰ with PWM, LB-3: 0 or at least 6 A, LB-1: the points'
//! allocations on each phase within the root node's configured limit).
#![no_main]

use core::mem::size_of;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use loadpilot_ffi::*;

/// Overwrites a plain-integer `#[repr(C)]` struct with fuzz bytes (every bit pattern is a valid
/// value of these structs: integers only, no pointers, no bools, no enums).
fn raw_bytes<T: Copy>(u: &mut Unstructured, value: &mut T) -> Result<()> {
    let bytes = u.bytes(size_of::<T>())?;
    // SAFETY: `T` is one of the all-integer C structs below; `bytes` has exactly its size.
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), (value as *mut T).cast::<u8>(), bytes.len())
    };
    Ok(())
}

/// A value near the interesting range most of the time, anything sometimes.
fn num(u: &mut Unstructured, typical: u32) -> Result<u32> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => u.arbitrary()?,
        1 => u.int_in_range(0..=typical.saturating_mul(2))?,
        _ => u.int_in_range(typical / 2..=typical.saturating_add(typical / 2))?,
    })
}

fn small_enum(u: &mut Unstructured, valid: u32) -> Result<u32> {
    Ok(if u.ratio(1, 16)? {
        u.arbitrary()?
    } else {
        u.int_in_range(0..=valid.saturating_sub(1))?
    })
}

fn flag(u: &mut Unstructured) -> Result<u8> {
    Ok(if u.ratio(1, 32)? {
        u.arbitrary()?
    } else {
        u8::from(u.arbitrary::<bool>()?)
    })
}

fn mutate_general(u: &mut Unstructured, c: &mut lp_config) -> Result<()> {
    for _ in 0..u.int_in_range(0..=6u8)? {
        match u.int_in_range(0..=14u8)? {
            0 => c.family = small_enum(u, 3)?,
            1 => c.location = small_enum(u, 2)?,
            2 => c.load_balancing = flag(u)?,
            3 => c.external_control = flag(u)?,
            4 => c.voltage_mv = num(u, 230_000)?,
            5 => raw_bytes(u, &mut c.timers)?,
            6 => raw_bytes(u, &mut c.thresholds)?,
            7 => c.timers.stagger_ms = num(u, 2_000)?,
            8 => c.timers.min_pause_ms = num(u, 1_000)?,
            9 => {
                c.inputs.in1 = small_enum(u, 4)?;
                c.inputs.in1_polarity = small_enum(u, 2)?;
            }
            10 => {
                c.inputs.in2 = small_enum(u, 3)?;
                c.inputs.load_shedding_ma = num(u, 16_000)?;
            }
            11 => c.session.auth_location = small_enum(u, 4)?,
            12 => {
                c.has_rotation = flag(u)?;
                c.rotation_interval_ms = num(u, 60_000)?;
            }
            13 => {
                c.protection.has_thermal = flag(u)?;
                c.protection.thermal.derate_start_dc = u.arbitrary()?;
                c.protection.thermal.pause_dc = u.arbitrary()?;
            }
            _ => c.shed_priority = small_enum(u, 2)?,
        }
    }
    Ok(())
}

fn point_config(u: &mut Unstructured, nodes: u16) -> Result<lp_point_config> {
    let mut p = lp_point_config::default();
    // SAFETY: valid out-pointer to a local.
    let r = unsafe { lp_point_config_default(u.int_in_range(0..=nodes)?, num(u, 32_000)?, &mut p) };
    assert_eq!(r, lp_result::LP_OK);
    for _ in 0..u.int_in_range(0..=3u8)? {
        match u.int_in_range(0..=6u8)? {
            0 => {
                p.phases = if u.ratio(1, 8)? {
                    u.arbitrary()?
                } else {
                    [1, 3][usize::from(u.int_in_range(0..=1u8)?)]
                }
            }
            1 => p.wiring = [small_enum(u, 3)?, small_enum(u, 3)?, small_enum(u, 3)?],
            2 => p.socket = small_enum(u, 5)?,
            3 => p.derated_ma = num(u, 16_000)?,
            4 => {
                p.external = flag(u)?;
                p.has_fail_safe = flag(u)?;
                p.fail_safe_ma = num(u, 10_000)?;
            }
            5 => p.phase_detection = flag(u)?,
            _ => raw_bytes(u, &mut p)?,
        }
    }
    Ok(p)
}

fn node_config(u: &mut Unstructured, index: u16, nodes: u16) -> Result<lp_node_config> {
    let kind = if index == 0 { small_enum(u, 3)? } else { 2 };
    let mut n = lp_node_config::default();
    // SAFETY: valid out-pointer to a local.
    let r = unsafe { lp_node_config_default(kind, num(u, 40_000)?, &mut n) };
    if r != lp_result::LP_OK {
        assert_eq!(r, lp_result::LP_BAD_ENUM);
        n.kind = kind; // keep the bad kind: the configuration must refuse it
    }
    if index > 0 {
        n.has_parent = 1;
        n.parent = u.int_in_range(0..=index - 1)?;
    }
    for _ in 0..u.int_in_range(0..=2u8)? {
        match u.int_in_range(0..=4u8)? {
            0 => n.parent = u.int_in_range(0..=nodes)?,
            1 => {
                n.has_fail_safe = flag(u)?;
                n.fail_safe_ma = [num(u, 20_000)?; 3];
            }
            2 => {
                n.site_meter = flag(u)?;
                n.site_slot_ms = num(u, 50)?;
            }
            3 => n.limit_ma = [num(u, 40_000)?, num(u, 40_000)?, num(u, 40_000)?],
            _ => raw_bytes(u, &mut n)?,
        }
    }
    Ok(n)
}

fn point_inputs(u: &mut Unstructured, t: u64) -> Result<lp_point_inputs> {
    let mut p = lp_point_inputs::default();
    if u.ratio(1, 16)? {
        raw_bytes(u, &mut p)?;
        return Ok(p);
    }
    p.has_cp = flag(u)?;
    p.cp_high_mv = [12_000, 9_000, 6_000, 3_000, 0, -12_000][usize::from(u.int_in_range(0..=5u8)?)]
        + i32::from(u.int_in_range(-700..=700i16)?);
    p.cp_low_mv = if u.ratio(1, 8)? { 0 } else { -12_000 };
    p.vehicle = small_enum(u, 7)?;
    p.has_pp = flag(u)?;
    p.pp_ohm = [220, 680, 1_500, 100, 100_000, 3_000][usize::from(u.int_in_range(0..=5u8)?)];
    p.authorised = flag(u)?;
    p.has_measured = flag(u)?;
    let draw = num(u, 16_000)?;
    p.measured_ma = [draw; 3];
    if u.ratio(1, 8)? {
        p.has_badge = 1;
        p.badge_id = u.int_in_range(0..=3)?;
        p.badge_kind = small_enum(u, 4)?;
        p.badge_booker = flag(u)?;
        p.badge_cached = flag(u)?;
    }
    if u.ratio(1, 8)? {
        p.remote = small_enum(u, 5)?;
    }
    if u.ratio(1, 8)? {
        p.commands = if u.ratio(1, 8)? {
            u.arbitrary()?
        } else {
            u.int_in_range(0..=63)?
        };
    }
    if u.ratio(1, 8)? {
        p.has_setpoint = 1;
        p.setpoint_ma = num(u, 16_000)?;
        p.setpoint_received_ms = t.saturating_sub(u64::from(num(u, 30_000)?));
    }
    if u.ratio(1, 8)? {
        p.has_lock_feedback = flag(u)?;
        p.lock_closed = flag(u)?;
        p.has_contactor_feedback = flag(u)?;
        p.contactor_feedback = flag(u)?;
        p.has_temperature = flag(u)?;
        p.temperature_dc = u.arbitrary()?;
        p.has_meter = flag(u)?;
        p.meter_mwh = u.arbitrary()?;
        p.reset = flag(u)?;
        p.domestic = flag(u)?;
    }
    Ok(p)
}

fn node_inputs(u: &mut Unstructured, t: u64) -> Result<lp_node_inputs> {
    let mut n = lp_node_inputs::default();
    if u.ratio(1, 16)? {
        raw_bytes(u, &mut n)?;
        return Ok(n);
    }
    n.has_setpoint = flag(u)?;
    n.setpoint_ma = num(u, 30_000)?;
    n.setpoint_received_ms = t.saturating_sub(u64::from(num(u, 30_000)?));
    n.has_site = flag(u)?;
    n.site_load_ma = [num(u, 20_000)?; 3];
    n.site_measured_ms = t.saturating_sub(u64::from(num(u, 1_000)?));
    Ok(n)
}

/// Every documented result code.
const CODES: [lp_result; 9] = [
    lp_result::LP_OK,
    lp_result::LP_NULL_ARGUMENT,
    lp_result::LP_BUFFER_TOO_SMALL,
    lp_result::LP_MISALIGNED,
    lp_result::LP_BAD_ENUM,
    lp_result::LP_BAD_LENGTH,
    lp_result::LP_CONFIG_INVALID,
    lp_result::LP_NOT_INITIALIZED,
    lp_result::LP_PANIC,
];

fn check_output(o: &lp_point_output) {
    assert!(o.pilot <= lp_pilot_output::LP_PILOT_STATE_F as u8, "{o:?}");
    if o.pilot == lp_pilot_output::LP_PILOT_PWM as u8 {
        assert!((100..=960).contains(&o.duty_permille), "PS-3 {o:?}");
    } else {
        assert_eq!(o.duty_permille, 0, "{o:?}");
    }
    assert!(
        o.contactor <= 1 && o.lock <= 1 && o.shutter_open <= 1,
        "{o:?}"
    );
    let last_reason = lp_alloc_reason::LP_REASON_EV_NOT_READY as u8;
    assert!(
        o.reason <= last_reason || o.reason == lp_alloc_reason::LP_REASON_OTHER as u8,
        "{o:?}"
    );
    assert!(
        o.status <= lp_outlet_status::LP_STATUS_MAINTENANCE_CITY as u8,
        "{o:?}"
    );
    assert!(
        o.last_error <= lp_last_error::LP_LAST_ERROR_UNPLUG_PROCEDURE_ERROR as u8,
        "{o:?}"
    );
    assert!(
        o.evse_status <= lp_evse_status::LP_EVSE_F_NOT_AVAILABLE as u8,
        "{o:?}"
    );
    assert!(o.cable <= lp_cable_status::LP_CABLE_FAULT as u8, "{o:?}");
    assert!(
        o.allocation_ma == 0 || o.allocation_ma >= 6_000,
        "LB-3 {o:?}"
    );
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let points = u.int_in_range(1..=4u16)?;
    let nodes = u.int_in_range(1..=3u16)?;
    let mut cfg = core::mem::MaybeUninit::<lp_config>::uninit();
    // SAFETY: valid out-pointer; family 0 exists.
    assert_eq!(
        unsafe { lp_config_default(0, cfg.as_mut_ptr()) },
        lp_result::LP_OK
    );
    // SAFETY: written by lp_config_default.
    let mut cfg = unsafe { cfg.assume_init() };
    cfg.timers.stagger_ms = 0;
    mutate_general(&mut u, &mut cfg)?;
    let pcs = (0..points)
        .map(|_| point_config(&mut u, nodes))
        .collect::<Result<Vec<_>>>()?;
    let ncs = (0..nodes)
        .map(|i| node_config(&mut u, i, nodes))
        .collect::<Result<Vec<_>>>()?;
    cfg.points = pcs.as_ptr();
    cfg.points_len = u32::from(points);
    cfg.nodes = ncs.as_ptr();
    cfg.nodes_len = u32::from(nodes);
    if u.ratio(1, 64)? {
        cfg.points_len = u.arbitrary()?; // lengths lie sometimes (never beyond the arrays)
        cfg.points_len = cfg.points_len.min(u32::from(points));
    }

    let mut size = 0usize;
    // SAFETY: valid out-pointer.
    let r = unsafe { lp_controller_size(u32::from(points), u32::from(nodes), &mut size) };
    assert_eq!(r, lp_result::LP_OK);
    let mut mem = vec![0u64; size.div_ceil(8) + 1];
    let len = if u.ratio(1, 32)? { size - 1 } else { size };
    let base = mem.as_mut_ptr().cast::<core::ffi::c_void>();

    let mut err_check = lp_config_error::default();
    // SAFETY: `mem` holds `len` bytes, `cfg`'s arrays hold their lengths.
    let checked = unsafe { lp_config_check(&cfg, base, len, &mut err_check) };
    let mut err = lp_config_error::default();
    let mut ctl = core::ptr::null_mut();
    // SAFETY: as above.
    let init = unsafe { lp_controller_init(base, len, &cfg, &mut err, &mut ctl) };
    assert!(CODES.contains(&init));
    assert_eq!(checked, init, "check and init disagree");
    assert_eq!(err_check, err);
    if init != lp_result::LP_OK {
        assert!(ctl.is_null());
        if init == lp_result::LP_CONFIG_INVALID {
            assert_ne!(err.field, lp_config_field::LP_FIELD_NONE as u32);
            assert_ne!(
                err.field,
                lp_config_field::LP_FIELD_UNKNOWN as u32,
                "{err:?}"
            );
            assert_ne!(
                err.reason,
                lp_config_reason::LP_CONFIG_REASON_UNKNOWN as u32,
                "{err:?}"
            );
        }
        return Ok(());
    }
    let root_limit = ncs
        .iter()
        .find(|n| n.has_parent == 0)
        .map_or(u32::MAX, |n| *n.limit_ma.iter().max().unwrap_or(&u32::MAX));

    let p = usize::from(points);
    let mut t = 0u64;
    while !u.is_empty() {
        t = match u.int_in_range(0..=15u8)? {
            0 => t.saturating_sub(u64::from(u.int_in_range(0..=1_000u16)?)),
            1 => t + u64::from(u.arbitrary::<u16>()?),
            _ => t + 10,
        };
        let pin = (0..p)
            .map(|_| point_inputs(&mut u, t))
            .collect::<Result<Vec<_>>>()?;
        let nin = (0..nodes)
            .map(|_| node_inputs(&mut u, t))
            .collect::<Result<Vec<_>>>()?;
        let sentinel = lp_point_output {
            session_id: 0xDEAD_BEEF,
            ..Default::default()
        };
        let mut out = vec![sentinel; p];
        let mut inputs = lp_inputs {
            in1_closed: flag(&mut u)?,
            in2_closed: flag(&mut u)?,
            points: pin.as_ptr(),
            points_len: u32::from(points),
            nodes: nin.as_ptr(),
            nodes_len: u32::from(nodes),
        };
        let mut outs = lp_outputs {
            points: out.as_mut_ptr(),
            points_len: u32::from(points),
            station_errors: 0xDEAD,
            next_deadline_ms: 0xDEAD,
        };
        match u.int_in_range(0..=63u8)? {
            0 => inputs.points_len = inputs.points_len.saturating_sub(1),
            1 => inputs.nodes = core::ptr::null(),
            2 => outs.points_len = 0,
            _ => {}
        }
        // SAFETY: arrays as long as their lengths (or shorter lengths / NULL, refused).
        let r = unsafe { lp_step(ctl, &inputs, t, &mut outs) };
        assert!(CODES.contains(&r));
        assert_ne!(r, lp_result::LP_PANIC);
        if r != lp_result::LP_OK {
            assert!(
                out.iter().all(|o| *o == sentinel),
                "a refused step wrote outputs"
            );
            assert_eq!(
                (outs.station_errors, outs.next_deadline_ms),
                (0xDEAD, 0xDEAD)
            );
            continue;
        }
        for o in &out {
            check_output(o);
        }
        for ph in 0..3 {
            let sum: u64 = out.iter().map(|o| u64::from(o.alloc_ma[ph])).sum();
            assert!(
                sum <= u64::from(root_limit),
                "LB-1: {sum} mA on phase {ph} above {root_limit}"
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
