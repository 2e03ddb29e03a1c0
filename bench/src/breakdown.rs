//! What each piece of a request costs. The default variant without a database is rendered once,
//! copied once per piece and the piece switched off in the copy by a patch in `bench/breakdown/`
//! (`git apply`): patches, not template placeholders, so `variants`, `new` and the parity tests
//! never see them. Every copy is built and loaded beside the unpatched one and the ceiling, in
//! rounds, and charged the CPU time its container's cgroup counted over the requests wrk
//! counted. Every copy runs at once, and in each round each copy is loaded at the same moment
//! as the unpatched service (see [`measure::duet`]); a piece's cost is, round by round, the
//! unpatched service's CPU per request less that of the copy without the piece.

use crate::measure::{self, Placement, Samples, Service};
use anyhow::{Context, Result, bail};
use cargo_microservice::docker;
use cargo_microservice::variants::{Base, Database, Debian, Variant};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A piece of a request, switched off by `bench/breakdown/<name>.patch`.
pub struct Piece {
    pub name: &'static str,
    /// What the patch switches off, for the table.
    pub what: &'static str,
}

pub const PIECES: &[Piece] = &[
    Piece {
        name: "access-log",
        what: "the JSON access-log line (Telemetry writes none)",
    },
    Piece {
        name: "metrics",
        what: "the request metrics (Telemetry counts nothing; /metrics is still served)",
    },
    Piece {
        name: "request-id",
        what: "the request-id context (never entered, no X-Request-Id header; the id is still made)",
    },
    Piece {
        name: "connection-bounds",
        what: "the connection and request bounds (no bounded stream, no turn per request, no request-bounds middleware; the connection count stays)",
    },
    Piece {
        name: "store-lookup",
        what: "the store lookup (GET /users/{id} answers a user made on the spot)",
    },
];

/// The variant the breakdown measures: the default base without a database.
pub fn variant() -> Variant {
    Variant {
        base: Base::default(),
        debian: Some(Debian::default()),
        database: Database::Memory,
    }
}

pub fn patch(repo: &Path, piece: &Piece) -> PathBuf {
    repo.join("bench/breakdown")
        .join(format!("{}.patch", piece.name))
}

/// Applies `patch` to the rendered project `tree`; with `check`, only says whether it would
/// apply. `git apply` takes no fuzz: a patch whose context the template has moved fails here.
pub fn apply(tree: &Path, patch: &Path, check: bool) -> Result<()> {
    let mut command = Command::new("git");
    command.arg("apply");
    if check {
        command.arg("--check");
    }
    let out = command
        .arg(patch)
        .current_dir(tree)
        .stdin(Stdio::null())
        .output()
        .context("while running git apply")?;
    if !out.status.success() {
        bail!(
            "{} does not apply to the rendered {}: {}; remake it against a fresh rendering (bench/breakdown/README.md)",
            patch.display(),
            variant().id(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .context("while running cp")?;
    if !status.success() {
        bail!("cp -a {} {} failed", from.display(), to.display());
    }
    Ok(())
}

/// Builds the ceiling, the default variant and one copy per piece, measures them in `--runs`
/// interleaved rounds, prints the table and returns the samples as JSON.
pub fn run(
    repo: &Path,
    work: &Path,
    args: &super::Args,
    placement: &Placement,
) -> Result<serde_json::Value> {
    let all_on = crate::render(&variant(), &work.join("all-on"))?;
    let (ceiling, ceiling_dir, ceiling_note) = super::CEILING;
    let mut services = vec![
        super::bench_service(repo, work, ceiling, ceiling_dir, ceiling_note)?,
        Service {
            name: "all on".into(),
            dir: all_on.clone(),
            note: format!("{}, as rendered", variant().id()),
            source: "src/routes.rs".into(),
        },
    ];
    for piece in PIECES {
        let dir = work.join(format!("without-{}", piece.name));
        copy_tree(&all_on, &dir)?;
        apply(&dir, &patch(repo, piece), false)?;
        services.push(Service {
            name: format!("without {}", piece.name),
            dir,
            note: piece.what.into(),
            source: "src/routes.rs".into(),
        });
    }

    let mut tags = Vec::new();
    for service in &services {
        super::ensure_base_images(&service.dir)?;
        let tag = format!(
            "cargo-microservice-bench/breakdown-{}:latest",
            service.name.replace(' ', "-")
        );
        eprintln!("== build {} ({})", service.name, service.note);
        let took = docker::build(&service.dir, &tag)
            .with_context(|| format!("while building {}", service.name))?;
        eprintln!("   built {tag} in {:.0} s", took.as_secs_f64());
        tags.push(tag);
    }

    // Each copy (and the ceiling) loaded at the same moment as the unpatched service, both on
    // the same CPU: the host's slow seconds fall on both (see `measure::duet`).
    let named: Vec<(&str, &str)> = services
        .iter()
        .zip(&tags)
        .map(|(service, tag)| (service.name.as_str(), tag.as_str()))
        .collect();
    let running = measure::start_all(&named, placement)?;
    let all_on = 1;
    let others: Vec<usize> = (0..services.len()).filter(|&i| i != all_on).collect();
    let mut results: BTreeMap<String, Samples> = BTreeMap::new();
    for round in 0..args.runs {
        for turn in 0..others.len() {
            // Each round starts one copy later, so no copy always comes first.
            let other = others[(turn + round) % others.len()];
            let pair = (&running[all_on], &running[other]);
            measure::duet(pair.0, pair.1, 1, args.connections, placement)?; // warm-up
            measure::settle_connections();
            let [(on, on_cpu), (off, off_cpu)] =
                measure::duet(pair.0, pair.1, args.seconds, args.connections, placement)?;
            eprintln!(
                "   round {} of {}: all on {:.0} req/s, {on_cpu:.2} µs; {} {:.0} req/s, {off_cpu:.2} µs",
                round + 1,
                args.runs,
                on.rps,
                services[other].name,
                off.rps
            );
            let into = results.entry("all on".into()).or_default();
            into.push("users_rps", on.rps);
            into.push("users_cpu_us", on_cpu);
            let into = results.entry(services[other].name.clone()).or_default();
            into.push("users_rps", off.rps);
            into.push("users_cpu_us", off_cpu);
            into.push("cost_us", on_cpu - off_cpu);
        }
    }
    drop(running);

    println!(
        "Placement: {}; {} rounds of {} s, wrk {} connections on GET /users/42.\n",
        placement.describe(),
        args.runs,
        args.seconds,
        args.connections
    );
    println!("{}", table(&services, &results));
    for warning in measure::spread_warnings(
        &services.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        &results,
        args.resolve,
    ) {
        println!("{warning}");
    }
    Ok(serde_json::json!({
        "date": measure::now(),
        "machine": measure::machine(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "placement": placement.describe(),
        "services": services.iter().map(|s| serde_json::json!({
            "name": s.name,
            "what": s.note,
            "samples": &results[&s.name],
        })).collect::<Vec<_>>(),
    }))
}

/// One row a service: its throughput and CPU per request, median (min–max; spread), and for a
/// copy without a piece, the piece's cost: the unpatched service's CPU per request less the
/// copy's in the same seconds, per round, median (min–max).
fn table(services: &[Service], results: &BTreeMap<String, Samples>) -> String {
    let cell = |samples: &Samples, key: &str, decimals: usize| -> String {
        match (samples.median(key), samples.range(key), samples.spread(key)) {
            (Some(median), Some((min, max)), Some(spread)) => format!(
                "{median:.decimals$} ({min:.decimals$}–{max:.decimals$}; {:.1}%)",
                spread * 100.0
            ),
            _ => "–".to_owned(),
        }
    };
    let mut out = String::from(
        "| service | what is off | req/s (in a duet) | CPU µs/request | the piece's cost (µs/request: all on − this one, in the same seconds, per round) |\n|---|---|---|---|---|\n",
    );
    let mut total = 0.0;
    for service in services {
        let samples = &results[&service.name];
        let cost = match (samples.median("cost_us"), samples.range("cost_us")) {
            (Some(median), Some((min, max))) if service.name.starts_with("without ") => {
                total += median;
                format!("{median:.2} ({min:.2}–{max:.2})")
            }
            (Some(median), Some((min, max))) => {
                format!("all on spends {median:.2} ({min:.2}–{max:.2}) more")
            }
            _ => String::new(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {cost} |\n",
            service.name,
            service.note,
            cell(samples, "users_rps", 0),
            cell(samples, "users_cpu_us", 2)
        ));
    }
    if let Some(gap) = results.get("ceiling").and_then(|c| c.median("cost_us")) {
        out.push_str(&format!(
            "\nThe pieces' costs add up to {total:.2} µs a request; measured the same way, the default variant spends {gap:.2} µs a request more than the ceiling.\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patches are made against a rendering of the template; when the template moves the
    /// code they touch, this fails and names the patch to remake.
    #[test]
    fn every_breakdown_patch_applies_to_the_default_variant_as_rendered() {
        if ["CARGO_NAME", "USER"]
            .iter()
            .all(|name| std::env::var_os(name).is_none())
        {
            // SAFETY: no other test of this crate reads or writes the environment.
            unsafe { std::env::set_var("CARGO_NAME", "bench") };
        }
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let work = tempfile::tempdir().unwrap();
        let tree = crate::render(&variant(), &work.path().join("all-on")).unwrap();

        for piece in PIECES {
            apply(&tree, &patch(repo, piece), true).unwrap();
        }
        let mut on_disk: Vec<String> = std::fs::read_dir(repo.join("bench/breakdown"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".patch"))
            .collect();
        on_disk.sort();
        let mut named: Vec<String> = PIECES
            .iter()
            .map(|piece| format!("{}.patch", piece.name))
            .collect();
        named.sort();
        assert_eq!(
            on_disk, named,
            "every patch in bench/breakdown is a piece the bench measures"
        );
    }
}
