//! Kubernetes-style quantities (`500m`, `1.5Gi`, `2`) converted to compose units.
//!
//! Compose takes `cpus` as a decimal number of CPUs and memory as a byte value whose suffixes
//! (`k`, `m`, `g`) are binary multiples. Memory is converted exactly: rounded up to whole bytes,
//! then written with the largest binary suffix that divides it (`128Mi` → `128m`), else as
//! plain bytes (`1G` → `1000000000`).

/// A parsed quantity: `mantissa × 10^exp10 × 1024^exp1024`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quantity {
    mantissa: u128,
    exp10: i32,
    exp1024: u32,
}

fn parse(s: &str) -> Result<Quantity, String> {
    let s = s.trim();
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(number_end);
    let number = number.strip_prefix('+').unwrap_or(number);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(format!("`{s}` is not a quantity"));
    }
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    let mantissa: u128 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| format!("`{s}` is too large"))?
    };
    let mut exp10 = -(frac.len() as i32);
    let mut exp1024 = 0;
    match suffix {
        "" => {}
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => exp1024 = 1,
        "Mi" => exp1024 = 2,
        "Gi" => exp1024 = 3,
        "Ti" => exp1024 = 4,
        "Pi" => exp1024 = 5,
        "Ei" => exp1024 = 6,
        other => {
            let exp = other
                .strip_prefix(['e', 'E'])
                .and_then(|e| e.parse::<i32>().ok());
            match exp {
                Some(e) if e.abs() <= 30 => exp10 += e,
                _ => return Err(format!("`{s}` has an unknown unit `{other}`")),
            }
        }
    }
    Ok(Quantity {
        mantissa,
        exp10,
        exp1024,
    })
}

/// CPUs as compose's decimal string: `500m` → `0.5`, `2` → `2`, `1500m` → `1.5`.
///
/// # Errors
/// A message when `s` is not a quantity.
pub(crate) fn cpus(s: &str) -> Result<String, String> {
    let q = parse(s)?;
    if q.exp1024 != 0 {
        return Err(format!("`{s}`: binary suffixes do not apply to CPU"));
    }
    let digits = q.mantissa.to_string();
    let text = if q.exp10 >= 0 {
        if q.mantissa == 0 {
            "0".to_string()
        } else {
            format!("{digits}{}", "0".repeat(q.exp10 as usize))
        }
    } else {
        let shift = (-q.exp10) as usize;
        let padded = format!(
            "{}{digits}",
            "0".repeat((shift + 1).saturating_sub(digits.len()))
        );
        let (int, frac) = padded.split_at(padded.len() - shift);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int.to_string()
        } else {
            format!("{int}.{frac}")
        }
    };
    if text == "0" {
        return Err(format!("`{s}` is zero CPUs"));
    }
    Ok(text)
}

/// Memory as a compose byte value: `128Mi` → `128m`, `1Gi` → `1g`, `1G` → `1000000000`.
///
/// # Errors
/// A message when `s` is not a quantity, is zero or does not fit.
pub(crate) fn memory(s: &str) -> Result<String, String> {
    let q = parse(s)?;
    let too_large = || format!("`{s}` is too large");
    let mut bytes = q
        .mantissa
        .checked_mul(1024u128.checked_pow(q.exp1024).ok_or_else(too_large)?)
        .ok_or_else(too_large)?;
    if q.exp10 >= 0 {
        bytes = bytes
            .checked_mul(10u128.checked_pow(q.exp10 as u32).ok_or_else(too_large)?)
            .ok_or_else(too_large)?;
    } else {
        let div = 10u128
            .checked_pow((-q.exp10) as u32)
            .ok_or_else(too_large)?;
        bytes = bytes.div_ceil(div);
    }
    if bytes == 0 {
        return Err(format!("`{s}` is zero bytes"));
    }
    if bytes > i64::MAX as u128 {
        return Err(too_large());
    }
    for (unit, size) in [("g", 1u128 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if bytes % size == 0 {
            return Ok(format!("{}{unit}", bytes / size));
        }
    }
    Ok(bytes.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities() {
        for (q, want) in [
            ("500m", "0.5"),
            ("250m", "0.25"),
            ("1500m", "1.5"),
            ("1m", "0.001"),
            ("2", "2"),
            ("0.25", "0.25"),
            ("1.0", "1"),
            ("100m", "0.1"),
            ("1k", "1000"),
            ("1e1", "10"),
            ("+2", "2"),
        ] {
            assert_eq!(cpus(q).unwrap(), want, "{q}");
        }
        assert!(cpus("0").is_err());
        assert!(cpus("1Gi").is_err());
        assert!(cpus("abc").is_err());
        assert!(cpus("").is_err());
        assert!(cpus(".").is_err());
    }

    #[test]
    fn memory_quantities() {
        for (q, want) in [
            ("128Mi", "128m"),
            ("1Gi", "1g"),
            ("1.5Gi", "1536m"),
            ("512Ki", "512k"),
            ("1024Mi", "1g"),
            ("1G", "1000000000"),
            ("64M", "62500k"),
            ("1024", "1k"),
            ("1000", "1000"),
            ("500m", "1"),
            ("0.5Ki", "512"),
            ("1e3", "1000"),
            ("1Ei", "1073741824g"),
        ] {
            assert_eq!(memory(q).unwrap(), want, "{q}");
        }
        assert!(memory("0").is_err());
        assert!(memory("8Ei").is_err());
        assert!(memory("1X").is_err());
        assert!(memory("1e99").is_err());
    }
}
