//! The C ABI's own checks (STYLE.md, C ABI): every enum, boolean and flag field of the input
//! structs refuses an out-of-range value, the controller needs exactly the memory and alignment
//! it reports, and a booked point refuses other badges through the ABI (AU-3).

use core::mem::MaybeUninit;

use loadpilot_core::{AuthLocation, two_point_station};
use loadpilot_ffi::*;

mod common;
use common::{Arena, CSide};

fn station_for_errors() -> (CSide, Vec<lp_point_inputs>, Vec<lp_node_inputs>) {
    let mut raw = two_point_station(32_000);
    raw.timers.stagger_ms = 0;
    let c = CSide::new(&raw);
    let pin = vec![lp_point_inputs::default(); 2];
    let nin = vec![lp_node_inputs::default(); 1];
    (c, pin, nin)
}

fn try_step(c: &mut CSide, pin: &[lp_point_inputs], nin: &[lp_node_inputs]) -> lp_result {
    let mut out = vec![lp_point_output::default(); 2];
    let inputs = lp_inputs {
        in1_closed: 0,
        in2_closed: 0,
        points: pin.as_ptr(),
        points_len: 2,
        nodes: nin.as_ptr(),
        nodes_len: 1,
    };
    let mut outs = lp_outputs {
        points: out.as_mut_ptr(),
        points_len: 2,
        station_errors: 0,
        next_deadline_ms: 0,
    };
    unsafe { lp_step(c.ctl, &inputs, 0, &mut outs) }
}

/// Proves STYLE.md "wire values" for the ABI: every boolean (0/1), enum and flag field of
/// `lp_point_inputs` / `lp_node_inputs` refuses a value out of range with LP_BAD_ENUM, and the
/// same step with the field back in range passes.
#[test]
fn every_input_enum_and_boolean_field_is_range_checked() {
    let (mut c, pin, nin) = station_for_errors();
    assert_eq!(try_step(&mut c, &pin, &nin), lp_result::LP_OK);
    type Setter = fn(&mut lp_point_inputs);
    let point_fields: [(&str, Setter); 27] = [
        ("has_cp", |p| p.has_cp = 2),
        ("vehicle", |p| p.vehicle = 7),
        ("has_pp", |p| p.has_pp = 2),
        ("domestic", |p| p.domestic = 2),
        ("has_contactor_feedback", |p| p.has_contactor_feedback = 2),
        ("contactor_feedback", |p| {
            p.has_contactor_feedback = 1;
            p.contactor_feedback = 2
        }),
        ("has_temperature", |p| p.has_temperature = 2),
        ("has_meter", |p| p.has_meter = 2),
        ("reset", |p| p.reset = 2),
        ("has_badge", |p| p.has_badge = 2),
        ("badge_kind", |p| {
            p.has_badge = 1;
            p.badge_kind = 4
        }),
        ("badge_booker", |p| {
            p.has_badge = 1;
            p.badge_booker = 2
        }),
        ("badge_cached", |p| {
            p.has_badge = 1;
            p.badge_cached = 2
        }),
        ("remote", |p| p.remote = 5),
        ("offline", |p| p.offline = 2),
        ("has_lock_feedback", |p| p.has_lock_feedback = 2),
        ("lock_closed", |p| {
            p.has_lock_feedback = 1;
            p.lock_closed = 2
        }),
        ("has_shutter_feedback", |p| p.has_shutter_feedback = 2),
        ("shutter_open", |p| {
            p.has_shutter_feedback = 1;
            p.shutter_open = 2
        }),
        ("authorised", |p| p.authorised = 2),
        ("vip", |p| p.vip = 2),
        ("has_measured", |p| p.has_measured = 2),
        ("has_ev_limit", |p| p.has_ev_limit = 2),
        ("has_cable_limit", |p| p.has_cable_limit = 2),
        ("has_setpoint", |p| p.has_setpoint = 2),
        ("commands", |p| p.commands = 1 << 6),
        ("vehicle (u32 above u8)", |p| p.vehicle = 256),
    ];
    for (name, set) in point_fields {
        for k in 0..2 {
            let mut bad = pin.clone();
            set(&mut bad[k]);
            assert_eq!(
                try_step(&mut c, &bad, &nin),
                lp_result::LP_BAD_ENUM,
                "{name} of point {k}"
            );
        }
    }
    type NodeSetter = fn(&mut lp_node_inputs);
    let node_fields: [(&str, NodeSetter); 2] = [
        ("has_setpoint", |n| n.has_setpoint = 2),
        ("has_site", |n| n.has_site = 3),
    ];
    for (name, set) in node_fields {
        let mut bad = nin.clone();
        set(&mut bad[0]);
        assert_eq!(
            try_step(&mut c, &pin, &bad),
            lp_result::LP_BAD_ENUM,
            "{name}"
        );
    }
    assert_eq!(try_step(&mut c, &pin, &nin), lp_result::LP_OK);
}

/// Proves the sizing contract: init refuses memory one byte short and memory that is
/// not aligned, accepts exactly `lp_controller_size` bytes, and a controller copied elsewhere is
/// refused there.
#[test]
fn init_needs_exactly_the_size_and_alignment_it_reports() {
    let raw = two_point_station(32_000);
    let pts: Vec<_> = raw.points.iter().map(point_config_to_c).collect();
    let nodes: Vec<_> = raw.nodes.iter().map(node_config_to_c).collect();
    let mut cfg = config_to_c_general(&raw);
    cfg.points = pts.as_ptr();
    cfg.points_len = 2;
    cfg.nodes = nodes.as_ptr();
    cfg.nodes_len = 1;
    let mut size = 0;
    assert_eq!(
        unsafe { lp_controller_size(2, 1, &mut size) },
        lp_result::LP_OK
    );
    let mut arena = Arena::new(size + 64);
    let mut ctl = core::ptr::null_mut();
    let mut err = MaybeUninit::<lp_config_error>::uninit();
    let init = |mem, len, ctl: &mut *mut lp_controller, err: *mut lp_config_error| unsafe {
        lp_controller_init(mem, len, &cfg, err, ctl)
    };
    assert_eq!(
        init(arena.ptr(), size - 1, &mut ctl, err.as_mut_ptr()),
        lp_result::LP_BUFFER_TOO_SMALL
    );
    assert!(ctl.is_null());
    let odd = unsafe { arena.ptr().cast::<u8>().add(4) }.cast();
    assert_eq!(
        init(odd, size, &mut ctl, err.as_mut_ptr()),
        lp_result::LP_MISALIGNED
    );
    assert_eq!(
        init(arena.ptr(), size, &mut ctl, err.as_mut_ptr()),
        lp_result::LP_OK
    );
    assert_eq!(ctl.cast(), arena.ptr());
    let mut copy = Arena::new(size);
    unsafe { core::ptr::copy_nonoverlapping(arena.ptr().cast::<u8>(), copy.ptr().cast(), size) };
    let (mut np, mut nn) = (0, 0);
    assert_eq!(
        unsafe { lp_controller_counts(copy.ptr().cast(), &mut np, &mut nn) },
        lp_result::LP_NOT_INITIALIZED
    );
    assert_eq!(
        unsafe { lp_controller_counts(ctl, &mut np, &mut nn) },
        lp_result::LP_OK
    );
    assert_eq!((np, nn), (2, 1));
}

/// Proves AU-3 through the ABI: a booked point refuses a badge that is not the booker's and
/// reports it as last error, exactly as core does.
#[test]
fn au3_booked_point_refuses_other_badges_through_the_abi() {
    let mut raw = two_point_station(32_000);
    raw.timers.stagger_ms = 0;
    raw.session.auth_location = AuthLocation::ChargingStation;
    let mut c = CSide::new(&raw);
    let mut pin = vec![lp_point_inputs::default(); 2];
    let nin = vec![lp_node_inputs::default(); 1];
    pin[0].authorised = 1;
    pin[0].commands = LP_COMMAND_BOOKED;
    pin[0].has_badge = 1;
    pin[0].badge_id = 9;
    pin[0].badge_kind = lp_badge_kind::LP_BADGE_USER as u32;
    let (out, _, _) = c.step((false, false), &pin, &nin, 0);
    let (out2, _, _) = c.step((false, false), &pin, &nin, 10);
    let last = out2[0].last_error;
    assert_eq!(
        last,
        lp_last_error::LP_LAST_ERROR_BADGE_IS_NOT_THE_BOOKER as u8,
        "{out:?} {out2:?}"
    );
}
