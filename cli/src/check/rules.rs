//! The rule catalogue: each rule's id, severity, one sentence on why it matters and one on how
//! to fix it, and a longer explanation for `--explain`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub explain: &'static str,
}

use Severity::{Error, Info, Warning};

pub const RULES: &[Rule] = &[
    Rule {
        id: "CM001",
        severity: Warning,
        title: "single-stage build",
        why: "The image ships the whole Rust toolchain and build cache: hundreds of megabytes to pull, scan and patch.",
        fix: "Build in a `rust:` stage and copy only the binary into a small runtime stage (distroless, debian-slim, scratch).",
        explain: "A Rust binary needs nothing of the toolchain at run time. A multi-stage Dockerfile compiles in a builder stage and starts the final stage from a runtime image, copying in only the binary (and CA certificates where the runtime lacks them). Images drop from over 1 GB to 3-30 MB.",
    },
    Rule {
        id: "CM002",
        severity: Warning,
        title: "no dependency caching",
        why: "Every source change recompiles every dependency, turning a 30-second rebuild into many minutes.",
        fix: "Use cargo-chef (`cargo chef prepare` / `cargo chef cook`) or build dependencies from the manifests before `COPY . .`, or a BuildKit cache mount.",
        explain: "Docker caches a layer until its inputs change. When `cargo build` runs right after `COPY . .`, any change to any file invalidates the layer that compiles all dependencies. cargo-chef computes a recipe from the manifests, cooks (builds) the dependencies in their own layer, and only then copies the source.",
    },
    Rule {
        id: "CM003",
        severity: Warning,
        title: "unpinned cargo-chef",
        why: "`cargo install cargo-chef` takes whatever is newest, so a cargo-chef release (or one of its dependencies) can break the build with no change on your side.",
        fix: "Pin it: `cargo install cargo-chef --locked --version 0.1.78`.",
        explain: "Without `--version`, each cold build installs the latest cargo-chef; without `--locked`, it also resolves its dependencies afresh, and a new dependency release that needs a newer rustc than the builder image has fails the install.",
    },
    Rule {
        id: "CM004",
        severity: Warning,
        title: "floating base image tag",
        why: "An untagged, `latest` or major-only tag (`rust:1`) changes under you, so the same Dockerfile builds a different image tomorrow.",
        fix: "Pin a release tag (`rust:1.95-trixie`, `gcr.io/distroless/cc-debian13:nonroot`, `alpine:3.23`) or a digest.",
        explain: "A floating tag also hides the Debian release a rust image is built on: `rust:1.75` resolves to today's default Debian (trixie), which decides which glibc the binary needs. Pin the Rust version and the release together.",
    },
    Rule {
        id: "CM005",
        severity: Error,
        title: "builder and runtime C library mismatch",
        why: "A binary linked against a newer glibc (or against glibc at all) may fail to start on the runtime image with `GLIBC_2.xx not found` or `no such file`.",
        fix: "Build and run on the same Debian release (rust:<v>-bookworm with cc-debian12 or bookworm-slim; trixie with cc-debian13), or link statically (musl, or `-C target-feature=+crt-static`).",
        explain: "Dynamically linked binaries bind to versioned glibc symbols of the builder's release. Rust's std avoids new symbols, but any C code (a -sys crate, a C dependency built by cc) compiled on trixie can need GLIBC_2.38+, which bookworm (2.36) does not have. A glibc binary cannot run on musl (alpine) or on an image with no C library (scratch, distroless static) at all. Floating rust tags resolve to the newest Debian. Statically linked binaries (musl, crt-static) are not affected.",
    },
    Rule {
        id: "CM006",
        severity: Warning,
        title: "final stage runs as root",
        why: "A compromise of the service is a compromise of root in the container, one kernel bug away from the host.",
        fix: "Add `USER 65532:65532` (or a user you create) to the final stage, or use a `:nonroot` distroless tag.",
        explain: "Docker runs the entrypoint as root unless the image or the Dockerfile sets USER. Distroless images have a `nonroot` user (65532) and `:nonroot` tags that select it; on debian-slim and alpine create a user with a fixed uid. A numeric uid works even where /etc/passwd is missing (scratch).",
    },
    Rule {
        id: "CM007",
        severity: Error,
        title: "shell-form ENTRYPOINT or CMD",
        why: "Shell form runs `/bin/sh -c`: on an image with no shell the container cannot start, and where there is one the shell is PID 1 and SIGTERM never reaches the service.",
        fix: "Use exec form: `ENTRYPOINT [\"/usr/local/bin/app\"]`.",
        explain: "The shell form wraps the command in `/bin/sh -c`. Distroless and scratch images have no /bin/sh, so the container fails at once. Where a shell exists, it becomes PID 1 and does not forward signals, so `docker stop` waits its full 10 seconds and kills the service without a graceful shutdown. On images with a shell this is reported as a warning.",
    },
    Rule {
        id: "CM008",
        severity: Error,
        title: "HEALTHCHECK the image cannot run",
        why: "A HEALTHCHECK that calls a shell, curl or wget the image does not have always fails, so the container is marked unhealthy and orchestrators restart it forever.",
        fix: "Probe with the service itself (`HEALTHCHECK CMD [\"/usr/local/bin/app\", \"healthcheck\"]`), or install the tool it calls.",
        explain: "Distroless and scratch images have no shell, curl or wget; debian-slim has a shell but neither curl nor wget unless installed; alpine has busybox wget. A small `healthcheck` subcommand in the service binary that GETs its own /health needs nothing from the image.",
    },
    Rule {
        id: "CM009",
        severity: Warning,
        title: "no HEALTHCHECK",
        why: "Without a health check, Docker and compose report a hung or crash-looping service as running.",
        fix: "Add `HEALTHCHECK CMD [\"/usr/local/bin/app\", \"healthcheck\"]` (or a compose healthcheck).",
        explain: "`docker ps`, `docker compose up --wait` and `depends_on: condition: service_healthy` all rely on a health status. Kubernetes ignores HEALTHCHECK and uses its own probes: point them at the same endpoint.",
    },
    Rule {
        id: "CM010",
        severity: Error,
        title: "binary name not built by Cargo.toml",
        why: "The Dockerfile builds or copies a binary that Cargo.toml does not produce, so the build fails (or copies a stale file) after a rename.",
        fix: "Make `--bin` and the copied `target/.../release/<name>` match the package or [[bin]] name in Cargo.toml.",
        explain: "Cargo names a binary after the package (src/main.rs), a [[bin]] entry or a file in src/bin/. Renaming the package without updating the Dockerfile is a common way to break an image build.",
    },
    Rule {
        id: "CM011",
        severity: Warning,
        title: "EXPOSE does not match the port the code binds",
        why: "The published port leads nowhere, so health checks and clients time out.",
        fix: "Make EXPOSE (and the compose ports) match the port the service listens on, or set it with `ENV PORT`.",
        explain: "check reads the default port from the code (`.bind((\"0.0.0.0\", 8080))`, `\"0.0.0.0:8080\"`, `PORT: u16 = 8080`) and from `ENV PORT` in the Dockerfile, and compares it with EXPOSE.",
    },
    Rule {
        id: "CM012",
        severity: Warning,
        title: "no .dockerignore",
        why: "`COPY . .` sends target/ (often gigabytes), .git and any secrets to the build, slowing every build and risking leaks into the image.",
        fix: "Add a .dockerignore with at least `target/`, `.git/` and `.env`.",
        explain: "The build context is everything in the directory unless .dockerignore excludes it. target/ alone can be several gigabytes; .git holds history; .env files hold credentials that `COPY . .` bakes into a layer.",
    },
    Rule {
        id: "CM013",
        severity: Warning,
        title: ".dockerignore does not exclude target/",
        why: "The build context carries the local target/ directory, gigabytes that slow every build and invalidate the COPY layer.",
        fix: "Add `target/` to .dockerignore.",
        explain: "Local build artefacts are useless to the container build (it compiles for itself) and change constantly, so they both slow the upload of the context and defeat layer caching.",
    },
    Rule {
        id: "CM014",
        severity: Error,
        title: "secrets sent to the build context",
        why: "A .env file is copied into the image by `COPY . .`, where anyone who pulls the image can read it.",
        fix: "Add `.env` and `.env.*` to .dockerignore, and pass secrets at run time.",
        explain: "Image layers are readable by anyone with the image. Credentials belong in the runtime environment (compose `env_file`, orchestrator secrets), never in the build context.",
    },
    Rule {
        id: "CM015",
        severity: Warning,
        title: "ADD for local files",
        why: "ADD also extracts archives and fetches URLs, so a local file can turn into an unpacked tree by surprise.",
        fix: "Use COPY for local files; keep ADD for remote sources you verify with --checksum.",
        explain: "COPY does one thing. ADD auto-extracts local tar archives, which makes the result depend on the file's contents.",
    },
    Rule {
        id: "CM016",
        severity: Error,
        title: "TLS client without CA certificates",
        why: "The service makes TLS calls but the runtime image has no CA bundle, so every HTTPS request fails with a certificate error.",
        fix: "Copy the bundle from the builder: `COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/`, or use webpki-roots.",
        explain: "scratch and debian-slim ship no CA certificates. Crates such as reqwest, ureq, hyper-rustls and native-tls read the system bundle (rustls with webpki-roots embeds its own).",
    },
    Rule {
        id: "CM017",
        severity: Error,
        title: "OpenSSL with a static or musl build",
        why: "openssl-sys (via native-tls or reqwest's default features) needs OpenSSL headers and libraries built for the target, which musl and static builds do not have, so the build or the binary fails.",
        fix: "Use rustls (`reqwest = { default-features = false, features = [\"rustls-tls\"] }`), or vendor OpenSSL (`openssl = { features = [\"vendored\"] }`).",
        explain: "native-tls links the system OpenSSL dynamically. A static glibc build or a musl build needs a static OpenSSL for that target; rustls is pure Rust and avoids the problem.",
    },
    Rule {
        id: "CM018",
        severity: Error,
        title: "builder toolchain older than the crate needs",
        why: "The builder's Rust is older than Cargo.toml's rust-version (or the edition's minimum), so the build fails.",
        fix: "Use a builder image at least as new as rust-version, e.g. `rust:1.95-trixie`.",
        explain: "rust-version declares the oldest toolchain the crate builds with; edition 2024 needs 1.85. The rust image tag sets the builder's toolchain.",
    },
    Rule {
        id: "CM019",
        severity: Info,
        title: "release profile not tuned",
        why: "Without lto, codegen-units = 1 and strip, the release binary is larger and slower than it needs to be.",
        fix: "Add `[profile.release]` with `lto = true`, `codegen-units = 1` and `strip = true`.",
        explain: "Link-time optimisation across crates and a single codegen unit give the optimiser the whole program; strip removes symbols the image does not need. Together they typically cut the binary by a third.",
    },
    Rule {
        id: "CM020",
        severity: Warning,
        title: "panic = \"abort\" without a restart policy",
        why: "With panic = \"abort\" a panic ends the process, and with no restart policy the service stays down.",
        fix: "Add `restart: unless-stopped` to the compose service.",
        explain: "panic = \"abort\" makes binaries smaller and faster but turns every panic into a process exit. Something must bring the service back: a compose restart policy or an orchestrator.",
    },
    Rule {
        id: "CM021",
        severity: Warning,
        title: "compose service without resource limits",
        why: "Without limits one service can take every CPU and all memory on the host, starving its neighbours.",
        fix: "Add `deploy.resources.limits` with `cpus` and `memory`.",
        explain: "Compose v2 applies `deploy.resources.limits` with `docker compose up`. Limits also make the service behave in development as it will under an orchestrator.",
    },
    Rule {
        id: "CM022",
        severity: Warning,
        title: "compose service without a healthcheck",
        why: "`docker compose up --wait` and `depends_on: service_healthy` cannot tell when the service is ready.",
        fix: "Add a `healthcheck` that runs the service's own probe, or a HEALTHCHECK in its Dockerfile.",
        explain: "A compose healthcheck overrides or supplies the image's HEALTHCHECK.",
    },
    Rule {
        id: "CM023",
        severity: Warning,
        title: "compose service keeps privileges",
        why: "Privileged mode, kept capabilities or allowed privilege escalation widen what an attacker gets from a compromised service.",
        fix: "Set `cap_drop: [ALL]`, `security_opt: [\"no-new-privileges:true\"]`, `read_only: true`, and never `privileged: true`.",
        explain: "A web service needs no Linux capabilities (Docker lets unprivileged processes bind any port in the container). Dropping them all and forbidding setuid escalation removes whole classes of attack.",
    },
    Rule {
        id: "CM024",
        severity: Info,
        title: "port published on every interface",
        why: "A `ports: [\"8080:8080\"]` mapping listens on every address of the host, past most firewalls (Docker writes its own iptables rules).",
        fix: "Bind to loopback (`\"127.0.0.1:8080:8080\"`) and put a reverse proxy in front.",
        explain: "Docker's published ports bypass ufw and similar host firewalls. Publishing on 127.0.0.1 keeps the service private to the host.",
    },
    Rule {
        id: "CM025",
        severity: Error,
        title: "the image fails when built and run (--build)",
        why: "The image does not build, start, turn healthy, answer /health, run as non-root, or stop cleanly on SIGTERM.",
        fix: "Read the step that failed and the container's last log lines in the message.",
        explain: "With --build, check builds the image with BuildKit, runs it as the template's compose file does (0.5 CPU, 128 MiB, read-only, no capabilities, loopback port), waits for its HEALTHCHECK, calls /health, reads the uid of its process, looks for /bin/sh where the base should have none, and sends SIGTERM, expecting exit 0 within 5 s. A missing shared library shows up as a container that never turns healthy, with the loader's message.",
    },
];

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id.eq_ignore_ascii_case(id))
}
