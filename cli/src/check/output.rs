//! Findings as text (grouped by file; colour only on a terminal), JSON, or SARIF 2.1.0 for
//! GitHub code scanning.

use super::finding::{Finding, Severity};
use super::rules::RULES;
use serde_json::json;
use std::collections::BTreeMap;

pub fn text(findings: &[Finding], colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        by_file.entry(&finding.file).or_default().push(finding);
    }
    let mut out = String::new();
    for (file, findings) in by_file {
        out.push_str(&paint("1", file));
        out.push('\n');
        for finding in findings {
            let severity = match finding.severity {
                Severity::Error => paint("31;1", "error"),
                Severity::Warning => paint("33;1", "warning"),
                Severity::Info => paint("36", "info"),
            };
            out.push_str(&format!(
                "  {file}:{}: {severity} {}: {}\n    why: {}\n    fix: {}\n",
                finding.line, finding.rule, finding.message, finding.why, finding.fix
            ));
        }
        out.push('\n');
    }
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    out.push_str(&format!(
        "{} errors, {} warnings, {} info ({} findings); `--explain <ID>` says more about a rule\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        findings.len()
    ));
    out
}

pub fn json(findings: &[Finding]) -> String {
    serde_json::to_string_pretty(&json!({ "findings": findings })).expect("findings serialise")
}

/// SARIF 2.1.0, typed: hadolint's rules (with `--with-hadolint`) join ours in the rule list,
/// so every result's `ruleIndex` points at its rule.
pub fn sarif(findings: &[Finding]) -> String {
    use serde_sarif::sarif;
    let level = |severity: Severity| match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let mut rules: Vec<sarif::ReportingDescriptor> = RULES
        .iter()
        .map(|rule| {
            sarif::ReportingDescriptor::builder()
                .id(rule.id)
                .name(rule.title)
                .short_description(message_string(rule.title))
                .full_description(message_string(rule.why))
                .help(message_string(&format!("{}\n\n{}", rule.fix, rule.explain)))
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(json!(level(rule.severity)))
                        .build(),
                )
                .build()
        })
        .collect();
    let mut ids: Vec<String> = RULES.iter().map(|rule| rule.id.to_owned()).collect();
    let mut results = Vec::new();
    for finding in findings {
        let index = match ids.iter().position(|id| *id == finding.rule) {
            Some(index) => index,
            None => {
                // A rule of another tool (hadolint): described once, from the finding.
                rules.push(
                    sarif::ReportingDescriptor::builder()
                        .id(finding.rule.as_str())
                        .help_uri(finding.fix.as_str())
                        .full_description(message_string(&finding.why))
                        .build(),
                );
                ids.push(finding.rule.clone());
                ids.len() - 1
            }
        };
        let result_level = match finding.severity {
            Severity::Error => sarif::ResultLevel::Error,
            Severity::Warning => sarif::ResultLevel::Warning,
            Severity::Info => sarif::ResultLevel::Note,
        };
        results.push(
            sarif::Result::builder()
                .rule_id(finding.rule.as_str())
                .rule_index(index as i64)
                .level(result_level)
                .message(
                    sarif::Message::builder()
                        .text(format!("{} {}", finding.message, finding.fix))
                        .build(),
                )
                .locations(vec![
                    sarif::Location::builder()
                        .physical_location(
                            sarif::PhysicalLocation::builder()
                                .artifact_location(
                                    sarif::ArtifactLocation::builder()
                                        .uri(uri(&finding.file))
                                        .build(),
                                )
                                .region(
                                    sarif::Region::builder()
                                        .start_line(finding.line.max(1) as i64)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                ])
                .build(),
        );
    }
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(json!("2.1.0"))
        .runs(vec![
            sarif::Run::builder()
                .tool(
                    sarif::Tool::builder()
                        .driver(
                            sarif::ToolComponent::builder()
                                .name("cargo-microservice check")
                                .information_uri(
                                    "https://github.com/cargo-microservice/cargo-microservice",
                                )
                                .version(env!("CARGO_PKG_VERSION"))
                                .rules(rules)
                                .build(),
                        )
                        .build(),
                )
                .results(results)
                .build(),
        ])
        .build();
    serde_json::to_string_pretty(&log).expect("SARIF serialises")
}

fn message_string(text: &str) -> serde_sarif::sarif::MultiformatMessageString {
    serde_sarif::sarif::MultiformatMessageString::builder()
        .text(text)
        .build()
}

/// A relative path as a URI reference: every byte but the unreserved ones and `/` encoded.
fn uri(path: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const PATH: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/');
    utf8_percent_encode(path, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_are_percent_encoded() {
        assert_eq!(uri("Dockerfile"), "Dockerfile");
        assert_eq!(uri("deploy/Dockerfile prod"), "deploy/Dockerfile%20prod");
        assert_eq!(uri("Dockerfile.100%#1"), "Dockerfile.100%25%231");
        assert_eq!(uri("é"), "%C3%A9");
    }
}
