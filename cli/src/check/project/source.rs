//! Facts read from the service's Rust sources under `src/`: the ports it binds by default and
//! the HTTP paths it routes. Scraped from text, so rules that rest on them say so.

use super::discovery::files_below;
use crate::check::files::{Unreadable, read_noting};
use std::path::Path;

/// The service's Rust sources: every `.rs` file under `src/`, and the target files its
/// manifests name elsewhere (`targets`, such as `[[bin]] path = "version.rs"`), read once for
/// the ports and routes they name: (path relative to the project, text). A file that cannot be
/// read is added to `unreadable`.
pub fn code(
    root: &Path,
    targets: &[String],
    unreadable: &mut Vec<Unreadable>,
) -> Vec<(String, String)> {
    let files = files_below(&root.join("src"), usize::MAX, |_, _| true).unwrap_or_default();
    let mut paths: Vec<String> = files
        .into_iter()
        .filter(|relative| relative.ends_with(".rs"))
        .map(|relative| format!("src/{relative}"))
        .collect();
    for target in targets {
        let target = target.trim_start_matches("./");
        if target.ends_with(".rs") && !paths.iter().any(|path| path == target) {
            paths.push(target.to_owned());
        }
    }
    let mut code = Vec::new();
    for path in paths {
        if let Some(text) = read_noting(root, &path, unreadable) {
            code.push((path, text));
        }
    }
    code
}

/// The paths the service's code routes, read from `src/`: actix-web's `resource("/p")`,
/// `route("/p", ...)`, `#[get("/p")]` and the like, axum's `.route("/p", ...)`, each also
/// under every `web::scope("/prefix")` the code opens (which routes a scope serves is not
/// read: a probe under any of them is taken as served).
pub fn code_routes(code: &[(String, String)]) -> Vec<String> {
    let mut routes = Vec::new();
    let mut scopes = Vec::new();
    for (_, text) in code {
        routes.extend(quoted_paths(
            text,
            &["resource(\"", "route(\"", "get(\"", "head(\""],
        ));
        scopes.extend(quoted_paths(text, &["scope(\""]));
    }
    let mut scoped = Vec::new();
    for scope in &scopes {
        let scope = scope.trim_end_matches('/');
        scoped.push(scope.to_owned());
        scoped.extend(routes.iter().map(|route| format!("{scope}{route}")));
    }
    routes.extend(scoped);
    routes.sort();
    routes.dedup();
    routes
}

/// Every string literal starting with `/` right after one of `openings`.
fn quoted_paths(text: &str, openings: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for opening in openings {
        for (at, _) in text.match_indices(opening) {
            let rest = &text[at + opening.len()..];
            if let Some(end) = rest.find('"')
                && rest.starts_with('/')
            {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

/// Whether `path` (a probe's, without its query) is one the routes serve: equal, or matched
/// by a route's parameters (`{id}`, `:id`, one segment each; `{tail:.*}`, `{x:.+?}` or `*rest`,
/// the rest of the path).
pub fn routed(routes: &[String], path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    routes.iter().any(|route| route_matches(route, path))
}

fn route_matches(route: &str, path: &str) -> bool {
    let mut wanted = route.trim_end_matches('/').split('/');
    let mut given = path.trim_end_matches('/').split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return true,
            (Some(segment), Some(_))
                if segment.starts_with('*')
                    || (segment.starts_with('{') && segment.contains(':')) =>
            {
                return true;
            }
            (Some(segment), Some(_)) if segment.starts_with(':') || segment.starts_with('{') => {}
            (Some(segment), Some(other)) if segment == other => {}
            _ => return false,
        }
    }
}

/// Ports the code binds by default: `"0.0.0.0:8080"`, `("0.0.0.0", 8080)`, `PORT: u16 = 8080`.
pub fn code_ports(code: &[(String, String)]) -> Vec<(u16, String, usize)> {
    let mut ports: Vec<(bool, u16, String, usize)> = Vec::new();
    for (relative, text) in code {
        // Test helpers (`testing.rs`, `test_utils.rs`) bind and call what they like.
        let name = relative.rsplit('/').next().unwrap_or(relative);
        if name.contains("test") {
            continue;
        }
        // Test modules bind what they like; the service's default is in the code above them.
        let lines: Vec<&str> = text
            .lines()
            .take_while(|line| !line.contains("#[cfg(test)]"))
            .collect();
        for (index, line) in lines.iter().enumerate() {
            if let Some(port) = declared_port(&lines[index..]) {
                ports.push((false, port, relative.clone(), index + 1));
            } else if let Some(port) = port_in(line) {
                ports.push((true, port, relative.clone(), index + 1));
            }
        }
    }
    // A declared default (`PORT: u16 = 8080`) says more than a literal in a bind call.
    ports.sort();
    ports
        .into_iter()
        .map(|(_, port, path, line)| (port, path, line))
        .collect()
}

/// A port the code declares as its default, at the first of `lines`: `PORT: u16 = 8080`, a
/// clap argument `#[arg(default_value = "8080", env = "PORT")]`, or
/// `env::var("PORT").unwrap_or_else(|_| "8000".to_string())` over a few lines.
fn declared_port(lines: &[&str]) -> Option<u16> {
    let line = lines.first()?;
    let upper = line.to_ascii_uppercase();
    if upper.contains("PORT: U16 =") {
        return port_in(line);
    }
    let quoted_number = |text: &str| -> Option<u16> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .find_map(|quoted| quoted.parse::<u16>().ok().filter(|port| *port > 0))
    };
    if upper.contains("DEFAULT_VALUE") && upper.contains("PORT") {
        let after = &line[upper.find("DEFAULT_VALUE")?..];
        return quoted_number(after);
    }
    if upper.contains("VAR(\"") && upper.contains("PORT\")") {
        return lines.iter().take(4).find_map(|line| {
            let at = line.find("unwrap_or")?;
            quoted_number(&line[at..])
        });
    }
    None
}

fn port_in(line: &str) -> Option<u16> {
    let number_after = |text: &str| -> Option<u16> {
        let digits: String = text
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok().filter(|port| *port > 0)
    };
    for host in ["0.0.0.0", "127.0.0.1", "[::]", "localhost"] {
        if let Some(at) = line.find(&format!("\"{host}:")) {
            return number_after(&line[at + host.len() + 2..]);
        }
        if let Some(at) = line.find(&format!("\"{host}\",")) {
            return number_after(&line[at + host.len() + 3..]);
        }
    }
    let upper = line.to_ascii_uppercase();
    if upper.contains("PORT: U16 =") {
        return number_after(line.split('=').nth(1)?);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_from_the_usual_bind_forms() {
        assert_eq!(port_in(r#"    .bind(("0.0.0.0", 8080))?"#), Some(8080));
        assert_eq!(port_in(r#"let addr = "127.0.0.1:3000";"#), Some(3000));
        assert_eq!(port_in("pub const DEFAULT_PORT: u16 = 9090;"), Some(9090));
        assert_eq!(port_in("let x = 5;"), None);
        assert_eq!(
            declared_port(&[
                r#"    #[arg(long, short = 'p', default_value = "8080", env = "SERVER_PORT")]"#
            ]),
            Some(8080)
        );
        assert_eq!(
            declared_port(&[
                r#"    let port: u32 = env::var("PORT")"#,
                r#"        .unwrap_or_else(|_| "8000".to_string())"#,
            ]),
            Some(8000)
        );
    }

    #[test]
    fn routes_under_a_scope_and_with_parameters_are_served() {
        let code = vec![(
            "src/main.rs".to_owned(),
            r#"
            #[get("/liveness")]
            async fn liveness() -> impl Responder { HttpResponse::Ok() }
            fn probes(cfg: &mut web::ServiceConfig) {
                cfg.service(web::scope("/probe").service(liveness));
            }
            #[get("/repo/{site:.+?}/{qual}/{name}")]
            async fn repo() {}
            "#
            .to_owned(),
        )];

        let routes = code_routes(&code);

        assert!(routed(&routes, "/probe/liveness"), "{routes:?}");
        assert!(routed(&routes, "/liveness"));
        assert!(routed(&routes, "/repo/github/deps-rs/deps.rs"));
        assert!(routed(&routes, "/probe?full=1"));
        assert!(!routed(&routes, "/readyz"));
    }
}
