//! The words `check` and the scaffolder share: C libraries and Debian releases. A leaf: it
//! imports nothing of the crate, so `check` does not depend on the scaffolder, nor the
//! scaffolder on `check`.

use serde::{Deserialize, Serialize};

/// The cargo-chef every Dockerfile installs, pinned; the pre hook and check's pinning rule
/// are tested against it.
pub const CARGO_CHEF_VERSION: &str = "0.1.78";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Libc {
    Glibc,
    Musl,
}

/// A Debian release an image may be built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebianRelease {
    pub codename: &'static str,
    /// The number distroless names its images by (`cc-debian12`).
    pub number: u8,
    /// The glibc it ships, as (major, minor); `None` while it is not released.
    pub glibc: Option<(u32, u32)>,
    /// The day it became stable; `None` while it is testing.
    pub released: Option<&'static str>,
}

/// Every Debian release an image tag may name, oldest first. Source: the Debian release pages
/// (debian.org/releases/<codename>/) and the glibc package of each (packages.debian.org).
/// The template offers the newest two stable ones (`variants::Debian`).
pub const DEBIAN_RELEASES: [DebianRelease; 7] = [
    DebianRelease {
        codename: "stretch",
        number: 9,
        glibc: Some((2, 24)),
        released: Some("2017-06-17"),
    },
    DebianRelease {
        codename: "buster",
        number: 10,
        glibc: Some((2, 28)),
        released: Some("2019-07-06"),
    },
    DebianRelease {
        codename: "bullseye",
        number: 11,
        glibc: Some((2, 31)),
        released: Some("2021-08-14"),
    },
    DebianRelease {
        codename: "bookworm",
        number: 12,
        glibc: Some((2, 36)),
        released: Some("2023-06-10"),
    },
    DebianRelease {
        codename: "trixie",
        number: 13,
        glibc: Some((2, 41)),
        released: Some("2025-08-09"),
    },
    DebianRelease {
        codename: "forky",
        number: 14,
        glibc: None,
        released: None,
    },
    DebianRelease {
        codename: "duke",
        number: 15,
        glibc: None,
        released: None,
    },
];

/// The release a name or number stands for (`bookworm`, `12`).
pub fn debian_release(word: &str) -> Option<&'static DebianRelease> {
    DEBIAN_RELEASES
        .iter()
        .find(|release| release.codename == word || word.parse() == Ok(release.number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_table_knows_buster_to_forky() {
        for codename in ["buster", "bullseye", "bookworm", "trixie", "forky"] {
            assert!(debian_release(codename).is_some(), "{codename}");
        }
        assert_eq!(debian_release("13").map(|r| r.codename), Some("trixie"));
        assert_eq!(debian_release("forky").and_then(|r| r.glibc), None);
    }
}
