//! Kubernetes resource quantities in canonical form, as the API server would store them.
//!
//! Score accepts `0.250`, `1000m`, `1.5Gi`, `128K`; Kubernetes rewrites quantities to a
//! canonical string (`250m`, `1`, `1536Mi`, `128k`) and rejects some Score spellings outright
//! (upper-case `K`). Emitting the canonical form means `kubectl diff` shows no spurious change
//! and the manifests validate.
//!
//! The rules (from `k8s.io/apimachinery/pkg/api/resource`):
//! * values finer than `1n` are rounded up to it;
//! * decimal quantities use the largest exponent that is a multiple of 3 and keeps the mantissa
//!   an integer (`1500m`, `1500`, `15k` are all already canonical);
//! * binary quantities (`Ki`…`Ei`) stay binary when the value is a whole number of at least
//!   1024, with the largest suffix that divides it; otherwise they fall back to decimal;
//! * exponent notation (`1e3`) stays in exponent notation.
//!
//! ```
//! use score_core::quantity::canonical;
//! assert_eq!(canonical("0.250").unwrap(), "250m");
//! assert_eq!(canonical("1000m").unwrap(), "1");
//! assert_eq!(canonical("1.5Gi").unwrap(), "1536Mi");
//! assert_eq!(canonical("128K").unwrap(), "128k");
//! ```

/// How the quantity was written, which decides how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `m`, `k`, `M`, … or no suffix.
    DecimalSi,
    /// `Ki`, `Mi`, ….
    BinarySi,
    /// `1e3`, `2E-3`.
    DecimalExponent,
}

/// Nanos per unit: quantities are held as an integer number of `1n` (1e-9).
const NANO: u128 = 1_000_000_000;

/// The canonical Kubernetes spelling of `input`.
///
/// # Errors
/// A message when `input` is not a Kubernetes quantity, is negative, or is too large.
pub fn canonical(input: &str) -> Result<String, String> {
    let (nanos, format) = parse(input)?;
    Ok(format_nanos(nanos, format))
}

/// The value of `input` in units of `1n` (1e-9), rounded up, for comparing quantities.
///
/// # Errors
/// As [`canonical`].
pub fn nanos(input: &str) -> Result<u128, String> {
    parse(input).map(|(n, _)| n)
}

/// Parse into (value in nanos, rounded up; format).
fn parse(input: &str) -> Result<(u128, Format), String> {
    let bad = || format!("`{input}` is not a valid quantity (e.g. `250m`, `1.5`, `128Mi`, `1G`)");
    let s = input.trim();
    if s != input || s.is_empty() {
        return Err(bad());
    }
    let s = match s.as_bytes()[0] {
        b'+' => &s[1..],
        b'-' => {
            return Err(format!(
                "`{input}` is negative; resource quantities must be positive"
            ))
        }
        _ => s,
    };
    let digits_end = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(digits_end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return Err(bad());
    }
    let (format, exp10, exp2) = match suffix {
        "" => (Format::DecimalSi, 0, 0),
        "n" => (Format::DecimalSi, -9, 0),
        "u" => (Format::DecimalSi, -6, 0),
        "m" => (Format::DecimalSi, -3, 0),
        // Score allows an upper-case `K`; Kubernetes only knows `k`.
        "k" | "K" => (Format::DecimalSi, 3, 0),
        "M" => (Format::DecimalSi, 6, 0),
        "G" => (Format::DecimalSi, 9, 0),
        "T" => (Format::DecimalSi, 12, 0),
        "P" => (Format::DecimalSi, 15, 0),
        "E" => (Format::DecimalSi, 18, 0),
        "Ki" => (Format::BinarySi, 0, 10),
        "Mi" => (Format::BinarySi, 0, 20),
        "Gi" => (Format::BinarySi, 0, 30),
        "Ti" => (Format::BinarySi, 0, 40),
        "Pi" => (Format::BinarySi, 0, 50),
        "Ei" => (Format::BinarySi, 0, 60),
        e if e.starts_with(['e', 'E']) => {
            let exp: i32 = e[1..].parse().map_err(|_| bad())?;
            if !(-40..=40).contains(&exp) {
                return Err(format!("`{input}` is out of range"));
            }
            (Format::DecimalExponent, exp, 0)
        }
        _ => return Err(bad()),
    };
    let too_large = || format!("`{input}` is too large");
    let mut mantissa: u128 = 0;
    for d in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(d - b'0')))
            .ok_or_else(too_large)?;
    }
    mantissa = mantissa.checked_mul(1u128 << exp2).ok_or_else(too_large)?;
    // value = mantissa * 10^scale; nanos = value * 10^9, rounded up.
    let scale = exp10 - frac.len() as i32 + 9;
    let nanos = if scale >= 0 {
        10u128
            .checked_pow(scale as u32)
            .and_then(|p| mantissa.checked_mul(p))
            .ok_or_else(too_large)?
    } else {
        match 10u128.checked_pow(scale.unsigned_abs()) {
            Some(p) => mantissa.div_ceil(p),
            // Smaller than any representable divisor: a positive value rounds up to 1n.
            None => u128::from(mantissa > 0),
        }
    };
    // Kubernetes caps quantities at about 2^63 in their base unit.
    if nanos / NANO > i64::MAX as u128 {
        return Err(too_large());
    }
    Ok((nanos, format))
}

fn format_nanos(nanos: u128, format: Format) -> String {
    if nanos == 0 {
        return "0".to_string();
    }
    if format == Format::BinarySi && nanos.is_multiple_of(NANO) && nanos / NANO >= 1024 {
        let mut value = nanos / NANO;
        let mut power = 0;
        while power < 6 && value.is_multiple_of(1024) {
            value /= 1024;
            power += 1;
        }
        return format!("{value}{}", ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power]);
    }
    // Decimal: strip factors of ten, then lower the exponent to a multiple of 3.
    let (mut value, mut exp) = (nanos, -9i32);
    while value % 10 == 0 {
        value /= 10;
        exp += 1;
    }
    let down = exp.rem_euclid(3);
    value *= 10u128.pow(down as u32);
    exp -= down;
    match format {
        Format::DecimalExponent if exp == 0 => value.to_string(),
        Format::DecimalExponent => format!("{value}e{exp}"),
        _ => {
            // `E` is the largest decimal suffix; bigger exponents fold into the mantissa.
            if exp > 18 {
                value *= 10u128.pow((exp - 18) as u32);
                exp = 18;
            }
            let suffix = match exp {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => "",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                _ => "E",
            };
            format!("{value}{suffix}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn cpu_examples() {
        for (input, want) in [
            ("0.250", "250m"),
            ("0.25", "250m"),
            ("1000m", "1"),
            ("1500m", "1500m"),
            ("1.5", "1500m"),
            ("2", "2"),
            ("0.24", "240m"),
            ("125m", "125m"),
            ("0.5", "500m"),
            ("1", "1"),
            ("0", "0"),
            ("0.0", "0"),
            ("000250m", "250m"),
            ("100", "100"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("0.0001", "100u"),
            ("0.0000000001", "1n"),
            ("0.0000000015", "2n"),
            (".5", "500m"),
        ] {
            assert_eq!(canonical(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn memory_examples() {
        for (input, want) in [
            ("128Mi", "128Mi"),
            ("1024Mi", "1Gi"),
            ("1000Mi", "1000Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("10Gi", "10Gi"),
            ("128M", "128M"),
            ("1000M", "1G"),
            ("1.5G", "1500M"),
            ("128K", "128k"),
            ("512k", "512k"),
            ("1Ki", "1Ki"),
            ("0.5Ki", "512"),
            ("1023", "1023"),
            ("1Ei", "1Ei"),
            ("0.1Ki", "102400m"),
            ("1e3", "1e3"),
            ("1E6", "1e6"),
            ("1500e3", "1500e3"),
            ("12e6", "12e6"),
            ("1e-3", "1e-3"),
            ("1.5e3", "1500"),
            ("100000000", "100M"),
        ] {
            assert_eq!(canonical(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for input in [
            "",
            " 1",
            "1 ",
            "500 m",
            "-1",
            "1.2.3",
            "abc",
            "1Xi",
            "1mi",
            "Mi",
            ".",
            "1e",
            "1e99",
            "9999999999999E",
            "2048Ei",
        ] {
            assert!(canonical(input).is_err(), "{input}");
        }
    }
}
