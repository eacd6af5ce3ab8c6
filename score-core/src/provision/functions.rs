//! The minijinja environment provisioner templates render in, with the helpers they need.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use rand::distr::{Alphanumeric, SampleString};
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// Instruction budget of one template render: ends runaway loops quickly.
pub const TEMPLATE_FUEL: u64 = 200_000;

/// Environment variable that makes random helpers deterministic (for golden tests).
pub const SEED_ENV: &str = "SCORE_RS_RANDOM_SEED";

/// Random source shared by the helpers: seeded per resource when [`SEED_ENV`] is set.
#[derive(Clone)]
pub struct Random(Arc<Mutex<rand::rngs::StdRng>>);

impl Random {
    /// Entropy from the OS, or a seed derived from [`SEED_ENV`] and `salt` (the resource UID).
    pub fn for_resource(salt: &str) -> Self {
        Random(Arc::new(Mutex::new(Self::rng(salt))))
    }

    /// Start over for another resource (so seeded runs do not depend on provisioning order).
    pub fn reset(&self, salt: &str) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Self::rng(salt);
    }

    fn rng(salt: &str) -> rand::rngs::StdRng {
        match std::env::var(SEED_ENV) {
            Ok(seed) => {
                rand::rngs::StdRng::from_seed(Sha256::digest(format!("{seed}/{salt}")).into())
            }
            // Seeded from the thread's OS-seeded generator: one `getrandom` per process
            // instead of one per resource.
            Err(_) => rand::rngs::StdRng::from_rng(&mut rand::rng()),
        }
    }

    /// `len` characters from `charset`.
    pub fn string(&self, len: usize, charset: &[u8]) -> String {
        let mut rng = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (0..len)
            .map(|_| charset[rng.random_range(0..charset.len())] as char)
            .collect()
    }

    /// A random alphanumeric password.
    pub fn password(&self, len: usize) -> String {
        let mut rng = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Alphanumeric.sample_string(&mut *rng, len)
    }

    /// A random (version 4) UUID.
    pub fn uuid(&self) -> String {
        let mut b: [u8; 16] = self.0.lock().unwrap_or_else(|p| p.into_inner()).random();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const MAX_RANDOM_LEN: usize = 4096;

fn checked_len(len: Option<usize>, default: usize) -> Result<usize, Error> {
    let len = len.unwrap_or(default);
    if len == 0 || len > MAX_RANDOM_LEN {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("length must be 1..={MAX_RANDOM_LEN}, got {len}"),
        ));
    }
    Ok(len)
}

/// A fresh environment with our helpers; `random` backs the random functions.
pub fn environment(random: &Random) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_recursion_limit(64);
    let r = random.clone();
    env.add_function(
        "random_password",
        move |len: Option<usize>| -> Result<String, Error> {
            Ok(r.password(checked_len(len, 16)?))
        },
    );
    let r = random.clone();
    env.add_function(
        "random_string",
        move |len: Option<usize>| -> Result<String, Error> {
            Ok(r.string(checked_len(len, 8)?, LOWER_ALNUM))
        },
    );
    let r = random.clone();
    env.add_function("random_uuid", move || r.uuid());
    env.add_function("sha256", |s: String| hex(&Sha256::digest(s.as_bytes())));
    env.add_function("fail", |msg: String| -> Result<Value, Error> {
        Err(Error::new(ErrorKind::InvalidOperation, msg))
    });
    env.add_function("dig", dig);
    env.add_filter("dig", dig);
    env.add_filter("sha256", |s: String| hex(&Sha256::digest(s.as_bytes())));
    env.add_filter("b64encode", |s: String| {
        base64::engine::general_purpose::STANDARD.encode(s)
    });
    env.add_filter("b64decode", |s: String| -> Result<String, Error> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("invalid base64: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|_| Error::new(ErrorKind::InvalidOperation, "decoded base64 is not UTF-8"))
    });
    env.add_filter("to_yaml", |v: Value| -> Result<String, Error> {
        let json: serde_json::Value = serde_json::to_value(&v)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        crate::state::to_yaml(&json)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    env.add_filter("slug", |s: String| slug(&s));
    env.add_filter("percent_encode", |s: String| percent_encode(&s));
    env.add_test("matching", matching);
    env.add_filter("quantity", |s: Value| -> Result<String, Error> {
        crate::quantity::canonical(&scalar_text(&s)).map_err(invalid)
    });
    env.add_filter("quantity_value", |s: Value| -> Result<f64, Error> {
        // Nanos to units: exact enough for bytes up to 2^53 and for millicores.
        crate::quantity::nanos(&scalar_text(&s))
            .map(|n| n as f64 / 1e9)
            .map_err(invalid)
    });
    env.add_function("engine_image", engine_image);
    env
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// A string as is, anything else (a number) as it prints.
fn scalar_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// `value is matching(pattern)`: whether the whole of a string or number matches a regular
/// expression (`regex-lite` syntax, linear time). Undefined and none never match.
fn matching(v: Value, pattern: String) -> Result<bool, Error> {
    if v.is_undefined() || v.is_none() {
        return Ok(false);
    }
    let re = regex_lite::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| invalid(format!("invalid pattern `{pattern}`: {e}")))?;
    Ok(re.is_match(&scalar_text(&v)))
}

/// `engine_image(name, version)`: the image of a database engine ([`super::engines`]) at the
/// version a resource asks for (a string or a number), else at its pinned default.
fn engine_image(name: String, version: Option<Value>) -> Result<String, Error> {
    let version = version
        .filter(|v| !v.is_undefined() && !v.is_none())
        .map(|v| scalar_text(&v));
    super::engines::image(&name, version.as_deref()).map_err(invalid)
}

/// Percent-encode every byte but RFC 3986's unreserved characters (letters, digits, `-._~`):
/// safe for any part of a URL (user, password, path segment, query value).
///
/// ```
/// use score_core::provision::functions::percent_encode;
/// assert_eq!(percent_encode("a b/c@d:é"), "a%20b%2Fc%40d%3A%C3%A9");
/// ```
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `dig(obj, "a.b.c", default)`: a nested lookup that never fails.
fn dig(obj: Value, path: String, default: Option<Value>) -> Value {
    let mut cur = obj;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        let next = match key.parse::<usize>() {
            Ok(i)
                if cur.len().is_some()
                    && cur
                        .as_object()
                        .is_some_and(|o| o.repr() == minijinja::value::ObjectRepr::Seq) =>
            {
                cur.get_item_by_index(i).ok()
            }
            _ => cur.get_attr(key).ok(),
        };
        match next {
            Some(v) if !v.is_undefined() && !v.is_none() => cur = v,
            _ => return default.unwrap_or(Value::from(())),
        }
    }
    cur
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case, `[a-z0-9-]` only, no leading/trailing `-`: safe for DNS labels and file names.
pub fn slug(s: &str) -> String {
    let mapped: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut out = String::with_capacity(mapped.len());
    for c in mapped.chars() {
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str) -> Result<String, Error> {
        let env = environment(&Random::for_resource("t"));
        env.render_str(src, minijinja::context! { state => minijinja::context!{ a => minijinja::context!{ b => 1 } } })
    }

    #[test]
    fn helpers_work() {
        assert_eq!(render("{{ random_password(12) | length }}").unwrap(), "12");
        assert!(render("{{ random_string(6) }}")
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(render("{{ random_uuid() | length }}").unwrap(), "36");
        assert_eq!(render("{{ 'hi' | b64encode }}").unwrap(), "aGk=");
        assert_eq!(render("{{ 'aGk=' | b64decode }}").unwrap(), "hi");
        assert_eq!(render("{{ dig(state, 'a.b', 0) }}").unwrap(), "1");
        assert_eq!(render("{{ dig(state, 'a.x', 'd') }}").unwrap(), "d");
        assert_eq!(
            render("{{ state.nope.deeper | default('z') }}").unwrap(),
            "z"
        );
        assert_eq!(render("{{ 'My_App.v2' | slug }}").unwrap(), "my-app-v2");
        assert_eq!(render("{{ sha256('a') }}").unwrap().len(), 64);
        assert_eq!(
            render("{{ 'p@ss/w:rd' | percent_encode }}").unwrap(),
            "p%40ss%2Fw%3Ard"
        );
        assert_eq!(
            render("{{ engine_image('postgres', 16) }}").unwrap(),
            "postgres:16"
        );
        assert_eq!(
            render("{{ engine_image('redis', '7.2') }}").unwrap(),
            "redis:7.2"
        );
        assert_eq!(
            render("{{ engine_image('redis', none) }}").unwrap(),
            super::super::engines::image("redis", None).unwrap()
        );
        assert!(render("{{ engine_image('redis', 'x\ny') }}").is_err());
        assert_eq!(
            render("{{ 'ab_1' is matching('[a-z_0-9]+') }}").unwrap(),
            "True"
        );
        assert_eq!(
            render("{{ 'ab\nc' is matching('[a-z]+') }}").unwrap(),
            "False"
        );
        assert_eq!(render("{{ 'ab' is matching('a') }}").unwrap(), "False");
        assert_eq!(render("{{ 16 is matching('[0-9]+') }}").unwrap(), "True");
        assert_eq!(render("{{ nope is matching('.*') }}").unwrap(), "False");
        assert!(render("{{ 'a' is matching('(') }}").is_err());
        assert_eq!(render("{{ '1.5Gi' | quantity }}").unwrap(), "1536Mi");
        assert_eq!(
            render("{{ '512Mi' | quantity_value | int }}").unwrap(),
            "536870912"
        );
        assert_eq!(render("{{ '250m' | quantity_value }}").unwrap(), "0.25");
        assert!(render("{{ '1 Gi' | quantity }}").is_err());
        assert!(render("{{ fail('custom') }}")
            .unwrap_err()
            .to_string()
            .contains("custom"));
    }

    #[test]
    fn runaway_loops_run_out_of_fuel() {
        let err = render(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfFuel);
    }

    #[test]
    fn seeded_randomness_is_stable() {
        std::env::set_var(SEED_ENV, "42");
        let a = Random::for_resource("x").password(10);
        let b = Random::for_resource("x").password(10);
        std::env::remove_var(SEED_ENV);
        assert_eq!(a, b);
    }
}
