//! Secrets out of messages: a [`Redactor`] replaces every secret value of a connection — and
//! the forms an API may echo it in (URL-encoded, base64, the base64 `user:password` of HTTP
//! Basic) — with `[redacted]` before a message is printed, stored or logged.

use crate::bindings::types::HttpError;
use crate::http::Credentials;
use crate::oauth::TokenManager;
use base64::Engine as _;
use std::fmt;
use std::sync::Arc;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not redacted (replacing `1` or `ab` everywhere would garble messages
/// and hide nothing).
pub const MIN_SECRET_LEN: usize = 4;

/// Replaces a connection's secrets in text. `Debug` shows how many, never which.
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
    /// OAuth tokens change while the connection runs: the manager knows the current ones.
    tokens: Vec<Arc<TokenManager>>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} values)", self.needles.len())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A value and the encodings an API may echo it in.
fn forms(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let bytes = secret.as_bytes();
    let mut out = vec![
        secret.to_string(),
        url::form_urlencoded::byte_serialize(bytes).collect::<String>(),
        percent_encode(secret),
        percent_encode(secret).to_ascii_lowercase(),
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
    ];
    // JSON escapes (`/` as `\/`, quotes) as an API may echo the value inside a JSON string.
    if let Ok(json) = serde_json::to_string(secret) {
        out.push(json[1..json.len() - 1].to_string());
        out.push(json[1..json.len() - 1].replace('/', "\\/"));
    }
    out
}

impl Redactor {
    /// A redactor that redacts nothing yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// A redactor for these secret values (each with its encodings).
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut r = Redactor::new();
        for s in secrets {
            r.add(s);
        }
        r
    }

    /// Adds a secret value (and its URL-encoded and base64 forms); values shorter than
    /// [`MIN_SECRET_LEN`] are ignored.
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        for f in forms(secret) {
            if f.len() >= MIN_SECRET_LEN && !self.needles.contains(&f) {
                self.needles.push(f);
            }
        }
        // Longest first, so a value is never half-replaced by a shorter one inside it.
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// Adds HTTP Basic credentials: the password and the base64 of `user:password`.
    pub fn add_basic(&mut self, username: &str, password: &str) {
        self.add(password);
        let pair = format!("{username}:{password}");
        if password.chars().count() >= MIN_SECRET_LEN || pair.len() >= 2 * MIN_SECRET_LEN {
            for f in forms(&pair).into_iter().skip(1) {
                if f.len() >= MIN_SECRET_LEN && !self.needles.contains(&f) {
                    self.needles.push(f);
                }
            }
            self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
    }

    /// Also redacts every token `manager` has held (and its client secret).
    pub fn add_tokens(&mut self, manager: Arc<TokenManager>) {
        if !self.tokens.iter().any(|m| Arc::ptr_eq(m, &manager)) {
            self.tokens.push(manager);
        }
    }

    /// Adds another redactor's secrets.
    pub fn extend(&mut self, other: &Redactor) {
        for n in &other.needles {
            if !self.needles.contains(n) {
                self.needles.push(n.clone());
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        for m in &other.tokens {
            self.add_tokens(m.clone());
        }
    }

    /// The secrets of a set of credentials.
    pub fn from_credentials(credentials: &Credentials) -> Redactor {
        let mut r = Redactor::new();
        match credentials {
            Credentials::None => {}
            Credentials::Bearer(token) => r.add(token),
            Credentials::Header { value, .. } | Credentials::Query { value, .. } => {
                r.add(value);
                // A prefixed key (`Token abc…`, `name=abc…` for a cookie): the key alone too.
                if let Some((_, key)) = value.rsplit_once([' ', '=']) {
                    r.add(key);
                }
            }
            Credentials::Basic { username, password } => r.add_basic(username, password),
            Credentials::OAuth2(m) => r.add_tokens(m.clone()),
        }
        r
    }

    /// Whether nothing would be redacted.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty() && self.tokens.is_empty()
    }

    /// Whether `text` holds a secret.
    pub fn holds_secret(&self, text: &str) -> bool {
        self.redact(text) != text
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        let mut dynamic = Redactor::new();
        for m in &self.tokens {
            for s in m.known_secrets() {
                dynamic.add(&s);
            }
        }
        for needle in dynamic.needles.iter().chain(&self.needles) {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), REDACTED);
            }
        }
        // Messages quote error bodies cut to a length, which can cut a secret (a long token)
        // short: a run of the first characters of a secret form is redacted too.
        for needle in dynamic.needles.iter().chain(&self.needles) {
            out = redact_prefixes(&out, needle);
        }
        out
    }

    /// An HTTP error with its message redacted.
    pub fn http_error(&self, e: HttpError) -> HttpError {
        if self.is_empty() {
            return e;
        }
        match e {
            HttpError::Denied(m) => HttpError::Denied(self.redact(&m)),
            HttpError::InvalidUrl(m) => HttpError::InvalidUrl(self.redact(&m)),
            HttpError::Network(m) => HttpError::Network(self.redact(&m)),
            HttpError::Timeout(m) => HttpError::Timeout(self.redact(&m)),
        }
    }
}

/// A secret's first characters that count as the secret when a message was cut inside it.
pub const MIN_PREFIX_LEN: usize = 8;

/// `text` with every run of at least [`MIN_PREFIX_LEN`] leading characters of `needle`
/// replaced by [`REDACTED`].
fn redact_prefixes(text: &str, needle: &str) -> String {
    let Some((head_end, _)) = needle.char_indices().nth(MIN_PREFIX_LEN) else {
        return text.to_string();
    };
    let head = &needle[..head_end];
    if !text.contains(head) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(head) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let mut len = 0;
        for ((i, a), b) in tail.char_indices().zip(needle.chars()) {
            if a != b {
                break;
            }
            len = i + a.len_utf8();
        }
        out.push_str(REDACTED);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_cut_short_by_a_truncated_message_is_redacted_too() {
        let token = format!("sekrit{}END", "Zq9".repeat(60));
        let r = Redactor::from_secrets([token.as_str(), "short-1"]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&token);
        for cut in [8, 16, 100, 185] {
            let text = format!(
                "GET /x answered 400: {{\"error\": \"bad key {}…",
                &token[..cut]
            );
            let out = r.redact(&text);
            assert!(!out.contains(&token[..8]), "{cut}: {out}");
            assert!(out.ends_with("bad key [redacted]…"), "{out}");
            let out = r.redact(&format!("echo {}", &b64[..cut.min(b64.len())]));
            assert_eq!(out, "echo [redacted]", "{cut}");
        }
        // Shorter runs and other text are left alone.
        assert_eq!(r.redact("sekritZ and short-"), "sekritZ and short-");
    }

    #[test]
    fn secrets_and_their_encodings_are_redacted() {
        let secret = "s3cr et/+=key";
        let mut r = Redactor::from_secrets([secret, "abc"]);
        r.add_basic("alice", "pw-1234");
        let basic = base64::engine::general_purpose::STANDARD.encode("alice:pw-1234");
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let text = format!(
            "raw {secret}; query {encoded}; pct {}; b64 {b64}; basic Basic {basic}; short abc",
            percent_encode(secret)
        );
        let out = r.redact(&text);
        for s in [
            secret,
            &encoded,
            &b64,
            &basic,
            "pw-1234",
            &percent_encode(secret),
        ] {
            assert!(!out.contains(s), "a secret form is left in the message");
        }
        assert!(
            out.contains("short abc"),
            "short values are left alone: {out}"
        );
        assert_eq!(out.matches(REDACTED).count(), 5, "{out}");
        assert!(!format!("{r:?}").contains("pw-1234"));
    }

    #[test]
    fn credentials_give_their_secrets() {
        let r = Redactor::from_credentials(&Credentials::Header {
            name: "authorization".into(),
            value: "Token key-12345".into(),
        });
        assert_eq!(r.redact("got Token key-12345"), "got [redacted]");
        assert_eq!(r.redact("got key-12345"), "got [redacted]");
        let r = Redactor::from_credentials(&Credentials::Basic {
            username: "u".into(),
            password: "pass-9876".into(),
        });
        let basic = base64::engine::general_purpose::STANDARD.encode("u:pass-9876");
        assert_eq!(r.redact(&format!("Basic {basic}")), "Basic [redacted]");
    }
}
