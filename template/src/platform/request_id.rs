//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Request ids and W3C trace context.
//!
//! A request keeps the `X-Request-Id` its client sent when that is short and made of safe
//! characters (so it can go into a log line or a header unescaped), and gets a fresh one
//! otherwise. A valid `traceparent` header contributes its trace id. While a request's future
//! runs, both are the thread's current context: every log line and JSON error made for the
//! request carries them, however deep in the handler it is made.

use actix_web::http::header::{HeaderMap, HeaderName};
use std::cell::Cell;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The longest client-supplied id kept; longer ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// A request id: 1 to 64 characters from `A-Z a-z 0-9 - _ . : + / =`, which covers UUIDs,
/// ULIDs, hex and base64 ids, and nothing that needs escaping in a header, JSON or a log line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    bytes: [u8; MAX_REQUEST_ID_LEN],
    len: u8,
}

impl RequestId {
    /// The client's id when it is acceptable as it is.
    pub fn from_client(value: &[u8]) -> Option<Self> {
        let acceptable = (1..=MAX_REQUEST_ID_LEN).contains(&value.len())
            && value.iter().all(|&byte| {
                byte.is_ascii_alphanumeric()
                    || matches!(byte, b'-' | b'_' | b'.' | b':' | b'+' | b'/' | b'=')
            });
        acceptable.then(|| {
            let mut bytes = [0; MAX_REQUEST_ID_LEN];
            bytes[..value.len()].copy_from_slice(value);
            Self {
                bytes,
                len: value.len() as u8,
            }
        })
    }

    /// A new id: 32 hex digits, unique within the process and unpredictable from outside it.
    ///
    /// Each half is a bijective mix of a per-process counter with a per-process random key, so
    /// no two requests of one process share an id, and the ids reveal neither the counter
    /// (how busy the service is) nor anything about other processes' ids.
    pub fn generate() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static KEYS: OnceLock<(u64, u64)> = OnceLock::new();
        let (high_key, low_key) = *KEYS.get_or_init(|| {
            let random = RandomState::new();
            (random.hash_one(0u8), random.hash_one(1u8))
        });
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0; MAX_REQUEST_ID_LEN];
        write_hex(&mut bytes[..16], mix(n ^ high_key));
        write_hex(&mut bytes[16..32], mix(n.wrapping_add(low_key)));
        Self { bytes, len: 32 }
    }

    /// The client's id if acceptable, a new one otherwise.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(X_REQUEST_ID)
            .and_then(|value| Self::from_client(value.as_bytes()))
            .unwrap_or_else(Self::generate)
    }

    /// The id's bytes, all ASCII: for writers that need no `str`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({:?})", self.as_str())
    }
}

/// The trace id of a W3C `traceparent` header: 32 lowercase hex digits, not all zero.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TraceId([u8; 32]);

impl TraceId {
    /// The trace id of a valid `traceparent` (`version-traceid-parentid-flags`); `None` for
    /// anything the W3C Trace Context spec says to ignore.
    pub fn from_traceparent(value: &[u8]) -> Option<Self> {
        let is_hex = |part: &[u8]| part.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let version = value.get(..2)?;
        let fields_end = 55;
        // Version 00 is exactly 55 bytes; later versions may append fields after a dash.
        let well_formed = is_hex(version)
            && version != b"ff"
            && match value.len() {
                55 => true,
                len => len > 55 && version != b"00" && value[fields_end] == b'-',
            }
            && value[2] == b'-'
            && value[35] == b'-'
            && value[52] == b'-';
        if !well_formed {
            return None;
        }
        let trace_id = &value[3..35];
        let parent_id = &value[36..52];
        let flags = &value[53..55];
        let valid = is_hex(trace_id)
            && is_hex(parent_id)
            && is_hex(flags)
            && trace_id.iter().any(|&b| b != b'0')
            && parent_id.iter().any(|&b| b != b'0');
        valid.then(|| Self(trace_id.try_into().expect("32 bytes")))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({:?})", self.as_str())
    }
}

/// What ties a log line to its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestContext {
    pub request_id: RequestId,
    pub trace_id: Option<TraceId>,
}

impl RequestContext {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            request_id: RequestId::from_headers(headers),
            trace_id: headers
                .get(TRACEPARENT)
                .and_then(|value| TraceId::from_traceparent(value.as_bytes())),
        }
    }
}

thread_local! {
    static CURRENT: Cell<Option<RequestContext>> = const { Cell::new(None) };
}

/// The context of the request this thread is working on, if any.
pub fn current() -> Option<RequestContext> {
    CURRENT.with(Cell::get)
}

/// Makes `context` current until the guard is dropped, then restores what was current before.
/// A worker thread interleaves many requests, so this is entered around each poll, not once.
pub fn enter(context: RequestContext) -> Entered {
    Entered(CURRENT.with(|current| current.replace(Some(context))))
}

pub struct Entered(Option<RequestContext>);

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
    }
}

/// splitmix64's finaliser: a bijection on u64 that scatters consecutive inputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn write_hex(out: &mut [u8], value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = DIGITS[((value >> (60 - 4 * i)) & 0xf) as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_short_safe_client_id_is_kept() {
        for id in [
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "req:42",
            "dGhlIGlkCg==",
            &"a".repeat(64),
        ] {
            assert_eq!(
                RequestId::from_client(id.as_bytes()).map(|id| id.to_string()),
                Some(id.to_owned())
            );
        }
    }

    #[test]
    fn a_long_empty_or_unsafe_client_id_is_refused() {
        for id in [
            "",
            &"a".repeat(65),
            "two words",
            "quote\"d",
            "line\r\nbreak",
            "esc\u{1b}[31m",
            "{\"json\":1}",
            "caf\u{e9}",
        ] {
            assert_eq!(RequestId::from_client(id.as_bytes()), None, "{id:?}");
        }
    }

    #[test]
    fn generated_ids_are_unique_hex_and_not_sequential() {
        let ids: Vec<String> = (0..10_000)
            .map(|_| RequestId::generate().to_string())
            .collect();

        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        for id in &ids {
            assert_eq!(id.len(), 32);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
        }
        assert_ne!(ids[0][..30], ids[1][..30], "consecutive ids share a prefix");
    }

    #[test]
    fn a_valid_traceparent_gives_its_trace_id() {
        let traceparent = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        assert_eq!(
            TraceId::from_traceparent(traceparent).map(|id| id.to_string()),
            Some("4bf92f3577b34da6a3ce929d0e0e4736".to_owned())
        );
        // A later version may carry more fields.
        assert!(
            TraceId::from_traceparent(
                b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"
            )
            .is_some()
        );
    }

    #[test]
    fn an_invalid_traceparent_is_ignored() {
        for traceparent in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473\n-00f067aa0ba902b7-01",
        ] {
            assert_eq!(
                TraceId::from_traceparent(traceparent.as_bytes()),
                None,
                "{traceparent:?}"
            );
        }
    }

    #[test]
    fn the_context_is_current_only_while_entered() {
        let outer = RequestContext {
            request_id: RequestId::generate(),
            trace_id: None,
        };
        let inner = RequestContext {
            request_id: RequestId::generate(),
            trace_id: None,
        };

        assert_eq!(current(), None);
        {
            let _outer = enter(outer);
            {
                let _inner = enter(inner);
                assert_eq!(current(), Some(inner));
            }
            assert_eq!(current(), Some(outer));
        }
        assert_eq!(current(), None);
    }
}
