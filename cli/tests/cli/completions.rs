//! Shell completion, exercised in a real bash: for `cargo-microservice`, and for `cargo
//! microservice` through the shim (cargo's own completion forwards only with bash-completion
//! 2.12 or newer; Debian bookworm ships 2.11).

use crate::helpers::*;
use std::path::Path;

/// Runs `script` in a bash with no startup files, after sourcing the completion script;
/// returns what it printed.
fn in_bash(prelude: &str, script: &str) -> String {
    let dir = scratch_dir("completions");
    let completion = dir.join("cargo-microservice.bash");
    let generated = run_ok(&mut cli(&["completions", "bash"])).stdout;
    std::fs::write(&completion, generated).unwrap();
    let program = format!("{prelude}\nsource {}\n{script}", completion.display());
    let output = run_ok(clean_command("bash").args(["--norc", "--noprofile", "-c", &program]));
    stdout(&output)
}

/// Completes `line` (cursor at the end) with the function bash has registered for its first
/// word, as pressing TAB does; prints one candidate per line.
const COMPLETE: &str = r#"
complete_line() {
    local line=$1
    read -r -a COMP_WORDS <<<"$line"
    [[ $line == *' ' ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    local spec function
    spec=$(complete -p "${COMP_WORDS[0]}")
    function=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")
    "$function" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}"
}
"#;

fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).collect()
}

#[test]
fn bash_completes_subcommands_options_and_values_for_both_names() {
    let script = format!(
        "{COMPLETE}
complete -p cargo-microservice
complete -p cargo
echo '--- compgen'
compgen -W \"$(complete_line 'cargo microservice new --ba')\" -- --ba
echo '--- subcommands'
complete_line 'cargo microservice '
echo '--- base values'
complete_line 'cargo microservice new orders --base '
echo '--- direct'
complete_line 'cargo-microservice new --deb'
echo '--- check format'
complete_line 'cargo-microservice check --format '"
    );

    let printed = in_bash("", &script);

    let mut parts = printed.split("--- ");
    let registered = parts.next().unwrap();
    assert!(
        registered.contains(" -F _cargo__microservice cargo-microservice\n")
            && registered.contains(" -F _cargo_microservice_via_cargo cargo\n"),
        "{printed}"
    );
    let section = |name: &str| -> Vec<String> {
        printed
            .split(&format!("--- {name}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {name} section: {printed}"))
            .split("--- ")
            .next()
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(section("compgen"), ["--base"], "{printed}");
    for subcommand in ["new", "check", "variants", "completions"] {
        assert!(
            section("subcommands").iter().any(|s| s == subcommand),
            "{printed}"
        );
    }
    assert_eq!(
        section("base values"),
        ["distroless", "debian-slim", "alpine", "static"],
        "{printed}"
    );
    assert_eq!(section("direct"), ["--debian"], "{printed}");
    assert_eq!(
        section("check format"),
        ["text", "json", "sarif"],
        "{printed}"
    );
}

/// With bash-completion and cargo's own completion loaded first, `cargo microservice` goes to
/// this tool and every other cargo command still to cargo's completion.
#[test]
fn the_cargo_shim_keeps_cargos_own_completion_for_everything_else() {
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion");
    if !bash_completion.exists() {
        let why = "bash-completion is not installed (bash .ci/run installs it)";
        assert!(!in_ci(), "{why}; CI runs every test");
        skip(why);
        return;
    }
    let sysroot = run_ok(clean_command("rustc").args(["--print", "sysroot"])).stdout;
    let cargo_completion =
        Path::new(String::from_utf8(sysroot).unwrap().trim()).join("etc/bash_completion.d/cargo");
    let prelude = format!(
        "source {}\nsource {}",
        bash_completion.display(),
        cargo_completion.display()
    );
    let script = format!(
        "{COMPLETE}
echo \"bash-completion ${{BASH_COMPLETION_VERSINFO[0]}}.${{BASH_COMPLETION_VERSINFO[1]}}\"
echo '--- ours'
complete_line 'cargo microservice new --ba'
echo '--- cargo'
complete_line 'cargo buil'"
    );

    let printed = in_bash(&prelude, &script);

    let ours = printed
        .split("--- ours\n")
        .nth(1)
        .unwrap()
        .split("--- ")
        .next()
        .unwrap();
    let cargo = printed.split("--- cargo\n").nth(1).unwrap();
    assert_eq!(lines(ours), ["--base"], "{printed}");
    assert!(
        lines(cargo).contains(&"build"),
        "cargo's own completion was lost: {printed}"
    );
}
