//! What a base image reference says about the image: C library, Debian release, shell, default
//! user, CA certificates, and whether its tag floats. Known families only; the rest is unknown.

use crate::variants::Libc;

/// Debian releases by codename, newest last; floating rust tags resolve to the newest.
const DEBIAN: [(&str, u8); 4] = [
    ("buster", 10),
    ("bullseye", 11),
    ("bookworm", 12),
    ("trixie", 13),
];
/// The Debian release a rust image without a release in its tag is built on today.
pub const FLOATING_DEBIAN: u8 = 13;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    pub libc: Option<Libc>,
    /// The Debian release, for Debian-based images.
    pub debian: Option<u8>,
    /// `Some(false)` for images known to have no /bin/sh.
    pub shell: Option<bool>,
    /// The image's own default user is not root (distroless `:nonroot`).
    pub nonroot_default: bool,
    /// `Some(false)` for images known to have no CA bundle.
    pub ca_certificates: Option<bool>,
    /// `scratch` or distroless `static`: no C library at all.
    pub no_libc: bool,
    /// Has wget (busybox) without installing it.
    pub wget: bool,
    pub is_rust_builder: bool,
    /// The Rust toolchain of a rust builder image, as (major, minor), when pinned.
    pub rust_version: Option<(u32, u32)>,
}

/// The repository and tag of a reference (`gcr.io/distroless/cc-debian12`, `nonroot`).
pub fn split(reference: &str) -> (&str, Option<&str>) {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let name_start = without_digest.rfind('/').map_or(0, |slash| slash + 1);
    match without_digest[name_start..].rfind(':') {
        Some(colon) => {
            let at = name_start + colon;
            (&without_digest[..at], Some(&without_digest[at + 1..]))
        }
        None => (without_digest, None),
    }
}

/// Why a reference floats, or `None` when it is pinned (a release tag or a digest).
pub fn floating(reference: &str) -> Option<String> {
    if reference == "scratch" || reference.contains('@') {
        return None;
    }
    let (repository, tag) = split(reference);
    let Some(tag) = tag else {
        return Some(format!(
            "{reference} has no tag, so it means {repository}:latest"
        ));
    };
    if tag == "latest" {
        return Some(format!(
            "{reference} is the latest tag, which moves with every release"
        ));
    }
    let version = tag.split('-').next().unwrap_or(tag);
    if repository.ends_with("rust")
        && !version.contains('.')
        && version.chars().all(|c| c.is_ascii_digit())
    {
        return Some(format!(
            "{reference} names only a major version, so every Rust release changes it"
        ));
    }
    None
}

fn debian_release(word: &str) -> Option<u8> {
    DEBIAN
        .iter()
        .find(|(codename, _)| word.contains(codename))
        .map(|(_, number)| *number)
}

pub fn facts(reference: &str) -> ImageFacts {
    let (repository, tag) = split(reference);
    let tag = tag.unwrap_or("latest");
    let name = repository.rsplit('/').next().unwrap_or(repository);
    if reference == "scratch" {
        return ImageFacts {
            shell: Some(false),
            ca_certificates: Some(false),
            no_libc: true,
            ..ImageFacts::default()
        };
    }
    if repository.starts_with("gcr.io/distroless/") || repository.starts_with("cgr.dev/") {
        let debian = name
            .rsplit_once("-debian")
            .and_then(|(_, number)| number.parse().ok());
        let no_libc = name.starts_with("static");
        return ImageFacts {
            libc: (!no_libc).then_some(Libc::Glibc),
            debian,
            shell: Some(tag.contains("debug")),
            nonroot_default: tag.contains("nonroot"),
            ca_certificates: Some(true),
            no_libc,
            ..ImageFacts::default()
        };
    }
    match name {
        "alpine" => ImageFacts {
            libc: Some(Libc::Musl),
            shell: Some(true),
            ca_certificates: Some(true),
            wget: true,
            ..ImageFacts::default()
        },
        "debian" => ImageFacts {
            libc: Some(Libc::Glibc),
            debian: debian_release(tag).or_else(|| tag.split(['.', '-']).next()?.parse().ok()),
            shell: Some(true),
            ca_certificates: Some(!tag.contains("slim")),
            ..ImageFacts::default()
        },
        "ubuntu" => ImageFacts {
            libc: Some(Libc::Glibc),
            shell: Some(true),
            ca_certificates: Some(false),
            ..ImageFacts::default()
        },
        "rust" => {
            let musl = tag.contains("alpine");
            let version = tag.split('-').next().unwrap_or(tag);
            let mut numbers = version.split('.').map(|part| part.parse::<u32>().ok());
            let rust_version = match (numbers.next().flatten(), numbers.next().flatten()) {
                (Some(major), Some(minor)) => Some((major, minor)),
                _ => None,
            };
            ImageFacts {
                libc: Some(if musl { Libc::Musl } else { Libc::Glibc }),
                debian: (!musl).then(|| debian_release(tag).unwrap_or(FLOATING_DEBIAN)),
                shell: Some(true),
                ca_certificates: Some(true),
                is_rust_builder: true,
                rust_version,
                ..ImageFacts::default()
            }
        }
        _ => ImageFacts::default(),
    }
}

pub fn debian_codename(number: u8) -> String {
    DEBIAN
        .iter()
        .find(|(_, release)| *release == number)
        .map_or_else(
            || format!("Debian {number}"),
            |(codename, _)| format!("Debian {number} ({codename})"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_float_without_a_release_tag_or_digest() {
        for floats in [
            "gcr.io/distroless/cc-debian12",
            "rust:latest",
            "rust:1",
            "rust:1-bookworm",
            "debian",
        ] {
            assert!(floating(floats).is_some(), "{floats}");
        }
        for pinned in [
            "rust:1.95-trixie",
            "debian:trixie-slim",
            "gcr.io/distroless/cc-debian13:nonroot",
            "alpine:3.23",
            "scratch",
            "x@sha256:ab",
            "localhost:5000/app:1.2",
        ] {
            assert_eq!(floating(pinned), None, "{pinned}");
        }
    }

    #[test]
    fn floating_rust_tags_resolve_to_trixie_and_releases_are_read() {
        assert_eq!(facts("rust:1.75").debian, Some(13));
        assert_eq!(facts("rust:1.75-bookworm").debian, Some(12));
        assert_eq!(facts("rust:1.75-bookworm").rust_version, Some((1, 75)));
        assert_eq!(facts("gcr.io/distroless/cc-debian12").debian, Some(12));
        assert_eq!(facts("debian:12-slim").debian, Some(12));
        assert_eq!(facts("rust:1.95-alpine3.23").libc, Some(Libc::Musl));
    }
}
