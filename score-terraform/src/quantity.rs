//! Kubernetes quantities in the canonical spelling the API server stores.
//!
//! Writing the canonical form (`0.250` → `250m`, `1.5Gi` → `1536Mi`, `128K` → `128k`) keeps
//! `terraform plan` from showing a change on every run: the provider compares what it sent
//! with what the API server returns.
//!
//! Rules (`k8s.io/apimachinery/pkg/api/resource`): amounts finer than `1n` round up; decimal
//! amounts use the largest exponent that is a multiple of 3 and keeps the mantissa whole;
//! binary amounts (`Ki`…`Ei`) stay binary when whole and at least 1024, else print decimal.

/// Nanos per unit.
const NANO: u128 = 1_000_000_000;

/// The canonical spelling of a cpu or memory quantity.
///
/// ```
/// use score_terraform::quantity::canonical;
/// assert_eq!(canonical("0.250").unwrap(), "250m");
/// assert_eq!(canonical("1000m").unwrap(), "1");
/// assert_eq!(canonical("1.5Gi").unwrap(), "1536Mi");
/// assert_eq!(canonical("128K").unwrap(), "128k");
/// ```
///
/// # Errors
/// A message when `input` is not a positive Kubernetes quantity or is too large.
pub fn canonical(input: &str) -> Result<String, String> {
    let bad = || format!("`{input}` is not a valid quantity (e.g. `250m`, `0.5`, `128Mi`, `1G`)");
    let split = input
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(input.len());
    let (number, suffix) = input.split_at(split);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return Err(bad());
    }
    let (binary, exp10, exp2): (bool, i32, u32) = match suffix {
        "" => (false, 0, 0),
        "n" => (false, -9, 0),
        "u" => (false, -6, 0),
        "m" => (false, -3, 0),
        "k" | "K" => (false, 3, 0),
        "M" => (false, 6, 0),
        "G" => (false, 9, 0),
        "T" => (false, 12, 0),
        "P" => (false, 15, 0),
        "E" => (false, 18, 0),
        "Ki" => (true, 0, 10),
        "Mi" => (true, 0, 20),
        "Gi" => (true, 0, 30),
        "Ti" => (true, 0, 40),
        "Pi" => (true, 0, 50),
        "Ei" => (true, 0, 60),
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
    let scale = exp10 - frac.len() as i32 + 9;
    let nanos = if scale >= 0 {
        10u128
            .checked_pow(scale as u32)
            .and_then(|p| mantissa.checked_mul(p))
            .ok_or_else(too_large)?
    } else {
        match 10u128.checked_pow(scale.unsigned_abs()) {
            Some(p) => mantissa.div_ceil(p),
            None => u128::from(mantissa > 0),
        }
    };
    if nanos / NANO > i64::MAX as u128 {
        return Err(too_large());
    }
    Ok(format_nanos(nanos, binary))
}

// `is_multiple_of` needs Rust 1.87; the workspace supports 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn format_nanos(nanos: u128, binary: bool) -> String {
    if nanos == 0 {
        return "0".into();
    }
    if binary && nanos % NANO == 0 && nanos / NANO >= 1024 {
        let mut v = nanos / NANO;
        let mut power = 0;
        while power < 6 && v % 1024 == 0 {
            v /= 1024;
            power += 1;
        }
        return format!("{v}{}", ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power]);
    }
    let (mut v, mut exp) = (nanos, -9i32);
    while v % 10 == 0 && exp < 18 {
        v /= 10;
        exp += 1;
    }
    let down = exp.rem_euclid(3);
    v *= 10u128.pow(down as u32);
    exp -= down;
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
    format!("{v}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_forms() {
        for (i, want) in [
            ("0.250", "250m"),
            ("0.5", "500m"),
            ("1000m", "1"),
            ("1500m", "1500m"),
            ("1.5", "1500m"),
            ("2", "2"),
            ("1000", "1k"),
            ("128Mi", "128Mi"),
            ("1024Mi", "1Gi"),
            ("1000Mi", "1000Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("0.1Ki", "102400m"),
            ("128K", "128k"),
            ("1000M", "1G"),
            ("1.5G", "1500M"),
            ("0", "0"),
        ] {
            assert_eq!(canonical(i).unwrap(), want, "{i}");
        }
        for bad in ["", "1.2.3", "abc", "1Xi", "-1", "."] {
            assert!(canonical(bad).is_err(), "{bad}");
        }
    }
}
