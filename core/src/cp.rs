//! The pilot front end: classification of the measured control-pilot levels with hysteresis and
//! asymmetric debounce (PS-1), the diode check (PS-2), the EVSE status names (PS-6), and the
//! proximity-pin cable bands (CAB-2).
//!
//! Levels are in mV. Bands are half-open `[low, high)` (IEC 61851-1 Table A.4 tolerance bands;
//! the edges between A, B, C, D and E are the midpoints between them), except A, whose top
//! 13 500 mV is included. Between two adjacent valid states, leaving the believed state needs the
//! boundary crossed by 300 mV; next to "unknown" there is no hysteresis.

use crate::general::General;
use crate::io::CpReading;
use crate::state::{PointState, Stamp, StationState, bits};
use crate::types::VehicleState;

/// Hysteresis between adjacent pilot states (mV, PS-1).
pub const HYSTERESIS_MV: i32 = 300;

/// The state a high level falls in, with no hysteresis (PS-1).
pub const fn classify_raw(high_mv: i32) -> VehicleState {
    match high_mv {
        10_500..=13_500 => VehicleState::A,
        7_500..10_500 => VehicleState::B,
        4_500..7_500 => VehicleState::C,
        1_500..4_500 => VehicleState::D,
        -1_500..1_500 => VehicleState::E,
        -13_500..-10_500 => VehicleState::F,
        _ => VehicleState::Unknown,
    }
}

/// The boundary (mV) between two adjacent valid states of the A–E chain, if they are adjacent.
const fn boundary(a: VehicleState, b: VehicleState) -> Option<i32> {
    use VehicleState::{A, B, C, D, E};
    match (a, b) {
        (A, B) | (B, A) => Some(10_500),
        (B, C) | (C, B) => Some(7_500),
        (C, D) | (D, C) => Some(4_500),
        (D, E) | (E, D) => Some(1_500),
        _ => None,
    }
}

/// The state of a high level given the state now believed (PS-1): a level just past the
/// boundary to an adjacent state, by less than the hysteresis, keeps the believed state.
pub fn classify(high_mv: i32, believed: VehicleState) -> VehicleState {
    let raw = classify_raw(high_mv);
    let Some(b) = boundary(believed, raw) else {
        return raw;
    };
    // The states run from A (high) down to E (low).
    let leaving_down = (raw as u8) > (believed as u8);
    let within = if leaving_down {
        high_mv >= b.saturating_sub(HYSTERESIS_MV)
    } else {
        high_mv < b.saturating_add(HYSTERESIS_MV)
    };
    if within { believed } else { raw }
}

/// Whether a low level shows a working vehicle diode while PWM is on (PS-2): −13 500 ..< −10 500.
pub const fn diode_ok(low_mv: i32) -> bool {
    matches!(low_mv, -13_500..-10_500)
}

/// Whether a state is one the pilot may move to quickly (PS-1): A, B, E, F, unknown.
pub const fn is_safer(s: VehicleState) -> bool {
    !matches!(s, VehicleState::C | VehicleState::D)
}

/// The EVSE-side status of a point (PS-6), named after the IEC states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum EvseStatus {
    /// `A_Not_Present_12V`.
    #[default]
    ANotPresent12V = 0,
    /// `B_Present_9V`: B without PWM.
    BPresent9V = 1,
    /// `B_Present_Asked_9V_M12V`: B with PWM.
    BPresentAsked9VM12V = 2,
    /// `C_Ready_6V`: C without PWM.
    CReady6V = 3,
    /// `C_Ready_6V_M12V`: C with PWM.
    CReady6VM12V = 4,
    /// `D_Ready_VR_3V`: D without PWM.
    DReadyVR3V = 5,
    /// `D_Ready_VR_3V_M12V`: D with PWM.
    DReadyVR3VM12V = 6,
    /// `E_ShortCut`.
    EShortCut = 7,
    /// `F_NotAvailable`: F, unknown, or core drives State F.
    FNotAvailable = 8,
}

impl EvseStatus {
    /// The status for a believed pilot state, with or without PWM.
    pub const fn of(state: VehicleState, pwm: bool) -> Self {
        match (state, pwm) {
            (VehicleState::A, _) => EvseStatus::ANotPresent12V,
            (VehicleState::B, false) => EvseStatus::BPresent9V,
            (VehicleState::B, true) => EvseStatus::BPresentAsked9VM12V,
            (VehicleState::C, false) => EvseStatus::CReady6V,
            (VehicleState::C, true) => EvseStatus::CReady6VM12V,
            (VehicleState::D, false) => EvseStatus::DReadyVR3V,
            (VehicleState::D, true) => EvseStatus::DReadyVR3VM12V,
            (VehicleState::E, _) => EvseStatus::EShortCut,
            (VehicleState::F | VehicleState::Unknown, _) => EvseStatus::FNotAvailable,
        }
    }

    /// The IEC name (PS-6).
    pub const fn name(self) -> &'static str {
        match self {
            EvseStatus::ANotPresent12V => "A_Not_Present_12V",
            EvseStatus::BPresent9V => "B_Present_9V",
            EvseStatus::BPresentAsked9VM12V => "B_Present_Asked_9V_M12V",
            EvseStatus::CReady6V => "C_Ready_6V",
            EvseStatus::CReady6VM12V => "C_Ready_6V_M12V",
            EvseStatus::DReadyVR3V => "D_Ready_VR_3V",
            EvseStatus::DReadyVR3VM12V => "D_Ready_VR_3V_M12V",
            EvseStatus::EShortCut => "E_ShortCut",
            EvseStatus::FNotAvailable => "F_NotAvailable",
        }
    }
}

/// What the proximity pin says (CAB-2, SPEC §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum CableStatus {
    /// `Not_Plugged`: above 4 500 Ω.
    #[default]
    NotPlugged = 0,
    /// `13 A`: 1 100 ..= 2 460 Ω.
    A13 = 1,
    /// `20 A`: 400 ..= 936 Ω.
    A20 = 2,
    /// `32 A`: 164 ..= 308 Ω.
    A32 = 3,
    /// `63 A_OR_70 A`: 80 ..= 140 Ω (70 A on a single-phase point).
    A63Or70 = 4,
    /// Outside every band: a cable fault, no charge starts.
    Fault = 5,
}

impl CableStatus {
    /// Classifies a PP resistance (IEC 61851-1 Annex B ranges; band ends included).
    pub const fn of(ohm: u32) -> Self {
        match ohm {
            80..=140 => CableStatus::A63Or70,
            164..=308 => CableStatus::A32,
            400..=936 => CableStatus::A20,
            1_100..=2_460 => CableStatus::A13,
            4_501.. => CableStatus::NotPlugged,
            _ => CableStatus::Fault,
        }
    }

    /// The cable's capacity (mA), or `None` when no cable or a fault.
    pub const fn capacity_ma(self, single_phase: bool) -> Option<u32> {
        match self {
            CableStatus::A13 => Some(13_000),
            CableStatus::A20 => Some(20_000),
            CableStatus::A32 => Some(32_000),
            CableStatus::A63Or70 if single_phase => Some(70_000),
            CableStatus::A63Or70 => Some(63_000),
            CableStatus::NotPlugged | CableStatus::Fault => None,
        }
    }

    /// The status value shown (SPEC §4.2).
    pub const fn name(self) -> &'static str {
        match self {
            CableStatus::NotPlugged => "Not_Plugged",
            CableStatus::A13 => "13 A",
            CableStatus::A20 => "20 A",
            CableStatus::A32 => "32 A",
            CableStatus::A63Or70 => "63 A_OR_70 A",
            CableStatus::Fault => "cable fault",
        }
    }
}

/// The pilot front end of one point for one step (PS-1, PS-2, PS-7, SU-2): classifies the high
/// level against the believed state, debounces it (short towards a safer state, longer towards C
/// and D), notes when C or D was first seen (for the contactor, SU-1), and checks the diode while
/// PWM was on. Returns the believed state. While core drives the State F wake-up, and for the
/// settling window after (also when core drives F for protection devices or a welded contactor,
/// SU-2), the readings are expected to be −12 V and are not believed.
pub(crate) fn front_end(
    g: &General,
    st: &StationState,
    p: &mut PointState,
    cp: CpReading,
) -> VehicleState {
    let t = &g.timers;
    let now = st.now;
    if p.settling() && st.passed(p.f_at, t.wakeup_settle_ms) {
        p.put(bits::SETTLE, false);
    }
    if p.has(bits::WAKE | bits::F_DRIVEN) {
        // The line shows what core drives, not the vehicle: no reading is being debounced (one
        // taken before core drove F, in the step that started it, is not the vehicle's either).
        p.cand = p.vehicle;
        return p.vehicle;
    }
    let s = classify(cp.high_mv, p.vehicle);
    if p.has(bits::SETTLE) && matches!(s, VehicleState::F | VehicleState::Unknown) {
        // Settling after core drove −12 V: such a reading is expected (PS-7, SU-2); any other
        // level is the vehicle's and counts.
        return p.vehicle;
    }
    if s == p.vehicle {
        p.cand = s;
    } else if s != p.cand {
        p.cand = s;
        p.cand_since = now;
    }
    let debounce = if is_safer(p.cand) {
        t.debounce_safer_ms
    } else {
        t.debounce_charge_ms
    };
    let mut believed = p.vehicle;
    if p.cand != believed && st.passed(p.cand_since, debounce) {
        believed = p.cand;
    }
    note_charge_state(p, s, now);
    // PS-2: while PWM was on, the low level shows the EV's diode.
    if p.has(bits::PWM_WAS) && !diode_ok(cp.low_mv) {
        if !p.has(bits::DIODE_PENDING) {
            p.put(bits::DIODE_PENDING, true);
            p.diode_since = now;
        } else if st.passed(p.diode_since, t.debounce_safer_ms) {
            p.put(bits::DIODE_FAULT | bits::PILOT_FAULT, true);
        }
    } else {
        p.put(bits::DIODE_PENDING, false);
    }
    believed
}

/// Notes when the pilot (as read, before debounce) first showed C or D (SU-1).
pub(crate) fn note_charge_state(p: &mut PointState, read: VehicleState, now: Stamp) {
    let charge = matches!(read, VehicleState::C | VehicleState::D);
    if charge && !p.has(bits::RAW_CHARGE) {
        p.c_since = now;
    }
    p.put(bits::RAW_CHARGE, charge);
}

#[cfg(test)]
mod tests {
    use super::*;
    use VehicleState::*;

    /// Proves PS-1: band edges, half-open, A's top included, unknown outside.
    #[test]
    fn ps1_band_edges_golden_table() {
        let table = [
            (13_501, Unknown),
            (13_500, A),
            (10_500, A),
            (10_499, B),
            (7_500, B),
            (7_499, C),
            (4_500, C),
            (4_499, D),
            (1_500, D),
            (1_499, E),
            (-1_500, E),
            (-1_501, Unknown),
            (-10_500, Unknown),
            (-10_501, F),
            (-13_500, F),
            (-13_501, Unknown),
            (12_000, A),
            (9_000, B),
            (6_000, C),
            (3_000, D),
            (0, E),
            (-12_000, F),
        ];
        for (mv, s) in table {
            assert_eq!(classify_raw(mv), s, "{mv} mV");
        }
    }

    /// Proves PS-1: leaving the believed state needs 300 mV past the boundary, both ways, and
    /// there is no hysteresis next to "unknown".
    #[test]
    fn ps1_hysteresis_edges() {
        // B -> C at 7 500: from B, 7 499 .. 7 200 stay B, 7 199 is C.
        assert_eq!(classify(7_200, B), B);
        assert_eq!(classify(7_199, B), C);
        // C -> B: from C, 7 500 .. 7 799 stay C, 7 800 is B.
        assert_eq!(classify(7_799, C), C);
        assert_eq!(classify(7_800, C), B);
        // A <-> B at 10 500.
        assert_eq!(classify(10_200, A), A);
        assert_eq!(classify(10_199, A), B);
        assert_eq!(classify(10_799, B), B);
        assert_eq!(classify(10_800, B), A);
        // C <-> D at 4 500, D <-> E at 1 500.
        assert_eq!(classify(4_200, C), C);
        assert_eq!(classify(4_199, C), D);
        assert_eq!(classify(4_799, D), D);
        assert_eq!(classify(4_800, D), C);
        assert_eq!(classify(1_200, D), D);
        assert_eq!(classify(1_199, D), E);
        assert_eq!(classify(1_799, E), E);
        assert_eq!(classify(1_800, E), D);
        // No hysteresis next to unknown: A's top and E's bottom, F's edges.
        assert_eq!(classify(13_501, A), Unknown);
        assert_eq!(classify(-1_501, E), Unknown);
        assert_eq!(classify(-10_500, F), Unknown);
        // Not adjacent: a jump is taken at once.
        assert_eq!(classify(6_000, A), C);
    }

    /// Proves PS-2: the diode band.
    #[test]
    fn ps2_diode_band() {
        assert!(diode_ok(-12_000));
        assert!(diode_ok(-13_500));
        assert!(!diode_ok(-13_501));
        assert!(diode_ok(-10_501));
        assert!(!diode_ok(-10_500));
        assert!(!diode_ok(0));
    }

    /// Proves CAB-2: every band's edges, the gaps between them and "no cable".
    #[test]
    fn cab2_pp_bands_golden_table() {
        use CableStatus::*;
        let table = [
            (0, Fault),
            (79, Fault),
            (80, A63Or70),
            (100, A63Or70),
            (140, A63Or70),
            (141, Fault),
            (163, Fault),
            (164, A32),
            (220, A32),
            (308, A32),
            (309, Fault),
            (399, Fault),
            (400, A20),
            (680, A20),
            (936, A20),
            (937, Fault),
            (1_099, Fault),
            (1_100, A13),
            (1_500, A13),
            (2_460, A13),
            (2_461, Fault),
            (4_500, Fault),
            (4_501, NotPlugged),
            (u32::MAX, NotPlugged),
        ];
        for (ohm, s) in table {
            assert_eq!(CableStatus::of(ohm), s, "{ohm} Ω");
        }
        assert_eq!(A63Or70.capacity_ma(true), Some(70_000));
        assert_eq!(A63Or70.capacity_ma(false), Some(63_000));
        assert_eq!(A13.capacity_ma(false), Some(13_000));
        assert_eq!(Fault.capacity_ma(false), None);
        assert_eq!(A63Or70.name(), "63 A_OR_70 A");
    }

    /// Proves PS-6: the status names.
    #[test]
    fn ps6_status_names() {
        assert_eq!(EvseStatus::of(A, false).name(), "A_Not_Present_12V");
        assert_eq!(EvseStatus::of(B, false).name(), "B_Present_9V");
        assert_eq!(EvseStatus::of(B, true).name(), "B_Present_Asked_9V_M12V");
        assert_eq!(EvseStatus::of(C, false).name(), "C_Ready_6V");
        assert_eq!(EvseStatus::of(C, true).name(), "C_Ready_6V_M12V");
        assert_eq!(EvseStatus::of(D, false).name(), "D_Ready_VR_3V");
        assert_eq!(EvseStatus::of(D, true).name(), "D_Ready_VR_3V_M12V");
        assert_eq!(EvseStatus::of(E, true).name(), "E_ShortCut");
        assert_eq!(EvseStatus::of(F, false).name(), "F_NotAvailable");
        assert_eq!(EvseStatus::of(Unknown, false).name(), "F_NotAvailable");
    }
}
