//! CM113: a read-only root filesystem where the image needs a writable path.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM113",
    severity: Error,
    title: "read-only root filesystem over a path the image writes",
    why: "The Dockerfile declares a VOLUME, a path the image expects to write; with `readOnlyRootFilesystem: true` and nothing mounted there, every write fails with EROFS at run time.",
    fix: "Mount an `emptyDir` (or a PersistentVolumeClaim for data that must survive) at each path the image writes, and keep the root filesystem read-only.",
    explain: "Docker gives a VOLUME an anonymous volume on `docker run`; Kubernetes does not, so the path stays part of the read-only image. The writable paths are the VOLUMEs of the final stage of the project's Dockerfiles.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    let mut writable = Vec::new();
    for dockerfile in &context.project.dockerfiles {
        if let Some(volume) = dockerfile.parsed.last_in_final("VOLUME") {
            writable.extend(volume.form().words());
        }
    }
    if writable.is_empty() {
        return;
    }
    for pod in &context.manifests.pods {
        for container in &pod.containers {
            let Some((true, line)) = container.security.read_only_root_filesystem else {
                continue;
            };
            for path in &writable {
                let mounted = container.mount_paths.iter().any(|mount| {
                    let mount = mount.trim_end_matches('/');
                    path == mount || path.starts_with(&format!("{mount}/"))
                });
                if !mounted {
                    report.at(
                        line,
                        format!(
                            "{}: container {} has a read-only root filesystem, and nothing is mounted at {path}, the image's VOLUME",
                            pod.owner, container.name
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::model::Model;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    fn with_volume(manifest: &str) -> Fixture {
        Fixture::kubernetes(manifest).with_project(|project| {
            let dockerfile = "FROM gcr.io/distroless/cc-debian13:nonroot\nCOPY app /app\nVOLUME /data\nUSER 65532\nENTRYPOINT [\"/app\"]\n";
            project.dockerfiles[0].text = dockerfile.into();
            project.dockerfiles[0].parsed = Model::parse(dockerfile);
        })
    }

    #[test]
    fn fires_when_nothing_is_mounted_at_the_volume() {
        assert_eq!(
            with_volume(DEPLOYMENT).findings(&RULE),
            ["deploy/app.yaml:38"]
        );
    }

    #[test]
    fn near_miss_an_empty_dir_at_the_volume() {
        let mounted = DEPLOYMENT
            .replace(
                "      terminationGracePeriodSeconds: 15\n",
                "      terminationGracePeriodSeconds: 15\n      volumes:\n        - name: data\n          emptyDir: {}\n",
            )
            .replace(
                "          envFrom:\n",
                "          volumeMounts:\n            - name: data\n              mountPath: /data\n          envFrom:\n",
            );
        assert!(with_volume(&mounted).findings(&RULE).is_empty());
    }
}
