//! Which crate brings TLS into a build, and whether it links OpenSSL or embeds its roots.

use super::Cargo;

/// The crate that brings TLS into a build.
pub struct Tls {
    pub crate_name: String,
    pub openssl: bool,
    /// Trust roots compiled in (webpki-roots): no CA bundle needed in the image.
    pub embeds_roots: bool,
}

impl Cargo {
    /// The crate that brings TLS in, and whether it links OpenSSL.
    pub fn tls(&self) -> Option<Tls> {
        let deps = &self.dependencies;
        let has_feature = |test: &dyn Fn(&str) -> bool| {
            deps.values()
                .any(|dep| dep.features.iter().any(|feature| test(feature)))
        };
        // reqwest up to 0.12 calls rustls with webpki roots `rustls-tls` (0.13 renamed it).
        let embeds_roots = deps.contains_key("webpki-roots")
            || has_feature(&|feature| feature.contains("webpki-roots"))
            || deps
                .get("reqwest")
                .is_some_and(|reqwest| reqwest.features.iter().any(|f| f == "rustls-tls"));
        // OpenSSL built from source into the binary: one `vendored` unifies for every user.
        let vendored = ["openssl", "openssl-sys", "native-tls", "tokio-native-tls"]
            .iter()
            .filter_map(|name| deps.get(*name))
            .any(|dep| dep.features.iter().any(|f| f == "vendored"))
            || has_feature(&|feature| {
                feature.ends_with("native-tls-vendored")
                    || feature.ends_with("vendored-openssl")
                    || feature.ends_with("openssl-vendored")
                    || feature.ends_with("openssl/vendored")
                    || feature.ends_with("native-tls/vendored")
            });
        for name in [
            "openssl",
            "openssl-sys",
            "native-tls",
            "tokio-native-tls",
            "hyper-tls",
        ] {
            if deps.contains_key(name) {
                return Some(Tls {
                    crate_name: name.to_owned(),
                    openssl: !vendored,
                    embeds_roots,
                });
            }
        }
        if let Some(reqwest) = deps.get("reqwest") {
            // reqwest's default TLS was native-tls up to 0.12 and is rustls from 0.13.
            let rustls_by_default = reqwest
                .major_minor()
                .is_some_and(|version| version >= (0, 13));
            let native = reqwest.default_features && !rustls_by_default
                || reqwest.features.iter().any(|f| f.contains("native-tls"));
            let rustls = reqwest.default_features && rustls_by_default
                || reqwest.features.iter().any(|f| f.contains("rustls"));
            if native || rustls {
                return Some(Tls {
                    crate_name: "reqwest".into(),
                    openssl: native && !vendored,
                    embeds_roots,
                });
            }
        }
        // rustls and tokio-rustls alone serve TLS as often as they call out: no evidence of a
        // client that verifies against the system store.
        for name in [
            "ureq",
            "hyper-rustls",
            "rustls-native-certs",
            "awc",
            "isahc",
            "surf",
        ] {
            if deps.contains_key(name) {
                return Some(Tls {
                    crate_name: name.to_owned(),
                    openssl: false,
                    embeds_roots,
                });
            }
        }
        None
    }
}
