//! Runs one rule on small projects written in its tests: the rule files' firing cases and
//! near-misses.

use super::*;
use crate::check::cargo::{Cargo, Dependency};

/// A Deployment that meets every Kubernetes rule: the near-miss the rules' tests edit.
pub const DEPLOYMENT: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  SHUTDOWN_TIMEOUT: "5"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      terminationGracePeriodSeconds: 15
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: app:1.0.0
          ports:
            - name: http
              containerPort: 8080
          envFrom:
            - configMapRef:
                name: app
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            requests: {cpu: 500m, memory: 128Mi}
            limits: {cpu: 500m, memory: 128Mi}
          livenessProbe:
            httpGet: {path: /health, port: http}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          lifecycle:
            preStop:
              sleep:
                seconds: 5
"#;

/// A project with this Dockerfile and, unless the test says otherwise, a Cargo.toml that
/// builds `app`, a compose file with nothing in it, and the code listening on 8080.
pub struct Fixture {
    pub project: Project,
}

impl Fixture {
    pub fn dockerfile(text: &str) -> Fixture {
        let mut cargo = Cargo {
            manifest: "Cargo.toml".into(),
            ..Cargo::default()
        };
        cargo.bins.insert("app".to_owned());
        Fixture {
            project: Project {
                root: std::path::PathBuf::new(),
                dockerfiles: vec![Source {
                    path: "Dockerfile".into(),
                    text: text.to_owned(),
                    parsed: Model::parse(text),
                }],
                cargo: Some(cargo),
                compose: Vec::new(),
                dockerignores: vec![DockerIgnore {
                    path: ".dockerignore".into(),
                    patterns: vec!["target".into(), ".env".into()],
                    ..DockerIgnore::default()
                }],
                env_files: Vec::new(),
                code_ports: vec![(8080, "src/main.rs".into(), 1)],
                kubernetes: Vec::new(),
                code_routes: vec!["/health".into(), "/ready".into()],
                unreadable: Vec::new(),
            },
        }
    }

    pub fn compose(text: &str) -> Fixture {
        let mut fixture = Fixture::dockerfile("");
        fixture.project.dockerfiles.clear();
        fixture.project.compose.push(Source {
            path: "compose.yaml".into(),
            text: text.to_owned(),
            parsed: Compose::parse(text).expect("valid compose YAML"),
        });
        fixture
    }

    /// A project with this one Kubernetes manifest (`deploy/app.yaml`), a Dockerfile that
    /// runs as uid 65532 and exposes 8080, and code that routes /health and /ready.
    pub fn kubernetes(text: &str) -> Fixture {
        let mut fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian13:nonroot\nCOPY --from=builder /target/release/app /app\nUSER 65532:65532\nEXPOSE 8080\nENTRYPOINT [\"/app\"]\n",
        );
        fixture.project.kubernetes.push(Source {
            path: "deploy/app.yaml".into(),
            text: text.to_owned(),
            parsed: match Manifests::parse(text) {
                crate::check::kubernetes::Parsed::Manifests(manifests) => manifests,
                other => panic!("not Kubernetes objects: {other:?}"),
            },
        });
        fixture
    }

    pub fn with_cargo(mut self, edit: impl FnOnce(&mut Cargo)) -> Fixture {
        edit(self.project.cargo.get_or_insert_with(Cargo::default));
        self
    }

    /// The dependencies these manifests enable (`(path, text)`, the root's first), with
    /// the features the fixture's Dockerfile builds with.
    pub fn with_manifests(self, manifests: &[(&str, &str)]) -> Fixture {
        let packages: Vec<(String, toml::Table, String)> = manifests
            .iter()
            .map(|(path, text)| {
                let dir = path.trim_end_matches("Cargo.toml").trim_end_matches('/');
                let table = toml::from_str(text).expect("a valid manifest");
                (dir.to_owned(), table, (*text).to_owned())
            })
            .collect();
        let workspace_dependencies = packages[0]
            .1
            .get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.as_table())
            .cloned();
        let requested = crate::check::cargo::requested_features(&self.project.dockerfiles);
        let dependencies = crate::check::cargo::enabled_dependencies(
            &packages,
            workspace_dependencies.as_ref(),
            &requested,
        );
        self.with_cargo(|cargo| cargo.dependencies = dependencies)
    }

    pub fn with_dependency(self, name: &str, dependency: Dependency) -> Fixture {
        self.with_cargo(|cargo| {
            cargo.dependencies.insert(name.to_owned(), dependency);
        })
    }

    /// `.dockerignore` with these patterns, or none at all.
    pub fn with_dockerignore(mut self, patterns: Option<&[&str]>) -> Fixture {
        self.project.dockerignores = patterns
            .map(|patterns| DockerIgnore {
                path: ".dockerignore".into(),
                patterns: patterns.iter().map(|p| p.to_string()).collect(),
                ..DockerIgnore::default()
            })
            .into_iter()
            .collect();
        self
    }

    pub fn with_project(mut self, edit: impl FnOnce(&mut Project)) -> Fixture {
        edit(&mut self.project);
        self
    }

    /// `file:line` of each finding of `rule` alone.
    pub fn findings(&self, rule: &'static Rule) -> Vec<String> {
        self.run(rule)
            .iter()
            .map(|finding| format!("{}:{}", finding.file, finding.line))
            .collect()
    }

    pub fn run(&self, rule: &'static Rule) -> Vec<Finding> {
        let mut findings: Vec<Finding> = run_all(&self.project)
            .into_iter()
            .filter(|finding| finding.rule == rule.id)
            .collect();
        findings.dedup();
        findings
    }
}
