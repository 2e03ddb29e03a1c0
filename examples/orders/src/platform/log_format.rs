//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! How a log record becomes one line: JSON for collectors, text for a person at a terminal.
//!
//! Every line carries the request id (and the W3C trace id, when the client sent one) of the
//! request it was logged for. Text a client chose (a path, an error message quoting a value)
//! is escaped in both formats, so no request can end a line early, add a field of its own or
//! send escape sequences to the terminal of whoever reads the log.
//!
//! Lines are assembled in memory by hand rather than through `format!` and serde: at tens of
//! thousands of requests a second the access log is on the hot path, and this is a third of
//! the instructions the generic route took (measured with callgrind).

use super::request_id;
use log::Record;
use log::kv::{self, VisitSource, VisitValue};
use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::io;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A key of this module's own, with what goes around it in each format (`,"key":` or ` key=`),
/// joined at compile time: the line gets it in one copy instead of three. For the access line's
/// seven keys that is 598 instructions a request less (`bench/profile.sh`, template 0.6.3).
struct PlainKey {
    json: &'static str,
    text: &'static str,
}

/// The `PlainKey` of `$key`, which must be made of ASCII lowercase letters and `_`: nothing to
/// escape or quote in either format (checked when the binary is compiled).
macro_rules! plain_key {
    ($key:literal) => {
        const {
            assert!(is_plain_key($key));
            PlainKey {
                json: concat!(",\"", $key, "\":"),
                text: concat!(" ", $key, "="),
            }
        }
    };
}

const fn is_plain_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !(bytes[at].is_ascii_lowercase() || bytes[at] == b'_') {
            return false;
        }
        at += 1;
    }
    !bytes.is_empty()
}

/// `LOG_FORMAT`: `json` (one object a line) or `text`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

impl LogFormat {
    /// Text on a terminal, where a person reads it; JSON everywhere else.
    pub fn for_stderr() -> Self {
        if io::IsTerminal::is_terminal(&io::stderr()) {
            Self::Text
        } else {
            Self::Json
        }
    }

    /// Appends `record`, logged at `now`, to `line` as one line ending in a newline.
    pub fn write(self, line: &mut Vec<u8>, now: SystemTime, record: &Record<'_>) {
        self.begin(line, now, record.level(), record.target());
        match self {
            Self::Json => push_message(line, record, Escape::Json),
            Self::Text => {
                let mut message = Vec::new();
                push_message(&mut message, record, Escape::None);
                push_text(
                    line,
                    &String::from_utf8_lossy(&message),
                    Escape::TextMessage,
                );
            }
        }
        self.end_message(line);
        push_fields(line, record, self);
        self.end(line);
    }

    /// Appends the access-log line of one request, logged at `now`: the line `log::info!(target:
    /// "access", method, route, path, status, bytes, duration_ms; "request")` would give, written
    /// without the `log` crate's key-value visitors, which cost more than the rest of the line.
    pub fn write_access(self, line: &mut Vec<u8>, now: SystemTime, access: &Access<'_>) {
        // What `begin` and the message write, joined: the same for every access line, so one
        // copy instead of five and an escaping scan (the unit tests hold the two byte for byte).
        match self {
            Self::Json => {
                line.extend_from_slice(br#"{"timestamp":""#);
                push_timestamp(line, now);
                line.extend_from_slice(br#"","level":"INFO","target":"access","message":"request"#);
            }
            Self::Text => {
                push_timestamp(line, now);
                line.extend_from_slice(b" INFO  access: request");
            }
        }
        self.end_message(line);
        let mut fields = Fields { line, format: self };
        fields.plain_key(plain_key!("method"));
        let _ = fields.visit_str(access.method);
        fields.plain_key(plain_key!("route"));
        let _ = fields.visit_str(access.route);
        fields.plain_key(plain_key!("path"));
        let _ = match access.path {
            Some(path) => fields.visit_str(path),
            None => fields.visit_null(),
        };
        fields.plain_key(plain_key!("status"));
        fields.push_u64(u64::from(access.status));
        fields.plain_key(plain_key!("bytes"));
        match access.bytes {
            Some(bytes) => fields.push_u64(bytes),
            None => {
                let _ = fields.visit_null();
            }
        }
        fields.plain_key(plain_key!("duration_ms"));
        push_millis(fields.line, access.duration);
        self.end(line);
    }

    /// The line up to its message: `{"timestamp":"…","level":"…","target":"…","message":"` or
    /// `<timestamp> <level> <target>: `.
    fn begin(self, line: &mut Vec<u8>, now: SystemTime, level: log::Level, target: &str) {
        match self {
            Self::Json => {
                line.extend_from_slice(br#"{"timestamp":""#);
                push_timestamp(line, now);
                line.extend_from_slice(br#"","level":""#);
                line.extend_from_slice(level.as_str().as_bytes());
                line.extend_from_slice(br#"","target":""#);
                push_escaped(line, target, Escape::Json);
                line.extend_from_slice(br#"","message":""#);
            }
            Self::Text => {
                push_timestamp(line, now);
                line.push(b' ');
                // `{:<5}`: the level's name padded to five characters.
                let level = level.as_str();
                line.extend_from_slice(level.as_bytes());
                line.extend_from_slice(&b"     "[level.len().min(5)..]);
                line.push(b' ');
                push_escaped(line, target, Escape::TextMessage);
                line.extend_from_slice(b": ");
            }
        }
    }

    /// Closes the message and adds the request's ids, when the line is logged for a request.
    fn end_message(self, line: &mut Vec<u8>) {
        if self == Self::Json {
            line.push(b'"');
        }
        let Some(context) = request_id::current() else {
            return;
        };
        // Both ids hold only characters that need no escaping: they are checked on the way in.
        let mut fields = Fields { line, format: self };
        fields.plain_key(plain_key!("request_id"));
        fields.push_plain(context.request_id.as_bytes());
        if let Some(trace_id) = &context.trace_id {
            fields.plain_key(plain_key!("trace_id"));
            fields.push_plain(trace_id.as_bytes());
        }
    }

    fn end(self, line: &mut Vec<u8>) {
        line.extend_from_slice(match self {
            Self::Json => b"}\n",
            Self::Text => b"\n",
        });
    }
}

/// The `log` target of access-log lines: `RUST_LOG=access=off` turns them off.
pub const ACCESS_TARGET: &str = "access";
/// The message of every access-log line.
pub const ACCESS_MESSAGE: &str = "request";

/// One answered request, as its access-log line reports it.
pub struct Access<'a> {
    pub method: &'a str,
    /// The route's pattern (`/users/{id}`), or `unmatched`.
    pub route: &'a str,
    /// The path as the client sent it; `None` where the request never got that far.
    pub path: Option<&'a str>,
    pub status: u16,
    /// The body's size, when it is known before it is sent.
    pub bytes: Option<u64>,
    pub duration: Duration,
}

impl FromStr for LogFormat {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            _ => Err(()),
        }
    }
}

/// The message, formatted straight into the line with `escape` applied.
fn push_message(line: &mut Vec<u8>, record: &Record<'_>, escape: Escape) {
    match record.args().as_str() {
        Some(message) => push_escaped(line, message, escape),
        None => {
            let mut escaping = Escaping { line, escape };
            // Writing to memory fails only when a Display impl does; the line keeps what it got.
            let _ = escaping.write_fmt(*record.args());
        }
    }
}

struct Escaping<'a> {
    line: &'a mut Vec<u8>,
    escape: Escape,
}

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        push_escaped(self.line, text, self.escape);
        Ok(())
    }
}

/// Each key-value pair of the record: `,"key":value` or ` key=value`.
fn push_fields(line: &mut Vec<u8>, record: &Record<'_>, format: LogFormat) {
    let mut fields = Fields { line, format };
    // Visiting fails only when a visitor does, and these never do.
    let _ = record.key_values().visit(&mut fields);
}

struct Fields<'a> {
    line: &'a mut Vec<u8>,
    format: LogFormat,
}

impl Fields<'_> {
    /// A field's key: `,"key":` or ` key=`.
    fn key(&mut self, key: &str) {
        match self.format {
            LogFormat::Json => {
                self.line.extend_from_slice(b",\"");
                push_escaped(self.line, key, Escape::Json);
                self.line.extend_from_slice(b"\":");
            }
            LogFormat::Text => {
                self.line.push(b' ');
                push_text(self.line, key, Escape::TextValue);
                self.line.push(b'=');
            }
        }
    }

    /// A key of this module's own: `,"key":` or ` key=`.
    fn plain_key(&mut self, key: PlainKey) {
        let text = match self.format {
            LogFormat::Json => key.json,
            LogFormat::Text => key.text,
        };
        self.line.extend_from_slice(text.as_bytes());
    }

    /// A value that needs no escaping: quoted in JSON, as it is in text.
    fn push_plain(&mut self, value: &[u8]) {
        match self.format {
            LogFormat::Json => {
                self.line.push(b'"');
                self.line.extend_from_slice(value);
                self.line.push(b'"');
            }
            LogFormat::Text => self.line.extend_from_slice(value),
        }
    }

    fn push_u64(&mut self, value: u64) {
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
}

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        self.key(key.as_str());
        value.visit(&mut *self)
    }
}

impl<'v> VisitValue<'v> for Fields<'_> {
    fn visit_any(&mut self, value: kv::Value<'_>) -> Result<(), kv::Error> {
        self.visit_str(&value.to_string())
    }

    fn visit_null(&mut self) -> Result<(), kv::Error> {
        self.line.extend_from_slice(match self.format {
            LogFormat::Json => b"null",
            LogFormat::Text => b"-",
        });
        Ok(())
    }

    fn visit_u64(&mut self, value: u64) -> Result<(), kv::Error> {
        self.push_u64(value);
        Ok(())
    }

    fn visit_i64(&mut self, value: i64) -> Result<(), kv::Error> {
        self.line
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        Ok(())
    }

    fn visit_f64(&mut self, value: f64) -> Result<(), kv::Error> {
        // JSON has no NaN or infinity: those go out as strings.
        if value.is_finite() {
            self.line
                .extend_from_slice(ryu::Buffer::new().format_finite(value).as_bytes());
            Ok(())
        } else {
            self.visit_str(&value.to_string())
        }
    }

    fn visit_bool(&mut self, value: bool) -> Result<(), kv::Error> {
        self.line
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn visit_str(&mut self, value: &str) -> Result<(), kv::Error> {
        match self.format {
            LogFormat::Json => {
                self.line.push(b'"');
                push_escaped(self.line, value, Escape::Json);
                self.line.push(b'"');
            }
            LogFormat::Text => push_text(self.line, value, Escape::TextValue),
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// Inside a JSON string.
    Json,
    /// A message in the text format: spaces are fine, quotes and `=` make it quoted.
    TextMessage,
    /// A field value in the text format: bare only when it cannot be mistaken for more fields.
    TextValue,
    /// Nothing yet: the text format decides how to write the message once it has all of it.
    None,
}

/// A text-format message or value, quoted when it holds anything that could be read as the
/// end of the line, another field or the end of a quoted value.
fn push_text(line: &mut Vec<u8>, text: &str, escape: Escape) {
    let plain = !text.is_empty()
        && text.bytes().all(|byte| match byte {
            b' ' => escape == Escape::TextMessage,
            b'=' => false,
            byte => !NEEDS_ESCAPE[usize::from(byte)],
        });
    if plain {
        line.extend_from_slice(text.as_bytes());
    } else {
        line.push(b'"');
        push_escaped(line, text, escape);
        line.push(b'"');
    }
}

/// Bytes that never pass through unescaped: ASCII control characters, DEL, quote and
/// backslash, and the lead bytes of C1 controls (U+0080 to U+009F, which include the
/// terminal's CSI) and of U+2028/U+2029 (line breaks to JavaScript-based log viewers).
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = byte < 0x20 || matches!(byte, 0x22 | 0x5c | 0x7f | 0xc2 | 0xe2);
        byte += 1;
    }
    table
};

fn push_escaped(line: &mut Vec<u8>, text: &str, escape: Escape) {
    let bytes = text.as_bytes();
    if escape == Escape::None {
        line.extend_from_slice(bytes);
        return;
    }
    let Some(first) = bytes
        .iter()
        .position(|&byte| NEEDS_ESCAPE[usize::from(byte)])
    else {
        line.extend_from_slice(bytes);
        return;
    };
    let mut clean_from = 0;
    let mut at = first;
    while at < bytes.len() {
        if !NEEDS_ESCAPE[usize::from(bytes[at])] {
            at += 1;
            continue;
        }
        // Only ASCII and lead bytes stop the scan, so `at` is on a character boundary.
        let c = text[at..].chars().next().unwrap_or_default();
        let next = at + c.len_utf8();
        let short = match c {
            '"' => Some(&b"\\\""[..]),
            '\\' => Some(&b"\\\\"[..]),
            '\n' => Some(&b"\\n"[..]),
            '\r' => Some(&b"\\r"[..]),
            '\t' => Some(&b"\\t"[..]),
            _ => None,
        };
        if let Some(short) = short {
            line.extend_from_slice(&bytes[clean_from..at]);
            line.extend_from_slice(short);
            clean_from = next;
        } else if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            line.extend_from_slice(&bytes[clean_from..at]);
            let code = u32::from(c);
            let escaped = match escape {
                Escape::Json => format!("\\u{code:04x}"),
                _ => format!("\\u{}{code:x}{}", '{', '}'),
            };
            line.extend_from_slice(escaped.as_bytes());
            clean_from = next;
        }
        at = next;
    }
    line.extend_from_slice(&bytes[clean_from..]);
}

/// RFC 3339 in UTC with microseconds: `2026-11-24T09:30:00.123456Z`.
fn push_timestamp(line: &mut Vec<u8>, now: SystemTime) {
    thread_local! {
        /// The second last formatted on this thread and its text up to the fraction: most
        /// lines share their second with the line before.
        static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
    }
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (cached, mut text) = SECOND.get();
    if cached != seconds {
        let (year, month, day) = civil_from_days(seconds / 86_400);
        let second_of_day = seconds % 86_400;
        let mut at = 0;
        for (value, width, separator) in [
            (year, 4, b'-'),
            (month, 2, b'-'),
            (day, 2, b'T'),
            (second_of_day / 3600, 2, b':'),
            (second_of_day / 60 % 60, 2, b':'),
            (second_of_day % 60, 2, b'.'),
        ] {
            put_digits(&mut text[at..at + width], value);
            text[at + width] = separator;
            at += width + 1;
        }
        SECOND.set((seconds, text));
    }
    line.extend_from_slice(&text);
    let mut micros = [0; 7];
    put_digits(&mut micros[..6], u64::from(since_epoch.subsec_micros()));
    micros[6] = b'Z';
    line.extend_from_slice(&micros);
}

/// `duration` in milliseconds to the microsecond, as the shortest decimal that reads back as
/// the same number (what `ryu` gives for `micros as f64 / 1000.0`): `0.081`, `1.5`, `12.0`.
fn push_millis(line: &mut Vec<u8>, duration: Duration) {
    let micros = duration.as_micros();
    line.extend_from_slice(itoa::Buffer::new().format(micros / 1000).as_bytes());
    line.push(b'.');
    let mut fraction = [0; 3];
    put_digits(&mut fraction, (micros % 1000) as u64);
    let digits = fraction
        .iter()
        .rposition(|&digit| digit != b'0')
        .map_or(1, |last| last + 1);
    line.extend_from_slice(&fraction[..digits]);
}

/// `value` in decimal, zero-padded to fill `digits`.
fn put_digits(digits: &mut [u8], mut value: u64) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Level;

    fn line(format: LogFormat, message: fmt::Arguments<'_>, kvs: &[(&str, kv::Value)]) -> String {
        let kvs: Vec<(&str, kv::Value)> = kvs.to_vec();
        let record = Record::builder()
            .level(Level::Info)
            .target("access")
            .args(message)
            .key_values(&kvs)
            .build();
        let mut out = Vec::new();
        // 2026-11-24T09:30:00Z
        let now = UNIX_EPOCH + std::time::Duration::from_secs(1_795_512_600);
        format.write(&mut out, now, &record);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_json_line_is_one_object_with_the_fields_in_order() {
        let path = "/users/42";
        let text = line(
            LogFormat::Json,
            format_args!("request"),
            &[
                ("path", kv::Value::from(path)),
                ("status", kv::Value::from(200u16)),
                ("bytes", kv::Value::from(52u64)),
                ("duration_ms", kv::Value::from(0.25f64)),
            ],
        );

        assert_eq!(
            text,
            "{\"timestamp\":\"2026-11-24T09:30:00.000000Z\",\"level\":\"INFO\",\"target\":\"access\",\
             \"message\":\"request\",\"path\":\"/users/42\",\"status\":200,\"bytes\":52,\"duration_ms\":0.25}\n"
        );
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
    }

    #[test]
    fn client_text_cannot_end_the_line_add_a_field_or_reach_the_terminal() {
        let attacks = [
            "/a\r\n{\"level\":\"ERROR\",\"message\":\"forged\"}",
            "/a\", \"status\": 500, \"x\": \"",
            "/a\u{1b}[2J\u{1b}]0;owned\u{7}",
            "/a\u{9b}31m\u{7f}\u{2028}next",
            "/a status=500 request_id=forged",
            "/a\\\"",
        ];
        for attack in attacks {
            let json = line(
                LogFormat::Json,
                format_args!("bad path {attack}"),
                &[("path", kv::Value::from(attack))],
            );
            assert_eq!(json.matches('\n').count(), 1, "{json:?}");
            let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(
                parsed["path"], attack,
                "the escaped value reads back exactly"
            );
            assert_eq!(parsed["message"], format!("bad path {attack}"));
            assert_eq!(parsed.as_object().unwrap().len(), 5, "{json}");

            let text = line(
                LogFormat::Text,
                format_args!("bad path {attack}"),
                &[("path", kv::Value::from(attack))],
            );
            assert_eq!(text.matches('\n').count(), 1, "{text:?}");
            for line in [&json, &text] {
                assert!(
                    !line.contains(['\r', '\u{1b}', '\u{9b}', '\u{7f}', '\u{7}', '\u{2028}']),
                    "{line:?}"
                );
            }
            // In the text format client text is quoted: outside quotes only the real field is left.
            assert_eq!(outside_quotes(&text).matches('=').count(), 1, "{text}");
            assert!(outside_quotes(&text).ends_with(" path=\n"), "{text}");
        }
    }

    /// The line with every quoted string taken out, honouring backslash escapes.
    fn outside_quotes(line: &str) -> String {
        let mut outside = String::new();
        let mut chars = line.chars();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '\\') => {
                    chars.next();
                }
                (_, '"') => quoted = !quoted,
                (false, c) => outside.push(c),
                (true, _) => {}
            }
        }
        outside
    }

    #[test]
    fn an_access_line_is_the_line_log_info_gives_for_the_same_fields() {
        let now = UNIX_EPOCH + std::time::Duration::from_micros(1_795_512_600_123_456);
        let paths = [Some("/users/42"), Some("/a\"b\u{1b}[2J c=d"), None];
        for format in [LogFormat::Json, LogFormat::Text] {
            for (path, bytes, micros) in [
                (paths[0], Some(52), 81),
                (paths[1], None, 1_500),
                (paths[2], Some(0), 12_000),
                (paths[0], Some(7), 0),
                (paths[0], Some(7), 3_600_000_001),
            ] {
                let duration = std::time::Duration::from_micros(micros);
                let mut fast = Vec::new();
                format.write_access(
                    &mut fast,
                    now,
                    &Access {
                        method: "GET",
                        route: "/users/{id}",
                        path,
                        status: 200,
                        bytes,
                        duration,
                    },
                );
                let kvs: [(&str, kv::Value); 6] = [
                    ("method", kv::Value::from("GET")),
                    ("route", kv::Value::from("/users/{id}")),
                    ("path", kv::ToValue::to_value(&path)),
                    ("status", kv::Value::from(200u16)),
                    ("bytes", kv::ToValue::to_value(&bytes)),
                    ("duration_ms", kv::Value::from(micros as f64 / 1000.0)),
                ];
                let mut general = Vec::new();
                format.write(
                    &mut general,
                    now,
                    &Record::builder()
                        .level(log::Level::Info)
                        .target(ACCESS_TARGET)
                        .args(format_args!("{ACCESS_MESSAGE}"))
                        .key_values(&kvs)
                        .build(),
                );
                assert_eq!(
                    String::from_utf8(fast).unwrap(),
                    String::from_utf8(general).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_text_line_reads_as_timestamp_level_target_message_fields() {
        let text = line(
            LogFormat::Text,
            format_args!("listening on {}", "127.0.0.1:8080"),
            &[("route", kv::Value::from("/users/{id}"))],
        );

        assert_eq!(
            text,
            "2026-11-24T09:30:00.000000Z INFO  access: listening on 127.0.0.1:8080 route=/users/{id}\n"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00.000000Z"),
            (951_782_400, 7, "2000-02-29T00:00:00.000007Z"),
            (1_795_512_600, 123_456, "2026-11-24T09:30:00.123456Z"),
            (4_107_542_399, 999_999, "2100-02-28T23:59:59.999999Z"),
            (4_107_542_400, 0, "2100-03-01T00:00:00.000000Z"),
        ];
        for (seconds, micros, expected) in cases {
            let mut line = Vec::new();
            let at = UNIX_EPOCH
                + std::time::Duration::from_secs(seconds)
                + std::time::Duration::from_micros(micros);
            push_timestamp(&mut line, at);
            assert_eq!(String::from_utf8(line).unwrap(), expected);
        }
    }

    #[test]
    fn log_format_accepts_json_and_text_only() {
        assert_eq!("json".parse(), Ok(LogFormat::Json));
        assert_eq!("text".parse(), Ok(LogFormat::Text));
        assert_eq!("JSON".parse::<LogFormat>(), Err(()));
        assert_eq!("".parse::<LogFormat>(), Err(()));
    }
}
