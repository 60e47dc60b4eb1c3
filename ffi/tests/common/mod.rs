//! A C controller for the Rust tests of the ABI: its memory from the test's heap, initialised
//! and stepped through the C entry points only.
#![allow(dead_code)]

use loadpilot_core::{NodeConfig, PointConfig, RawConfig};
use loadpilot_ffi::*;

/// Controller memory from the test's heap, aligned as `lp_controller_align` asks.
pub struct Arena {
    words: Vec<u64>,
}

impl Arena {
    pub fn new(bytes: usize) -> Arena {
        assert!(lp_controller_align() <= 8);
        Arena {
            words: vec![0; bytes.div_ceil(8)],
        }
    }
    pub fn ptr(&mut self) -> *mut core::ffi::c_void {
        self.words.as_mut_ptr().cast()
    }
    pub fn len(&self) -> usize {
        self.words.len() * 8
    }
}

/// A C controller for a core configuration, through the C entry points.
pub struct CSide {
    _arena: Arena,
    pub ctl: *mut lp_controller,
    pub points: usize,
}

impl CSide {
    pub fn new<const P: usize, const N: usize>(
        raw: &RawConfig<[PointConfig; P], [NodeConfig; N]>,
    ) -> CSide {
        let pts: Vec<lp_point_config> = raw.points.iter().map(point_config_to_c).collect();
        let nodes: Vec<lp_node_config> = raw.nodes.iter().map(node_config_to_c).collect();
        let mut cfg = config_to_c_general(raw);
        cfg.points = pts.as_ptr();
        cfg.points_len = P as u32;
        cfg.nodes = nodes.as_ptr();
        cfg.nodes_len = N as u32;
        let mut size = 0usize;
        assert_eq!(
            unsafe { lp_controller_size(P as u32, N as u32, &mut size) },
            lp_result::LP_OK
        );
        let mut arena = Arena::new(size);
        let mut err = lp_config_error::default();
        let mut ctl = core::ptr::null_mut();
        let r = unsafe { lp_controller_init(arena.ptr(), arena.len(), &cfg, &mut err, &mut ctl) };
        assert_eq!(r, lp_result::LP_OK, "{err:?}");
        CSide {
            _arena: arena,
            ctl,
            points: P,
        }
    }

    pub fn step(
        &mut self,
        station_in: (bool, bool),
        points: &[lp_point_inputs],
        nodes: &[lp_node_inputs],
        now_ms: u64,
    ) -> (Vec<lp_point_output>, u32, u64) {
        let mut out = vec![lp_point_output::default(); self.points];
        let inputs = lp_inputs {
            in1_closed: station_in.0.into(),
            in2_closed: station_in.1.into(),
            points: points.as_ptr(),
            points_len: points.len() as u32,
            nodes: nodes.as_ptr(),
            nodes_len: nodes.len() as u32,
        };
        let mut outs = lp_outputs {
            points: out.as_mut_ptr(),
            points_len: out.len() as u32,
            station_errors: 0xDEAD,
            next_deadline_ms: 0xDEAD,
        };
        let r = unsafe { lp_step(self.ctl, &inputs, now_ms, &mut outs) };
        assert_eq!(r, lp_result::LP_OK);
        (out, outs.station_errors, outs.next_deadline_ms)
    }
}
