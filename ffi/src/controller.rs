//! The controller in caller-owned memory: `lp_controller_size` / `lp_controller_align` tell how
//! much memory a station of P points and N nodes needs, `lp_controller_init` validates a
//! configuration and places everything in that memory; nothing is ever allocated.
//!
//! Layout of the memory (offsets computed at run time from P and N, each array aligned to its
//! type):
//!
//! ```text
//! Header | PointConfig × P | NodeConfig × N | PointState × P | NodeState × N
//!        | PointSite × P | NodeSite × N | PointWork × P | NodeWork × N
//!        | PointInputs × P | NodeInputs × N | PointOutput × P
//! ```
//!
//! The header holds core's validated `Config`, whose point and node lists are `InMemory`
//! slices into the same memory, the station state and the station output. It also records the
//! address it was initialised at: memory that was copied or moved is refused
//! (`LP_NOT_INITIALIZED`) instead of following stale pointers.
//!
//! Unsafe code is confined to this module (placing and viewing the memory) and to the raw
//! pointer reads and writes of arguments; each block states what it relies on.

use core::mem::{align_of, size_of};
use core::ptr::{NonNull, addr_of, addr_of_mut};

use loadpilot_core::config::{MAX_NODES, MAX_POINTS};
use loadpilot_core::{
    Config, NodeConfig, NodeInputs, NodeSite, NodeState, NodeWork, PointConfig, PointInputs,
    PointOutput, PointSite, PointState, PointWork, StationOutput, StationState, StationWork,
};

use crate::config::{lp_config, node_config, point_config, raw_config};
use crate::config_error::{LP_NO_INDEX, lp_config_error, lp_config_field, lp_config_reason};
use crate::lp_result;

/// An initialised controller: an opaque view of the memory given to `lp_controller_init`.
/// It holds no pointer to anything outside that memory.
pub struct lp_controller {
    _opaque: [u8; 0],
}

/// A list inside the controller memory, as core's `Config` wants it (`AsRef<[T]>`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct InMemory<T> {
    ptr: NonNull<T>,
    len: usize,
}

impl<T> AsRef<[T]> for InMemory<T> {
    fn as_ref(&self) -> &[T] {
        // SAFETY: an `InMemory` is only made by `init` over `len` initialised, aligned `T`s in the
        // controller memory, which no `&mut` ever covers afterwards (the mutable arrays lie
        // elsewhere). The caller keeps the memory in place while it uses the controller (API
        // contract; moved memory is refused before any use, see `Header::base`).
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

/// `"LPCTRL"` and the ABI version: marks initialised controller memory.
const MAGIC: u64 = 0x4C50_4354_524C_0000 | crate::LP_ABI_VERSION as u64;

/// Offsets (bytes from the start of the memory) of the arrays, and the total size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub points: usize,
    pub nodes: usize,
    pub point_config: usize,
    pub node_config: usize,
    pub point_state: usize,
    pub node_state: usize,
    pub point_site: usize,
    pub node_site: usize,
    pub point_work: usize,
    pub node_work: usize,
    pub point_inputs: usize,
    pub node_inputs: usize,
    pub point_output: usize,
    pub size: usize,
}

impl Layout {
    /// The layout for `points` and `nodes`, or `None` when a count is 0 or above core's maximum.
    pub(crate) fn new(points: usize, nodes: usize) -> Option<Layout> {
        if !(1..=MAX_POINTS).contains(&points) || !(1..=MAX_NODES).contains(&nodes) {
            return None;
        }
        let mut end = size_of::<Header>();
        let mut place = |align: usize, size: usize, count: usize| -> Option<usize> {
            let at = end.checked_next_multiple_of(align)?;
            end = at.checked_add(size.checked_mul(count)?)?;
            Some(at)
        };
        let point_config = place(align_of::<PointConfig>(), size_of::<PointConfig>(), points)?;
        let node_config = place(align_of::<NodeConfig>(), size_of::<NodeConfig>(), nodes)?;
        let point_state = place(align_of::<PointState>(), size_of::<PointState>(), points)?;
        let node_state = place(align_of::<NodeState>(), size_of::<NodeState>(), nodes)?;
        // The site-meter memory (LB-14) is placed whatever the configuration: the size is
        // known before the configuration is.
        let point_site = place(align_of::<PointSite>(), size_of::<PointSite>(), points)?;
        let node_site = place(align_of::<NodeSite>(), size_of::<NodeSite>(), nodes)?;
        let point_work = place(align_of::<PointWork>(), size_of::<PointWork>(), points)?;
        let node_work = place(align_of::<NodeWork>(), size_of::<NodeWork>(), nodes)?;
        let point_inputs = place(align_of::<PointInputs>(), size_of::<PointInputs>(), points)?;
        let node_inputs = place(align_of::<NodeInputs>(), size_of::<NodeInputs>(), nodes)?;
        let point_output = place(align_of::<PointOutput>(), size_of::<PointOutput>(), points)?;
        Some(Layout {
            points,
            nodes,
            point_config,
            node_config,
            point_state,
            node_state,
            point_site,
            node_site,
            point_work,
            node_work,
            point_inputs,
            node_inputs,
            point_output,
            size: end,
        })
    }
}

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// Alignment every controller memory needs: the largest of its parts.
const ALIGN: usize = max(
    max(
        max(align_of::<Header>(), align_of::<PointConfig>()),
        max(align_of::<NodeConfig>(), align_of::<PointState>()),
    ),
    max(
        max(align_of::<NodeState>(), align_of::<PointInputs>()),
        max(
            max(align_of::<NodeInputs>(), align_of::<PointOutput>()),
            max(
                max(align_of::<PointSite>(), align_of::<NodeSite>()),
                max(align_of::<PointWork>(), align_of::<NodeWork>()),
            ),
        ),
    ),
);

/// cbindgen:ignore
/// The start of the controller memory. `magic` and `base` come first so that they can be read
/// before anything else is trusted.
#[repr(C)]
pub(crate) struct Header {
    magic: u64,
    base: usize,
    pub poisoned: bool,
    pub layout: Layout,
    pub config: Config<InMemory<PointConfig>, InMemory<NodeConfig>>,
    pub station: StationState,
    pub station_out: StationOutput,
    pub station_work: StationWork,
}

/// The parts of an initialised controller, borrowed for one call.
pub(crate) struct Parts<'a> {
    pub header: &'a mut Header,
    pub point_state: &'a mut [PointState],
    pub node_state: &'a mut [NodeState],
    pub point_site: &'a mut [PointSite],
    pub node_site: &'a mut [NodeSite],
    pub point_work: &'a mut [PointWork],
    pub node_work: &'a mut [NodeWork],
    pub point_inputs: &'a mut [PointInputs],
    pub node_inputs: &'a mut [NodeInputs],
    pub point_output: &'a mut [PointOutput],
}

/// Checks that `ctl` is an initialised controller at its own address and borrows its parts.
///
/// # Safety
/// `ctl` is NULL or a pointer the caller got from `lp_controller_init` (or any pointer to at
/// least 16 readable bytes); no other reference to the controller memory is alive.
pub(crate) unsafe fn parts<'a>(ctl: *mut lp_controller) -> Result<Parts<'a>, lp_result> {
    if ctl.is_null() {
        return Err(lp_result::LP_NULL_ARGUMENT);
    }
    let h = ctl.cast::<Header>();
    if !h.is_aligned() {
        return Err(lp_result::LP_MISALIGNED);
    }
    // SAFETY: aligned and non-null; `magic` and `base` are plain integers, valid for any bytes,
    // read without forming a reference to the (maybe uninitialised) header.
    let (magic, base) = unsafe { (addr_of!((*h).magic).read(), addr_of!((*h).base).read()) };
    if magic != MAGIC || base != ctl as usize {
        return Err(lp_result::LP_NOT_INITIALIZED);
    }
    // SAFETY: the magic and address say `init` wrote a complete header here and the memory has
    // not moved; the caller holds no other reference to it.
    let header = unsafe { &mut *h };
    if header.poisoned {
        return Err(lp_result::LP_PANIC);
    }
    let l = header.layout;
    let mem = ctl.cast::<u8>();
    // SAFETY: `init` placed `l.points` / `l.nodes` initialised values of each type at these
    // aligned offsets, inside the memory it was given; the arrays do not overlap each other or
    // the header, so the mutable borrows are disjoint.
    unsafe {
        Ok(Parts {
            header,
            point_state: slice_at(mem, l.point_state, l.points),
            node_state: slice_at(mem, l.node_state, l.nodes),
            point_site: slice_at(mem, l.point_site, l.points),
            node_site: slice_at(mem, l.node_site, l.nodes),
            point_work: slice_at(mem, l.point_work, l.points),
            node_work: slice_at(mem, l.node_work, l.nodes),
            point_inputs: slice_at(mem, l.point_inputs, l.points),
            node_inputs: slice_at(mem, l.node_inputs, l.nodes),
            point_output: slice_at(mem, l.point_output, l.points),
        })
    }
}

/// # Safety
/// `len` initialised, aligned `T`s lie at `mem + offset`, borrowed by nothing else.
unsafe fn slice_at<'a, T>(mem: *mut u8, offset: usize, len: usize) -> &'a mut [T] {
    // SAFETY: per the function contract.
    unsafe { core::slice::from_raw_parts_mut(mem.add(offset).cast::<T>(), len) }
}

/// # Safety
/// `mem + offset` is inside the memory given to `init`, aligned for `T`, with room for `len`.
unsafe fn fill<T: Copy>(mem: *mut u8, offset: usize, len: usize, value: &T) {
    let at = mem.wrapping_add(offset).cast::<T>();
    for i in 0..len {
        // SAFETY: per the function contract; `write` does not read the old contents.
        unsafe { at.add(i).write(*value) };
    }
}

/// A point or node index or count as C sees it; they are at most 4096 (`Layout::new`).
fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Writes `e` to `err_out` when the caller asked for details.
///
/// # Safety
/// `err_out` is NULL or valid for writing one `lp_config_error`.
unsafe fn report(err_out: *mut lp_config_error, e: lp_config_error) {
    if !err_out.is_null() && err_out.is_aligned() {
        // SAFETY: per the function contract.
        unsafe { err_out.write(e) };
    }
}

/// Memory (bytes) a controller of `points` points and `nodes` tree nodes needs, written to
/// `*size_out`; allocate it aligned to `lp_controller_align()`. `LP_BAD_LENGTH` when a count is
/// 0 or above 4096.
///
/// # Safety
/// `size_out` is NULL or valid for writing one `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_controller_size(
    points: u32,
    nodes: u32,
    size_out: *mut usize,
) -> lp_result {
    crate::guard(|| {
        if size_out.is_null() {
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !size_out.is_aligned() {
            return lp_result::LP_MISALIGNED;
        }
        let (Ok(p), Ok(n)) = (usize::try_from(points), usize::try_from(nodes)) else {
            return lp_result::LP_BAD_LENGTH;
        };
        match Layout::new(p, n) {
            Some(l) => {
                // SAFETY: non-null and aligned (checked), writable per the contract.
                unsafe { size_out.write(l.size) };
                lp_result::LP_OK
            }
            None => lp_result::LP_BAD_LENGTH,
        }
    })
}

/// Alignment (bytes) the controller memory needs (a power of two, 8 on common targets).
#[unsafe(no_mangle)]
pub extern "C" fn lp_controller_align() -> usize {
    ALIGN
}

/// Validates `*config` and places a controller in `mem` (`len` bytes, at least
/// `lp_controller_size(config->points_len, config->nodes_len)`, aligned to
/// `lp_controller_align()`): a copy of the validated configuration, the state of a fresh start
/// (SU-1: every contactor open, +12 V) and the outputs. On `LP_OK`, `*controller_out` is the
/// controller (an alias of `mem`); `config` and its arrays may be freed afterwards.
///
/// `LP_CONFIG_INVALID`: the configuration was refused and, if `err_out` is not NULL,
/// `*err_out` names the first wrong field. On any error `*controller_out` is NULL and `mem`
/// holds no controller (a controller that lived there before is gone).
///
/// The memory belongs to the caller; it must stay in place and untouched while the controller
/// is used (a controller copied or moved elsewhere is refused with `LP_NOT_INITIALIZED`).
/// There is nothing to free: stop calling `lp_step` and reuse the memory.
///
/// # Safety
/// `mem` is NULL or valid for reading and writing `len` bytes; `config` is NULL or points to an
/// `lp_config` whose `points` / `nodes` are NULL or valid for reading `points_len` /
/// `nodes_len` elements; `err_out` and `controller_out` are NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_controller_init(
    mem: *mut core::ffi::c_void,
    len: usize,
    config: *const lp_config,
    err_out: *mut lp_config_error,
    controller_out: *mut *mut lp_controller,
) -> lp_result {
    crate::guard(|| {
        if controller_out.is_null() {
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !controller_out.is_aligned() {
            return lp_result::LP_MISALIGNED;
        }
        // SAFETY: non-null and aligned (checked), writable per the contract.
        unsafe { controller_out.write(core::ptr::null_mut()) };
        // SAFETY: forwarded contract.
        let r = unsafe { init(mem, len, config, err_out, true) };
        if r == lp_result::LP_OK {
            // SAFETY: as above.
            unsafe { controller_out.write(mem.cast()) };
        }
        r
    })
}

/// Validates `*config` exactly as `lp_controller_init` does, using `mem` (`len` bytes, sized
/// and aligned as for `lp_controller_init`) as scratch, and keeps nothing: `mem` holds no
/// controller afterwards. For checking a configuration before storing it. Results as for
/// `lp_controller_init`.
///
/// # Safety
/// As for `lp_controller_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_config_check(
    config: *const lp_config,
    mem: *mut core::ffi::c_void,
    len: usize,
    err_out: *mut lp_config_error,
) -> lp_result {
    // SAFETY: forwarded contract.
    crate::guard(|| unsafe { init(mem, len, config, err_out, false) })
}

/// The work of `lp_controller_init` and `lp_config_check`.
///
/// # Safety
/// As for `lp_controller_init`.
unsafe fn init(
    mem: *mut core::ffi::c_void,
    len: usize,
    config: *const lp_config,
    err_out: *mut lp_config_error,
    keep: bool,
) -> lp_result {
    // SAFETY: forwarded contract.
    unsafe { report(err_out, lp_config_error::NONE) };
    if mem.is_null() || config.is_null() {
        return lp_result::LP_NULL_ARGUMENT;
    }
    let mem = mem.cast::<u8>();
    if !config.is_aligned() || mem.align_offset(ALIGN) != 0 {
        return lp_result::LP_MISALIGNED;
    }
    // SAFETY: non-null, aligned, readable per the contract; `lp_config` holds only integers and
    // raw pointers, valid for any bytes. Copied so that nothing borrows the caller's memory.
    let c: lp_config = unsafe { config.read() };
    let refuse = |e: lp_config_error| {
        // SAFETY: forwarded contract.
        unsafe { report(err_out, e) };
        lp_result::LP_CONFIG_INVALID
    };
    let count = |field, n: u32, max: usize| {
        let e = lp_config_error {
            value: n.into(),
            min: 1,
            max: u64::try_from(max).unwrap_or(u64::MAX),
            ..lp_config_error::new(field, LP_NO_INDEX, lp_config_reason::LP_CONFIG_REASON_COUNT)
        };
        refuse(e)
    };
    let (points, nodes) = (c.points_len as usize, c.nodes_len as usize);
    if !(1..=MAX_POINTS).contains(&points) {
        return count(lp_config_field::LP_FIELD_POINTS, c.points_len, MAX_POINTS);
    }
    if !(1..=MAX_NODES).contains(&nodes) {
        return count(lp_config_field::LP_FIELD_NODES, c.nodes_len, MAX_NODES);
    }
    for (ptr_null, aligned, field) in [
        (
            c.points.is_null(),
            c.points.is_aligned(),
            lp_config_field::LP_FIELD_POINTS,
        ),
        (
            c.nodes.is_null(),
            c.nodes.is_aligned(),
            lp_config_field::LP_FIELD_NODES,
        ),
    ] {
        if ptr_null {
            let e = lp_config_error::new(
                field,
                LP_NO_INDEX,
                lp_config_reason::LP_CONFIG_REASON_NULL_LIST,
            );
            // SAFETY: forwarded contract.
            unsafe { report(err_out, e) };
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !aligned {
            return lp_result::LP_MISALIGNED;
        }
    }
    let Some(l) = Layout::new(points, nodes) else {
        return lp_result::LP_BAD_LENGTH;
    };
    if len < l.size {
        return lp_result::LP_BUFFER_TOO_SMALL;
    }
    let h = mem.cast::<Header>();
    // From here on the memory is ours: first make sure it is no controller while it is rebuilt.
    // SAFETY: `mem` is aligned for `Header` and has room for it (len ≥ size ≥ header).
    unsafe { addr_of_mut!((*h).magic).write(0) };

    let pc = mem.wrapping_add(l.point_config).cast::<PointConfig>();
    for i in 0..points {
        // SAFETY: `c.points` is non-null, aligned and readable for `points_len` elements per the
        // contract; read by value, so no reference to the caller's memory is held.
        let cp = unsafe { c.points.add(i).read() };
        match point_config(&cp, index_u32(i)) {
            // SAFETY: inside the memory (layout), aligned for `PointConfig`.
            Ok(p) => unsafe { pc.add(i).write(p) },
            Err(e) => return refuse(e),
        }
    }
    let nc = mem.wrapping_add(l.node_config).cast::<NodeConfig>();
    for i in 0..nodes {
        // SAFETY: as for the points.
        let cn = unsafe { c.nodes.add(i).read() };
        match node_config(&cn, index_u32(i)) {
            // SAFETY: inside the memory (layout), aligned for `NodeConfig`.
            Ok(n) => unsafe { nc.add(i).write(n) },
            Err(e) => return refuse(e),
        }
    }
    // Non-null: derived from the non-null `mem`.
    let (Some(pc), Some(nc)) = (NonNull::new(pc), NonNull::new(nc)) else {
        return lp_result::LP_NULL_ARGUMENT;
    };
    let lists = (
        InMemory {
            ptr: pc,
            len: points,
        },
        InMemory {
            ptr: nc,
            len: nodes,
        },
    );
    let raw = match raw_config(&c, lists.0, lists.1) {
        Ok(raw) => raw,
        Err(e) => return refuse(e),
    };
    let config = match Config::new(raw) {
        Ok(config) => config,
        Err(e) => return refuse(e.into()),
    };
    if !keep {
        return lp_result::LP_OK;
    }
    // SAFETY: every offset comes from the layout, inside `l.size ≤ len` bytes, aligned.
    unsafe {
        // From constants: the initial values are copied from read-only memory, not built on
        // the stack (the working memory of a point is 440 bytes).
        fill(mem, l.point_state, points, &const { PointState::new() });
        fill(mem, l.node_state, nodes, &const { NodeState::new() });
        fill(mem, l.point_site, points, &const { PointSite::new() });
        fill(mem, l.node_site, nodes, &const { NodeSite::new() });
        fill(mem, l.point_work, points, &const { PointWork::new() });
        fill(mem, l.node_work, nodes, &const { NodeWork::new() });
        fill(mem, l.point_inputs, points, &PointInputs::default());
        fill(mem, l.node_inputs, nodes, &NodeInputs::default());
        fill(mem, l.point_output, points, &PointOutput::default());
        h.write(Header {
            magic: MAGIC,
            base: mem as usize,
            poisoned: false,
            layout: l,
            config,
            station: StationState::new(),
            station_out: StationOutput::default(),
            station_work: StationWork::new(),
        });
    }
    lp_result::LP_OK
}

/// Resets the controller's state as after a power return (SU-1: contactors open, sessions
/// gone, start stagger again); the configuration stays.
///
/// # Safety
/// `controller` is NULL or was returned by `lp_controller_init`; not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_controller_reset(controller: *mut lp_controller) -> lp_result {
    crate::guard(|| {
        // SAFETY: forwarded contract.
        let p = match unsafe { parts(controller) } {
            Ok(p) => p,
            Err(r) => return r,
        };
        p.point_state.fill(PointState::new());
        p.node_state.fill(NodeState::new());
        p.point_site.fill(PointSite::new());
        p.node_site.fill(NodeSite::new());
        p.point_work.fill(PointWork::new());
        p.node_work.fill(NodeWork::new());
        p.header.station_work = StationWork::new();
        p.point_inputs.fill(PointInputs::default());
        p.node_inputs.fill(NodeInputs::default());
        p.point_output.fill(PointOutput::default());
        p.header.station = StationState::new();
        p.header.station_out = StationOutput::default();
        lp_result::LP_OK
    })
}

/// Writes the configured number of points and nodes of `controller` (the lengths `lp_step`
/// expects) to `*points_out` and `*nodes_out`.
///
/// # Safety
/// `controller` is NULL or was returned by `lp_controller_init`; the out-pointers are NULL or
/// valid for writing one `uint32_t` each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lp_controller_counts(
    controller: *mut lp_controller,
    points_out: *mut u32,
    nodes_out: *mut u32,
) -> lp_result {
    crate::guard(|| {
        if points_out.is_null() || nodes_out.is_null() {
            return lp_result::LP_NULL_ARGUMENT;
        }
        if !points_out.is_aligned() || !nodes_out.is_aligned() {
            return lp_result::LP_MISALIGNED;
        }
        // SAFETY: forwarded contract.
        let p = match unsafe { parts(controller) } {
            Ok(p) => p,
            Err(r) => return r,
        };
        let l = p.header.layout;
        let (np, nn) = (index_u32(l.points), index_u32(l.nodes));
        // SAFETY: non-null and aligned (checked), writable per the contract.
        unsafe {
            points_out.write(np);
            nodes_out.write(nn);
        }
        lp_result::LP_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the memory sizing of the issue: grows with the counts, refuses 0 and > 4096.
    #[test]
    fn layout_grows_with_counts_and_refuses_bad_counts() {
        let a = Layout::new(1, 1).unwrap();
        let b = Layout::new(2, 1).unwrap();
        let c = Layout::new(1024, 64).unwrap();
        assert!(a.size < b.size && b.size < c.size);
        assert_eq!(Layout::new(0, 1), None);
        assert_eq!(Layout::new(1, 0), None);
        assert_eq!(Layout::new(MAX_POINTS + 1, 1), None);
        assert!(Layout::new(MAX_POINTS, MAX_NODES).is_some());
        for l in [a, b, c] {
            for (off, align) in [
                (l.point_config, align_of::<PointConfig>()),
                (l.node_config, align_of::<NodeConfig>()),
                (l.point_state, align_of::<PointState>()),
                (l.node_state, align_of::<NodeState>()),
                (l.point_site, align_of::<PointSite>()),
                (l.node_site, align_of::<NodeSite>()),
                (l.point_work, align_of::<PointWork>()),
                (l.node_work, align_of::<NodeWork>()),
                (l.point_inputs, align_of::<PointInputs>()),
                (l.node_inputs, align_of::<NodeInputs>()),
                (l.point_output, align_of::<PointOutput>()),
            ] {
                assert_eq!(off % align, 0);
                assert!(align <= ALIGN);
                assert!(off >= size_of::<Header>() && off < l.size);
            }
        }
        assert!(ALIGN.is_power_of_two());
    }
}
