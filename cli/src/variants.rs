//! The variant matrix as data: what each runtime base builds on, runs as and trades.
//! The template's pre hook computes the same images; a test holds the two together.

use serde::Serialize;
use std::fmt;

/// The builder toolchain the template pins by default.
pub const DEFAULT_RUST_VERSION: &str = "1.95";
/// The Alpine release of rust's official alpine images for the default toolchain.
pub const ALPINE_VERSION: &str = "3.23";
/// The cargo-chef every Dockerfile installs, pinned.
pub const CARGO_CHEF_VERSION: &str = "0.1.78";
/// The port the template listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8080;

/// The runtime image family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Base {
    Distroless,
    DebianSlim,
    Alpine,
    Static,
}

/// The Debian release shared by builder and runtime for the glibc bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Debian {
    Trixie,
    Bookworm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Libc {
    Glibc,
    Musl,
}

impl Base {
    pub const ALL: [Base; 4] = [
        Base::Distroless,
        Base::DebianSlim,
        Base::Alpine,
        Base::Static,
    ];
    pub const DEFAULT: Base = Base::Distroless;

    pub fn as_str(self) -> &'static str {
        match self {
            Base::Distroless => "distroless",
            Base::DebianSlim => "debian-slim",
            Base::Alpine => "alpine",
            Base::Static => "static",
        }
    }

    pub fn parse(value: &str) -> Option<Base> {
        Base::ALL.into_iter().find(|base| base.as_str() == value)
    }

    /// Alpine builds on its own release; every other base on a Debian one.
    pub fn uses_debian(self) -> bool {
        self != Base::Alpine
    }

    pub fn libc(self) -> Libc {
        match self {
            Base::Alpine => Libc::Musl,
            _ => Libc::Glibc,
        }
    }

    /// Whether the runtime image has a shell (and so `docker exec sh` and shell-form commands).
    pub fn has_shell(self) -> bool {
        matches!(self, Base::DebianSlim | Base::Alpine)
    }

    /// The uid the service runs as: distroless's `nonroot`, or one the Dockerfile creates.
    pub fn runtime_uid(self) -> u32 {
        match self {
            Base::Distroless | Base::Static => 65532,
            Base::DebianSlim | Base::Alpine => 10001,
        }
    }

    pub fn binary(self) -> &'static str {
        match self {
            Base::Distroless | Base::DebianSlim => "glibc, dynamically linked",
            Base::Alpine => "musl, with mimalloc as the allocator",
            Base::Static => "glibc, statically linked (crt-static)",
        }
    }

    pub fn trade(self) -> &'static str {
        match self {
            Base::Distroless => {
                "no shell or package manager to attack; glibc and CA certificates included; nothing to debug with inside"
            }
            Base::DebianSlim => {
                "a shell and apt for debugging and extra packages; a larger image with more to patch"
            }
            Base::Alpine => {
                "small, with a busybox shell; musl's allocator is slow under threads (mimalloc replaces it) and some crates need musl care"
            }
            Base::Static => {
                "the smallest image: one binary and a CA bundle on scratch; no shell, no libraries to load"
            }
        }
    }
}

impl Debian {
    pub const ALL: [Debian; 2] = [Debian::Trixie, Debian::Bookworm];
    pub const DEFAULT: Debian = Debian::Trixie;

    pub fn as_str(self) -> &'static str {
        match self {
            Debian::Trixie => "trixie",
            Debian::Bookworm => "bookworm",
        }
    }

    pub fn parse(value: &str) -> Option<Debian> {
        Debian::ALL
            .into_iter()
            .find(|debian| debian.as_str() == value)
    }

    /// The release number distroless names its images by (`cc-debian13`).
    pub fn number(self) -> u8 {
        match self {
            Debian::Trixie => 13,
            Debian::Bookworm => 12,
        }
    }
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Debian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cell of the matrix: a base and, for glibc bases, the Debian release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    pub base: Base,
    pub debian: Option<Debian>,
}

impl Variant {
    /// Every variant: each Debian-based base on both releases, and alpine.
    pub fn matrix() -> Vec<Variant> {
        Base::ALL
            .into_iter()
            .flat_map(|base| {
                let releases: Vec<Option<Debian>> = if base.uses_debian() {
                    Debian::ALL.into_iter().map(Some).collect()
                } else {
                    vec![None]
                };
                releases
                    .into_iter()
                    .map(move |debian| Variant { base, debian })
            })
            .collect()
    }

    /// `distroless-trixie`, `alpine`.
    pub fn id(&self) -> String {
        match self.debian {
            Some(debian) => format!("{}-{debian}", self.base),
            None => self.base.to_string(),
        }
    }

    pub fn builder_image(&self, rust_version: &str) -> String {
        match self.debian {
            Some(debian) => format!("rust:{rust_version}-{debian}"),
            None => format!("rust:{rust_version}-alpine{ALPINE_VERSION}"),
        }
    }

    pub fn runtime_image(&self) -> String {
        let debian = self.debian.unwrap_or(Debian::DEFAULT);
        match self.base {
            Base::Distroless => format!("gcr.io/distroless/cc-debian{}:nonroot", debian.number()),
            Base::DebianSlim => format!("debian:{debian}-slim"),
            Base::Alpine => format!("alpine:{ALPINE_VERSION}"),
            Base::Static => "scratch".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_has_both_debian_releases_for_each_glibc_base_and_one_alpine() {
        let ids: Vec<String> = Variant::matrix().iter().map(Variant::id).collect();
        assert_eq!(
            ids,
            [
                "distroless-trixie",
                "distroless-bookworm",
                "debian-slim-trixie",
                "debian-slim-bookworm",
                "alpine",
                "static-trixie",
                "static-bookworm"
            ]
        );
    }

    #[test]
    fn builder_and_runtime_share_the_debian_release() {
        let variant = Variant {
            base: Base::Distroless,
            debian: Some(Debian::Bookworm),
        };
        assert_eq!(variant.builder_image("1.95"), "rust:1.95-bookworm");
        assert_eq!(
            variant.runtime_image(),
            "gcr.io/distroless/cc-debian12:nonroot"
        );
    }
}
