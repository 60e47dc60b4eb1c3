//! The pilot's PWM duty from an allowed current (PS-3), and its decoding as the EV does.
//!
//! Duty is in tenths of a percent (‰ of the period): 100..=960. IEC 61851-1 Table A.7 (EVSE
//! side) and Table A.8 (EV side decoding): 10 % ≤ d ≤ 85 %: I = d × 0.6 A; 85 % < d ≤ 96 %:
//! I = (d − 64 %) × 2.5 A. The 3–7 % band is for digital communication and never signals a
//! current.

/// Lowest current PWM can signal (IEC 61851-1: 6 A at 10 %).
pub const MIN_SIGNAL_MA: u32 = 6_000;
/// Highest current PWM can signal (80 A at 96 %).
pub const MAX_SIGNAL_MA: u32 = 80_000;

/// The largest duty (‰) whose decoded current is ≤ `allowed_ma`, or `None` (no PWM, steady
/// +12 V) below 6 A. Above 80 A the duty stays at 960 ‰ (PS-3).
pub const fn duty_permille(allowed_ma: u32) -> Option<u16> {
    if allowed_ma < MIN_SIGNAL_MA {
        return None;
    }
    // 0.1 % of the low band is 60 mA; 51 A is exactly 850 ‰.
    let low = allowed_ma / 60;
    let d = if low <= 850 {
        low
    } else {
        // 0.1 % of the high band is 250 mA above 64 %; 51 A … 52.75 A still decode to 850 ‰.
        let high = (allowed_ma / 250).saturating_add(640);
        if high < 851 {
            850
        } else if high > 960 {
            960
        } else {
            high
        }
    };
    // d ≤ 960 here, so the conversion keeps its value.
    #[allow(clippy::cast_possible_truncation)]
    Some(d as u16)
}

/// The current (mA) an EV decodes from `duty` (‰), or 0 outside 100..=960 ‰.
pub const fn decode_ma(duty: u16) -> u32 {
    let d = duty as u32;
    if d < 100 || d > 960 {
        0
    } else if d <= 850 {
        d.saturating_mul(60)
    } else {
        d.saturating_sub(640).saturating_mul(250)
    }
}

/// The current an EV is told it may draw for `allowed_ma`: the decoded value of its duty.
pub const fn signal_ma(allowed_ma: u32) -> u32 {
    match duty_permille(allowed_ma) {
        Some(d) => decode_ma(d),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves PS-3 on the standard's own points.
    #[test]
    fn ps3_duty_golden_table() {
        let table: [(u32, Option<u16>); 17] = [
            (5_900, None),
            (6_000, Some(100)),
            (8_000, Some(133)),
            (10_000, Some(166)),
            (13_000, Some(216)),
            (16_000, Some(266)),
            (20_000, Some(333)),
            (32_000, Some(533)),
            (40_000, Some(666)),
            (51_000, Some(850)),
            (51_100, Some(850)),
            (52_000, Some(850)),
            (63_000, Some(892)),
            (70_000, Some(920)),
            (80_000, Some(960)),
            (81_000, Some(960)),
            (0, None),
        ];
        for (ma, duty) in table {
            assert_eq!(duty_permille(ma), duty, "{ma} mA");
        }
    }

    /// PS-3 decodes 10 % ≤ d ≤ 96 % only: every duty outside (the 3–7 % digital-communication
    /// band among them, and anything above 96 %) signals no current, and the band's edges
    /// decode to 6 A and 80 A.
    #[test]
    fn ps3_decode_outside_the_current_band_is_zero() {
        for d in (0..100).chain(961..=1_000).chain([u16::MAX]) {
            assert_eq!(decode_ma(d), 0, "{d} ‰");
        }
        assert_eq!(decode_ma(100), 6_000);
        assert_eq!(decode_ma(850), 51_000);
        assert_eq!(decode_ma(851), 52_750);
        assert_eq!(decode_ma(960), 80_000);
    }

    /// Proves PS-3: never above the allowed current, never falling when it rises.
    #[test]
    fn ps3_monotonic_and_never_above() {
        let mut last = 0u16;
        for ma in 0..=90_000u32 {
            let d = duty_permille(ma).unwrap_or(0);
            assert!(d >= last, "duty fell at {ma} mA");
            last = d;
            if d != 0 {
                assert!(decode_ma(d) <= ma, "{ma} mA decodes above itself");
                assert!(!(30..=70).contains(&d), "3–7 % band used");
            }
        }
    }
}
