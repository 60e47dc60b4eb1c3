//! Energy metering from measured current (MT-1): configured phase–neutral voltage × measured
//! current of each phase × time, accumulated exactly as mWh plus a remainder below 1 mWh.
//!
//! 1 mWh = 3.6 × 10⁹ mV·mA·ms, so the remainder fits a `u32`. Products are formed in `u128`,
//! and the step gap is capped by the caller (SU-3), so nothing overflows however long a session.

/// mV·mA·ms in one mWh.
pub const UNITS_PER_MWH: u64 = 3_600_000_000;

/// An exact energy register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Energy {
    /// Whole mWh.
    pub mwh: u64,
    /// Remainder in mV·mA·ms, always below [`UNITS_PER_MWH`].
    pub rem: u32,
}

impl Energy {
    /// Adds `voltage_mv` × (sum of `currents_ma`) × `dt_ms`.
    pub fn add(&mut self, voltage_mv: u32, currents_ma: &[u32; 3], dt_ms: u64) {
        // The sum of three u32 is below 2^34: no overflow in u64.
        let amps: u64 = currents_ma.iter().map(|&c| u64::from(c)).sum();
        // Readings in range (276 V × 3 × 80 A × a 10 s gap ≈ 6.6 × 10^14) fit u64, whose division
        // is far cheaper than u128's (a library call on 32-bit MCUs); the u128 path keeps
        // absurd values exact.
        let fast = u64::from(voltage_mv)
            .checked_mul(amps)
            .and_then(|x| x.checked_mul(dt_ms))
            .and_then(|x| x.checked_add(u64::from(self.rem)));
        let (whole, rem) = match fast {
            Some(units) => (
                units.checked_div(UNITS_PER_MWH).unwrap_or(0),
                units.checked_rem(UNITS_PER_MWH).unwrap_or(0),
            ),
            None => {
                let units = u128::from(voltage_mv)
                    .saturating_mul(u128::from(amps))
                    .saturating_mul(u128::from(dt_ms))
                    .saturating_add(u128::from(self.rem));
                let per = u128::from(UNITS_PER_MWH);
                (
                    u64::try_from(units.checked_div(per).unwrap_or(0)).unwrap_or(u64::MAX),
                    u64::try_from(units.checked_rem(per).unwrap_or(0)).unwrap_or(0),
                )
            }
        };
        self.mwh = self.mwh.saturating_add(whole);
        self.rem = u32::try_from(rem).unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves MT-1: 1 h at 16 A on one phase at 230 V is exactly 3680 Wh, in any step size.
    #[test]
    fn mt1_exact_over_uneven_steps() {
        let mut e = Energy::default();
        let mut t = 0u64;
        let mut k = 0u64;
        while t < 3_600_000 {
            let dt = (7 + k % 13).min(3_600_000 - t);
            e.add(230_000, &[16_000, 0, 0], dt);
            t += dt;
            k += 1;
        }
        assert_eq!(e.mwh, 3_680_000);
        assert_eq!(e.rem, 0);
    }

    /// Proves MT-1: the u64 fast path and the u128 path agree, at the edge between them too.
    #[test]
    fn mt1_fast_path_equals_wide_path() {
        let wide = |e: Energy, v: u32, c: &[u32; 3], dt: u64| {
            let units =
                u128::from(v) * c.iter().map(|&x| u128::from(x)).sum::<u128>() * u128::from(dt)
                    + u128::from(e.rem);
            let per = u128::from(UNITS_PER_MWH);
            let whole = u64::try_from(units / per).unwrap_or(u64::MAX);
            (
                e.mwh.saturating_add(whole),
                u32::try_from(units % per).unwrap(),
            )
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for k in 0..20_000u32 {
            let v = if k % 3 == 0 {
                u32::MAX - (next() as u32 % 1000)
            } else {
                next() as u32 % 300_000
            };
            let c = [
                next() as u32,
                next() as u32 % 100_000,
                if k % 5 == 0 { u32::MAX } else { 0 },
            ];
            let dt = if k % 7 == 0 {
                next() % 100_000_000
            } else {
                next() % 10_000
            };
            let e = Energy {
                mwh: next() % 1_000_000,
                rem: (next() % UNITS_PER_MWH) as u32,
            };
            let mut got = e;
            got.add(v, &c, dt);
            assert_eq!(
                (got.mwh, got.rem),
                wide(e, v, &c, dt),
                "v={v} c={c:?} dt={dt}"
            );
        }
    }

    /// Proves MT-1: 10 years at 3 × 80 A and 276 V in 1 s steps does not overflow.
    #[test]
    fn mt1_ten_years_no_overflow() {
        let mut e = Energy::default();
        let per_second = {
            let mut one = Energy::default();
            one.add(276_000, &[80_000; 3], 1_000);
            one
        };
        assert_eq!(per_second.mwh, 18_400);
        // 10 years of seconds, added in one go per day to keep the test quick.
        for _ in 0..3_653 {
            e.add(276_000, &[80_000; 3], 86_400_000);
        }
        assert_eq!(e.mwh, 18_400 * 86_400 * 3_653);
    }
}
