//! Core's working memory: per point, per node and for the station, rewritten by every step
//! before it is read (see [`PointWork`]), but for its memos, each used only where it is exact:
//! the water-filling's (`FillMemo`), a point's step (`QuietMemo`) and the station's
//! (`StationWork`). Lost or shared between stations, it costs time, never a result.

use crate::cp::CableStatus;
use crate::state::{PointState, Run, Stamp};
use crate::types::AllocReason;

/// A point's working memory for one step: rewritten by every step before it is read, so it
/// need not be kept between steps (stations stepped one after another may share one). The
/// exceptions are two memos, each used only where it is exact: the last water-filling
/// (`FillMemo`), used where every input of the water-filling equals the memo's, and the point's
/// last step that changed nothing of it (`QuietMemo`), used where its keys equal this step's.
/// Kept, they save recomputing what did not change; lost or overwritten, the step computes it
/// afresh, with the same result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct PointWork {
    // What the preparation writes (`Prepared`), first and in its order (`repr(C)`, both): the
    // memo's `Prepared::apply` is then a copy of one block.
    pub(crate) ceil: u32,
    pub(crate) min: u32,
    pub(crate) mask: u8, // supply phases loaded
    pub(crate) wants: bool,
    pub(crate) vip: bool,
    pub(crate) domestic: bool,
    pub(crate) cable_fault: bool,
    pub(crate) immediate: bool,
    pub(crate) cable: CableStatus,
    pub(crate) ceil_reason: AllocReason,
    pub(crate) reason: AllocReason,
    pub(crate) in_s: bool,
    pub(crate) frozen: bool,
    pub(crate) has_meas: bool,
    pub(crate) tried: bool,
    /// The transfer may raise this point now (its target is above its allocation and the rise
    /// interval does not hold it).
    pub(crate) rises: bool,
    pub(crate) node: u16,
    pub(crate) target: u32,
    pub(crate) measured: [u32; 3], // per supply phase
    pub(crate) order: u64,         // a slot of the start order (shed.rs), not about this point
    /// What the point's state was after its preparation (`deadline::point_deadline`).
    pub(crate) front: Front,
    pub(crate) memo: FillMemo,
    pub(crate) quiet: QuietMemo,
}

/// One point's memo of its last step, in two parts (quiet.rs, drive.rs). `prep`: the
/// preparation from `state` with `inputs`, under the conditions `cond` and the configuration
/// (`fingerprint`, and `index` for the point's own part), leaves `state` as it was (but for
/// the metering and the offer's expiry, see `same_state`) and writes `out` (with `lost`), and no
/// timer it reads runs out before the stamp `until`. `fin`: the outputs of that state with the
/// step's decisions `mid` are `output` (its energy aside), they too leave the state as it was,
/// and no timer they read runs out before `fin_until`. Either claim is a fact about a pure
/// function of what the memo holds, so it may be used in any later step whose keys equal the
/// memo's, whatever ran in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct QuietMemo {
    pub(crate) prep: bool,
    pub(crate) fin: bool,
    /// This step's preparation came from the memo.
    pub(crate) used: bool,
    /// This step's outputs came from the memo.
    pub(crate) fin_used: bool,
    /// The generation (`StationWork::generation`, its low 32 bits) of the last step that settled
    /// the station (this point ending it with its memos, see `step`).
    pub(crate) settled: u32,
    pub(crate) cond: u8,
    /// The stamps until which each part holds (see `quiet::prep_until`, `drive::fin_until`).
    pub(crate) until: u64,
    pub(crate) fin_until: u64,
    /// The point's deadline (`deadline::point_deadline`) with the memo of its outputs: the same in
    /// every step whose outputs come from it, until it is reached.
    pub(crate) deadline: u64,
    pub(crate) deadline_sample: bool,
    pub(crate) out: Prepared,
    pub(crate) mid: Mid,
    pub(crate) fingerprint: u64,
    /// The point's index (its configuration is the fingerprint's).
    pub(crate) index: usize,
    pub(crate) inputs: crate::io::PointInputs,
    /// Bands around readings that the preparation reads as it read those of `inputs`, once a
    /// step made them (`quiet::read_alike`).
    pub(crate) bands: crate::readings::Bands,
    pub(crate) state: PointState,
    pub(crate) output: crate::io::PointOutput,
}

/// The part of a point's state that the passes and the outputs write and a step's preparation
/// reads (the running state, allocation and offer, which the idle, over-current, diode and weld
/// checks read, and the bits): where a step changed it after the preparation, the next step's
/// preparation sees something new though no input changed, so it is due at once
/// (`deadline::point_deadline`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Front {
    pub(crate) bits: u64,
    pub(crate) alloc_ma: u32,
    pub(crate) offer_ma: u32,
    pub(crate) offer_high_ma: u32,
    pub(crate) run: Run,
}

impl Front {
    #[inline(always)]
    pub(crate) fn of(p: &PointState) -> Self {
        Front {
            bits: p.bits,
            alloc_ma: p.alloc_ma,
            offer_ma: p.offer_ma,
            offer_high_ma: p.offer_high_ma,
            run: p.run,
        }
    }
}

/// What the step's passes between a point's preparation and its outputs decide for it, as the
/// outputs read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Mid {
    pub(crate) immediate: bool,
    pub(crate) wants: bool,
    pub(crate) reason: AllocReason,
    pub(crate) node: u16,
}

impl Mid {
    /// The decisions in `w`.
    #[inline(always)]
    pub(crate) fn of(w: &PointWork) -> Self {
        Mid {
            immediate: w.immediate,
            wants: w.wants,
            reason: w.reason,
            node: w.node,
        }
    }

    /// Writes these decisions into `w`.
    #[inline(always)]
    pub(crate) fn restore(self, w: &mut PointWork) {
        w.immediate = self.immediate;
        w.wants = self.wants;
        w.reason = self.reason;
        w.node = self.node;
    }
}

impl Prepared {
    /// What the preparation wrote to `w`, and whether it found the point's set point lost.
    #[inline(always)]
    pub(crate) fn of(w: &PointWork, lost: bool) -> Self {
        Prepared {
            ceil: w.ceil,
            min: w.min,
            mask: w.mask,
            wants: w.wants,
            vip: w.vip,
            domestic: w.domestic,
            cable_fault: w.cable_fault,
            immediate: w.immediate,
            cable: w.cable,
            ceil_reason: w.ceil_reason,
            reason: w.reason,
            lost,
        }
    }

    /// Writes it to `w` again (and no binding node, as the preparation does).
    #[inline(always)]
    pub(crate) fn apply(self, w: &mut PointWork) {
        w.ceil = self.ceil;
        w.min = self.min;
        w.mask = self.mask;
        w.wants = self.wants;
        w.vip = self.vip;
        w.domestic = self.domestic;
        w.cable_fault = self.cable_fault;
        w.immediate = self.immediate;
        w.cable = self.cable;
        w.ceil_reason = self.ceil_reason;
        w.reason = self.reason;
        w.node = crate::io::NO_NODE;
    }
}

/// What a point's preparation writes to its working memory (in `PointWork`'s order), and whether
/// it found the point's set point lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub(crate) struct Prepared {
    pub(crate) ceil: u32,
    pub(crate) min: u32,
    pub(crate) mask: u8,
    pub(crate) wants: bool,
    pub(crate) vip: bool,
    pub(crate) domestic: bool,
    pub(crate) cable_fault: bool,
    pub(crate) immediate: bool,
    pub(crate) cable: CableStatus,
    pub(crate) ceil_reason: AllocReason,
    pub(crate) reason: AllocReason,
    /// EX-1: the point's set point is lost (the preparation's return value; not applied).
    pub(crate) lost: bool,
}

/// One point's part of the memo of the last water-filling (balance.rs): what it read from the
/// point and what it wrote. Valid only together with every other point's and node's part of the
/// same computation: all carry its mark (the low 32 bits of the generation of the step that made
/// it, `StationWork`; 0: no memo), so that parts of different steps put together are not taken
/// for one memo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct FillMemo {
    pub(crate) mark: u32,
    pub(crate) in_s: bool,
    pub(crate) vip: bool,
    pub(crate) mask: u8,
    pub(crate) ceil_reason: AllocReason,
    pub(crate) reason: AllocReason,
    pub(crate) at_node: u16,
    pub(crate) node: u16,
    pub(crate) min: u32,
    pub(crate) ceil: u32,
    pub(crate) target: u32,
}

impl FillMemo {
    /// No memo.
    pub const fn new() -> Self {
        FillMemo {
            mark: 0,
            in_s: false,
            vip: false,
            mask: 0,
            ceil_reason: AllocReason::NoVehicle,
            reason: AllocReason::NoVehicle,
            at_node: 0,
            node: 0,
            min: 0,
            ceil: 0,
            target: 0,
        }
    }
}

impl PointWork {
    /// Whether the last step took this point's preparation and its outputs from the memo of
    /// its step (the working memory's `QuietMemo`): for tests and benchmarks that check that the
    /// memo is used. Either way the step's result is the same.
    #[doc(hidden)]
    pub fn from_memo(&self) -> (bool, bool) {
        (self.quiet.used, self.quiet.fin_used)
    }
}

impl Default for PointWork {
    fn default() -> Self {
        Self::new()
    }
}

impl PointWork {
    /// Working memory for one point.
    pub const fn new() -> Self {
        PointWork {
            ceil: 0,
            min: 0,
            target: 0,
            measured: [0; 3],
            mask: 0,
            wants: false,
            in_s: false,
            frozen: false,
            vip: false,
            has_meas: false,
            domestic: false,
            cable_fault: false,
            cable: CableStatus::NotPlugged,
            immediate: false,
            tried: false,
            rises: false,
            ceil_reason: AllocReason::NoVehicle,
            reason: AllocReason::NoVehicle,
            node: 0,
            order: 0,
            front: Front {
                bits: 0,
                alloc_ma: 0,
                offer_ma: 0,
                offer_high_ma: 0,
                run: Run::Idle,
            },
            memo: FillMemo::new(),
            quiet: QuietMemo {
                prep: false,
                fin: false,
                used: false,
                fin_used: false,
                settled: 0,
                cond: 0,
                until: 0,
                fin_until: 0,
                deadline: 0,
                deadline_sample: false,
                out: Prepared {
                    ceil: 0,
                    min: 0,
                    mask: 0,
                    wants: false,
                    vip: false,
                    domestic: false,
                    cable_fault: false,
                    immediate: false,
                    cable: CableStatus::NotPlugged,
                    ceil_reason: AllocReason::NoVehicle,
                    reason: AllocReason::NoVehicle,
                    lost: false,
                },
                mid: Mid {
                    immediate: false,
                    wants: false,
                    reason: AllocReason::NoVehicle,
                    node: 0,
                },
                fingerprint: 0,
                index: usize::MAX,
                inputs: crate::io::PointInputs::DEFAULT,
                bands: crate::readings::Bands::NONE,
                state: PointState::new(),
                output: crate::io::PointOutput::DEFAULT,
            },
        }
    }
}

/// A node's working memory for one step (see [`PointWork`]): its limit this step and the sums
/// of the points beneath it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeWork {
    pub(crate) lim: [u32; 3],
    pub(crate) lim_reason: [AllocReason; 3],
    pub(crate) used: [u32; 3],
    pub(crate) sum_min: [u32; 3],
    pub(crate) sum_vip: [u32; 3],
    pub(crate) cnt: [u32; 3],
    /// Depth in the tree (0: the root), written every step (tree.rs).
    pub(crate) depth: u8,
    /// This node's part of the memo of the last water-filling: its mark (`FillMemo::mark`), and
    /// the limits and parent it read.
    pub(crate) memo_mark: u32,
    pub(crate) memo_lim_reason: [AllocReason; 3],
    pub(crate) memo_parent: Option<u16>,
    pub(crate) memo_lim: [u32; 3],
    /// The generation (`StationWork`) of the last step that ran the passes between the points'
    /// preparation and their outputs (the limits they read are the water-filling memo's).
    pub(crate) seen_gen: u64,
}

impl NodeWork {
    /// Working memory for one node.
    pub const fn new() -> Self {
        NodeWork {
            lim: [0; 3],
            lim_reason: [AllocReason::NodeLimit; 3],
            used: [0; 3],
            sum_min: [0; 3],
            sum_vip: [0; 3],
            cnt: [0; 3],
            depth: 0,
            memo_mark: 0,
            memo_lim_reason: [AllocReason::NodeLimit; 3],
            memo_parent: None,
            memo_lim: [0; 3],
            seen_gen: 0,
        }
    }
}

/// The working memory of the whole station: the memo of the passes between the points'
/// preparation and their outputs (running states, selection, water-filling, transfer), which a
/// step that finds everything they read as the last step left it repeats instead of running
/// them (see `step`). Like the rest of the working memory it need not be kept: 64 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StationWork {
    /// Counts the steps that ran those passes on this working memory: the points and nodes
    /// are marked with it, so that parts of a working memory from different steps are told
    /// apart.
    pub(crate) generation: u64,
    /// The last step left every point and node as it found them and may be repeated.
    pub(crate) settled: bool,
    /// The last step was such a repetition.
    pub(crate) repeated: bool,
    /// The station's conditions (`step::Conditions::bits`) in the last step.
    pub(crate) cond: u8,
    /// Until when (ms) the rotation (LB-13) stays as it was: its next turn. (The rise intervals
    /// (PS-5) and the waiting points' start holds (LB-6, SU-1) that the passes read are among
    /// the points' timers, `timers`.)
    pub(crate) hold: u64,
    /// The configuration's hash (`General::fingerprint`) that step ran under.
    pub(crate) fingerprint: u64,
    /// The points' deadlines in that step (`deadline::point_deadline`): the earliest timer (ms),
    /// which a repetition comes before, and whether one is stepped again within a sample period.
    pub(crate) timers: u64,
    pub(crate) sample: bool,
    /// The clock that step read: epoch, start and last rotation.
    pub(crate) epoch_ms: u64,
    pub(crate) start: Stamp,
    pub(crate) last_rotation: Stamp,
}

impl StationWork {
    /// Whether the last step repeated the passes' decisions of the step before (`step`): for
    /// tests and benchmarks that check that the station's memo is used. Either way the step's
    /// result is the same.
    #[doc(hidden)]
    pub fn repeated(&self) -> bool {
        self.repeated
    }

    /// Fresh working memory for the station.
    pub const fn new() -> Self {
        StationWork {
            generation: 0,
            settled: false,
            repeated: false,
            cond: 0,
            hold: 0,
            fingerprint: 0,
            timers: 0,
            sample: false,
            epoch_ms: 0,
            start: Stamp(0),
            last_rotation: Stamp(0),
        }
    }
}
