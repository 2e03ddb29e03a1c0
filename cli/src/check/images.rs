//! What a base image reference says about the image: C library and its version, the Debian
//! release, shell, default user, CA certificates, the Rust toolchain of a builder, and whether
//! its tag floats. Known families only; the rest is unknown, and unknown is never guessed.

pub use crate::vocabulary::{DEBIAN_RELEASES, DebianRelease, Libc, debian_release};

/// The Debian release behind an official `rust:<version>` tag that names none: the image's
/// default variant on the day the tag was last pushed (a `1.NN` tag stops moving when 1.NN+1
/// comes out). Source: `default_debian_variant` in rust-lang/docker-rust's `x.py` (buster from
/// 1.37.0, bullseye from 1.55.0, bookworm from 1.71.1, trixie from 2025-08-19, during 1.89).
/// Older tags are left unknown.
pub fn rust_default_debian(version: (u32, u32, Option<u32>)) -> Option<u8> {
    match version {
        (1, minor, _) if minor < 37 => None,
        (1, 37..=54, _) => Some(10),
        (1, 55..=70, _) | (1, 71, Some(0)) => Some(11),
        (1, 71..=88, _) => Some(12),
        _ => Some(13),
    }
}

/// Ubuntu releases and their glibc. Source: packages.ubuntu.com, package glibc.
const UBUNTU: [(&str, &str, (u32, u32)); 6] = [
    ("18.04", "bionic", (2, 27)),
    ("20.04", "focal", (2, 31)),
    ("22.04", "jammy", (2, 35)),
    ("24.04", "noble", (2, 39)),
    ("24.10", "oracular", (2, 40)),
    ("25.04", "plucky", (2, 41)),
];

/// Red Hat's UBI majors and their glibc.
const UBI: [(&str, (u32, u32)); 3] = [("8", (2, 28)), ("9", (2, 34)), ("10", (2, 39))];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    pub libc: Option<Libc>,
    /// The glibc version, where the image's release says it.
    pub glibc: Option<(u32, u32)>,
    /// The distribution release, for messages: `Debian 12 (bookworm)`, `Ubuntu 24.04`.
    pub release: Option<String>,
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
    /// A musl builder that ships a static OpenSSL (clux/muslrust until 2025, blackdex/rust-musl).
    pub static_openssl: bool,
    /// The cargo-chef a `lukemathwalker/cargo-chef` image carries: `Some(false)` for `latest`.
    pub cargo_chef_pinned: Option<bool>,
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

/// Tag words that name a moving target rather than a release.
const ROLLING: [&str; 10] = [
    "latest",
    "edge",
    "sid",
    "unstable",
    "testing",
    "stable",
    "oldstable",
    "rolling",
    "lts",
    "nightly",
];

/// Rust toolchain images other than `rust` and cargo-chef's: their tags name a target or a
/// channel (`x86_64-musl`, `stable`), and a Rust version only when pinned
/// (`x86_64-musl-stable-1.97.1`, `1.85.0-stable`). Without one they follow stable Rust.
const RUST_BUILDERS: [&str; 4] = [
    "muslrust",
    "rust-musl",
    "rust-musl-cross",
    "rust-musl-builder",
];

/// The Rust version a builder's tag names, in any of its `-` separated words.
fn tag_rust_version(tag: &str) -> Option<(u32, u32, Option<u32>)> {
    tag.split('-').find_map(version_of)
}

/// Whether a tag names a day (`nightly-2024-05-01`): a dated nightly is a fixed toolchain.
fn dated(tag: &str) -> bool {
    let words: Vec<&str> = tag.split('-').collect();
    words.windows(3).any(|day| {
        let digits = |word: &str, length: usize| {
            word.len() == length && word.chars().all(|c| c.is_ascii_digit())
        };
        digits(day[0], 4) && digits(day[1], 2) && digits(day[2], 2)
    })
}

/// Why a reference floats, or `None` when it is pinned (a release tag or a digest).
pub fn floating(reference: &str) -> Option<String> {
    if reference == "scratch" || reference.contains('@') || reference.is_empty() {
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
    let name = repository.rsplit('/').next().unwrap_or(repository);
    if name == "cargo-chef" {
        // `<chef>-rust-<rust tag>`: the chef part is CM003's; the Rust part floats here.
        let rust_tag = tag.split_once("rust-").map_or("", |(_, rust)| rust);
        return floating_rust_tag(rust_tag).map(|why| format!("{reference}: the Rust part {why}"));
    }
    if name == "rust" {
        return floating_rust_tag(tag).map(|why| format!("{reference}: {why}"));
    }
    // `stable` after a version (`1.85.0-stable`) is a channel, not a moving target, and a
    // dated `nightly-2024-05-01` is one day's toolchain.
    let versioned = dated(tag)
        || tag
            .split('-')
            .any(|word| word.starts_with(|c: char| c.is_ascii_digit()) && word.contains('.'));
    if let Some(word) = tag
        .split(['-', '.', '_'])
        .find(|word| ROLLING.contains(&word.to_ascii_lowercase().as_str()))
        .filter(|_| !versioned)
    {
        return Some(format!(
            "{reference}: `{word}` names a moving target, not a release"
        ));
    }
    if RUST_BUILDERS.contains(&name) && tag_rust_version(tag).is_none() && !dated(tag) {
        return Some(format!(
            "{reference}: names no Rust version, so every Rust release changes it"
        ));
    }
    // A major-only version (`node:20`, `alpine:3`) moves with every minor release; a Debian
    // release number (`debian:12`) is a release.
    let version = tag.split('-').next().unwrap_or(tag);
    if !version.is_empty()
        && version.chars().all(|c| c.is_ascii_digit())
        && !matches!(name, "debian" | "buildpack-deps")
        && !name.starts_with("ubi")
        && !name.starts_with("cc-debian")
    {
        return Some(format!(
            "{reference} names only a major version, so every release changes it"
        ));
    }
    if !names_a_release(name, tag) {
        return Some(format!(
            "{reference}: `{tag}` names only a variant of the image, not a release, so every \
             release changes it"
        ));
    }
    None
}

/// Whether a tag names a release of some kind: a version (`7.2-alpine`, `v5`, `pg17-0.112.0`),
/// a Debian or Ubuntu release by name (`trixie-slim`, `jammy`), a day or a commit; or a flavour
/// (`nonroot`, `debug`, an architecture) of an image whose name carries its release
/// (`cc-debian13`, `ubi9`); not any tag of such a name (`percona_xtradb_cluster_5_6:beta`).
/// `alpine`, `slim`, `musl`, `e2e` alone name none: the tag follows the image's releases.
fn names_a_release(name: &str, tag: &str) -> bool {
    let words: Vec<&str> = tag.split(['-', '_', '.']).collect();
    let versioned = |word: &&str| {
        let digits = word.trim_start_matches(['v', 'V']);
        digits.starts_with(|c: char| c.is_ascii_digit())
    };
    let commit = |word: &&str| {
        word.len() >= 7
            && word.chars().all(|c| c.is_ascii_hexdigit())
            && word.chars().any(|c| c.is_ascii_digit())
    };
    let release_name = |word: &&str| {
        debian_release(word).is_some() || UBUNTU.iter().any(|(_, codename, _)| codename == word)
    };
    // `nonroot`, `debug`, an architecture: a flavour of the release the image's name carries.
    let flavour = |word: &&str| {
        matches!(
            *word,
            "nonroot" | "debug" | "amd64" | "arm64" | "arm" | "s390x" | "ppc64le"
        )
    };
    words
        .iter()
        .any(|word| versioned(word) || commit(word) || release_name(word))
        || dated(tag)
        || (words.iter().all(flavour) && name.chars().any(|c| c.is_ascii_digit()))
}

/// Why a `rust:` tag floats: no Rust version (`alpine`, `slim-bookworm`) or a major-only one.
fn floating_rust_tag(tag: &str) -> Option<&'static str> {
    if dated(tag) {
        return None;
    }
    let version = tag.split('-').next().unwrap_or(tag);
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return Some("names no Rust version, so every Rust release changes it");
    }
    if !version.contains('.') {
        return Some("names only a major version, so every Rust release changes it");
    }
    None
}

/// `1.75`, `1.75.0` as (major, minor, patch).
fn version_of(word: &str) -> Option<(u32, u32, Option<u32>)> {
    let mut numbers = word.split('.');
    let major = numbers.next()?.parse().ok()?;
    let minor = numbers.next()?.parse().ok()?;
    let patch = numbers.next().and_then(|p| p.parse().ok());
    Some((major, minor, patch))
}

fn debian_facts(release: Option<&DebianRelease>) -> ImageFacts {
    ImageFacts {
        libc: Some(Libc::Glibc),
        glibc: release.and_then(|release| release.glibc),
        release: release.map(describe_debian),
        ..ImageFacts::default()
    }
}

pub fn describe_debian(release: &DebianRelease) -> String {
    format!("Debian {} ({})", release.number, release.codename)
}

/// A rust image tag (`1.75-slim-bookworm`, `alpine3.21`, `1`) as builder facts.
fn rust_tag_facts(tag: &str, digest: bool) -> ImageFacts {
    let musl = tag.contains("alpine");
    let words: Vec<&str> = tag.split('-').collect();
    let version = words.first().and_then(|word| version_of(word));
    let named = words
        .iter()
        .find_map(|word| debian_release(word).filter(|_| !word.starts_with(char::is_numeric)));
    let release = match (named, version) {
        (Some(release), _) => Some(release),
        _ if musl => None,
        // A digest pins an image of some day: which default it had is unknown.
        _ if digest => None,
        (None, Some(version)) => {
            rust_default_debian(version).and_then(|n| debian_release(&n.to_string()))
        }
        // `rust:1`, `rust:latest`, `rust:slim`: today's default.
        (None, None) => {
            rust_default_debian((1, u32::MAX, None)).and_then(|n| debian_release(&n.to_string()))
        }
    };
    let mut facts = if musl {
        ImageFacts {
            libc: Some(Libc::Musl),
            ..ImageFacts::default()
        }
    } else {
        debian_facts(release)
    };
    facts.shell = Some(true);
    facts.ca_certificates = Some(true);
    facts.is_rust_builder = true;
    facts.rust_version = version.map(|(major, minor, _)| (major, minor));
    facts
}

pub fn facts(reference: &str) -> ImageFacts {
    let (repository, tag) = split(reference);
    let digest = reference.contains('@');
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
    if repository.starts_with("gcr.io/distroless/") {
        let release = name
            .rsplit_once("-debian")
            .and_then(|(_, number)| debian_release(number));
        let no_libc = name.starts_with("static");
        return ImageFacts {
            shell: Some(tag.contains("debug")),
            nonroot_default: tag.contains("nonroot"),
            ca_certificates: Some(true),
            no_libc,
            ..if no_libc {
                ImageFacts::default()
            } else {
                debian_facts(release)
            }
        };
    }
    if repository.starts_with("cgr.dev/") {
        let no_libc = name == "static";
        return ImageFacts {
            libc: (!no_libc).then_some(Libc::Glibc),
            shell: Some(tag.contains("dev")),
            nonroot_default: true,
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
        "debian" | "buildpack-deps" => {
            let words: Vec<&str> = tag.split(['-', '.']).collect();
            let release = words.iter().find_map(|word| debian_release(word));
            ImageFacts {
                shell: Some(true),
                // Only buildpack-deps installs it; debian's own images have no CA bundle.
                ca_certificates: Some(name == "buildpack-deps"),
                ..debian_facts(release)
            }
        }
        "ubuntu" => {
            let release = UBUNTU.iter().find(|(version, codename, _)| {
                tag.starts_with(version) || tag.starts_with(codename)
            });
            ImageFacts {
                libc: Some(Libc::Glibc),
                glibc: release.map(|(_, _, glibc)| *glibc),
                release: release.map(|(version, _, _)| format!("Ubuntu {version}")),
                shell: Some(true),
                ca_certificates: Some(false),
                ..ImageFacts::default()
            }
        }
        _ if name.starts_with("ubi") && name[3..].starts_with(|c: char| c.is_ascii_digit()) => {
            let major = name
                .trim_start_matches("ubi")
                .split('-')
                .next()
                .unwrap_or("");
            let glibc = UBI
                .iter()
                .find(|(version, _)| *version == major)
                .map(|(_, glibc)| *glibc);
            ImageFacts {
                libc: Some(Libc::Glibc),
                glibc,
                release: glibc.map(|_| format!("UBI {major}")),
                shell: Some(true),
                ..ImageFacts::default()
            }
        }
        "rust" => rust_tag_facts(tag, digest),
        "cargo-chef" => {
            let (chef, rust_tag) = tag.split_once("-rust-").unwrap_or((tag, ""));
            let rust_tag = rust_tag.strip_prefix("rust-").unwrap_or(rust_tag);
            ImageFacts {
                cargo_chef_pinned: Some(chef != "latest" || digest),
                ..rust_tag_facts(rust_tag, digest)
            }
        }
        "muslrust" => {
            let version = tag.split('-').next().and_then(version_of);
            ImageFacts {
                libc: Some(Libc::Musl),
                shell: Some(true),
                ca_certificates: Some(true),
                is_rust_builder: true,
                rust_version: version.map(|(major, minor, _)| (major, minor)),
                // It dropped OpenSSL in May 2025, after Rust 1.87.
                static_openssl: version.is_some_and(|(_, minor, _)| minor <= 87),
                ..ImageFacts::default()
            }
        }
        "rust-musl" if repository.contains("blackdex") => ImageFacts {
            libc: Some(Libc::Musl),
            shell: Some(true),
            ca_certificates: Some(true),
            is_rust_builder: true,
            rust_version: tag_rust_version(tag).map(|(major, minor, _)| (major, minor)),
            static_openssl: true,
            ..ImageFacts::default()
        },
        // messense/rust-musl-cross, ghcr.io/rust-cross/rust-musl-cross: Ubuntu with a musl
        // cross toolchain as cargo's default target; its Dockerfile of today builds zlib but
        // no OpenSSL (early tags had one).
        "rust-musl-cross" => ImageFacts {
            libc: Some(Libc::Musl),
            shell: Some(true),
            ca_certificates: Some(true),
            is_rust_builder: true,
            rust_version: tag_rust_version(tag).map(|(major, minor, _)| (major, minor)),
            ..ImageFacts::default()
        },
        _ => ImageFacts::default(),
    }
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
            "rust:alpine",
            "rust:alpine3.21",
            "rust:slim-bookworm",
            "rust:bookworm",
            "debian",
            "debian:sid-slim",
            "debian:stable-slim",
            "alpine:edge",
            "node:lts-alpine",
            "node:20",
            "clux/muslrust:stable",
            "ubuntu:rolling",
            "lukemathwalker/cargo-chef:latest-rust-1",
            "lukemathwalker/cargo-chef:latest-rust-slim-bookworm",
            "redis:alpine",
            "busybox:musl",
            "registry.k8s.io/redis:e2e",
            "quay.io/kuadrant/authorino-examples:talker-api",
            "capttofu/percona_xtradb_cluster_5_6:beta",
        ] {
            assert!(floating(floats).is_some(), "{floats}");
        }
        for pinned in [
            "rust:1.95-trixie",
            "rust:1.95.0-slim-bookworm",
            "debian:trixie-slim",
            "debian:12-slim",
            "gcr.io/distroless/cc-debian13:nonroot",
            "alpine:3.23",
            "ubuntu:24.04",
            "clux/muslrust:1.85.0-stable",
            "redhat/ubi9-minimal:9.5",
            "scratch",
            "x@sha256:ab",
            "localhost:5000/app:1.2",
            "lukemathwalker/cargo-chef:latest-rust-1.80.1",
            "lukemathwalker/cargo-chef:0.1.73-rust-1.91.1-trixie",
            "redis:7.2-alpine",
            "gcr.io/google-samples/gb-frontend:v5",
            "ubuntu:jammy",
            "ghcr.io/documentdb/documentdb/documentdb-local:pg17-0.112.0",
            "ghcr.io/org/app:sha-5f3a2b1",
            "gcr.io/distroless/static-debian12:nonroot",
        ] {
            assert_eq!(floating(pinned), None, "{pinned}");
        }
    }

    #[test]
    fn a_rust_tag_without_a_codename_takes_the_default_of_its_last_push() {
        let release = |reference: &str| facts(reference).glibc;
        assert_eq!(release("rust:1.50"), Some((2, 28)));
        assert_eq!(release("rust:1.56"), Some((2, 31)));
        assert_eq!(release("rust:1.71.0"), Some((2, 31)));
        assert_eq!(release("rust:1.71"), Some((2, 36)));
        assert_eq!(release("rust:1.83-slim"), Some((2, 36)));
        assert_eq!(release("rust:1.90"), Some((2, 41)));
        assert_eq!(release("rust:1"), Some((2, 41)));
        assert_eq!(release("rust:1.30"), None, "older than the table: unknown");
        assert_eq!(
            release("rust:1@sha256:00"),
            None,
            "a digest of some day: unknown"
        );
        assert_eq!(release("rust:1.75-bookworm"), Some((2, 36)));
        assert_eq!(facts("rust:1.75-bookworm").rust_version, Some((1, 75)));
        assert_eq!(facts("rust:1.95-alpine3.23").libc, Some(Libc::Musl));
    }

    #[test]
    fn other_families_say_their_glibc() {
        assert_eq!(facts("gcr.io/distroless/cc-debian12").glibc, Some((2, 36)));
        assert_eq!(facts("debian:12-slim").glibc, Some((2, 36)));
        assert_eq!(facts("ubuntu:24.04").glibc, Some((2, 39)));
        let chef = facts("lukemathwalker/cargo-chef:latest-rust-1.95-trixie");
        assert_eq!(
            (chef.glibc, chef.cargo_chef_pinned),
            (Some((2, 41)), Some(false))
        );
        assert_eq!(
            facts("lukemathwalker/cargo-chef:0.1.73-rust-1.80.1").glibc,
            Some((2, 36))
        );
        assert!(facts("clux/muslrust:1.85.0-stable").static_openssl);
        assert!(!facts("clux/muslrust:stable").static_openssl);
    }
}
