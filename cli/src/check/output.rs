//! Findings as text (grouped by file; colour only on a terminal), JSON, or SARIF 2.1.0 for
//! GitHub code scanning.

use super::Finding;
use super::rules::{RULES, Severity};
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

pub fn sarif(findings: &[Finding]) -> String {
    let level = |severity: Severity| match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let rules: Vec<_> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.title,
                "shortDescription": { "text": rule.title },
                "fullDescription": { "text": rule.why },
                "help": { "text": format!("{}\n\n{}", rule.fix, rule.explain) },
                "defaultConfiguration": { "level": level(rule.severity) },
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|finding| {
            json!({
                "ruleId": finding.rule,
                "ruleIndex": RULES.iter().position(|rule| rule.id == finding.rule),
                "level": level(finding.severity),
                "message": { "text": format!("{} {}", finding.message, finding.fix) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": finding.file },
                        "region": { "startLine": finding.line },
                    }
                }],
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cargo-microservice check",
                "informationUri": "https://github.com/cargo-microservice/cargo-microservice",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    }))
    .expect("SARIF serialises")
}
