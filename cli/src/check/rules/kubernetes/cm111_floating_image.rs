//! CM111: a container image whose tag moves.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM111",
    severity: Warning,
    title: "Kubernetes container image with a floating tag",
    why: "An untagged, `latest`, major-only or variant-only image (`redis:alpine`) runs whatever was pushed last: two pods of one Deployment can run different code, and a rollback cannot go back.",
    fix: "Pin the image to a release tag or a digest, in the manifest or in the kustomization's `images:` (`newTag:` or `digest:`).",
    explain: "One policy for every image, the Dockerfile's (CM004) and the manifests': a tag floats when it is missing or `latest`, names only a major version (`postgres:15`), only a variant (`redis:alpine`, `busybox:musl`) or a rolling name (`edge`, `lts`, `stable`). A version with a minor, a Debian or Ubuntu release by name, a date, a commit, or a flavour of an image whose name carries its release (distroless `cc-debian13:nonroot`) pins, as does a digest. A kustomization's `images:` entries are applied before this rule reads the tag, as kustomize would, so a base may leave the tag to its overlay.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            let Some((written, line)) = &container.image else {
                continue;
            };
            if let Some(why) = images::floating(&context.image(written)) {
                report.at(
                    *line,
                    format!("{}: container {}: {why}", pod.owner, container.name),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::kubernetes::{Manifests, Parsed};
    use crate::check::project::Source;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_on_latest_or_no_tag() {
        let latest = Fixture::kubernetes(&DEPLOYMENT.replace("app:1.0.0", "app:latest"));
        let untagged = Fixture::kubernetes(&DEPLOYMENT.replace("app:1.0.0", "app"));
        assert_eq!(latest.findings(&RULE), ["deploy/app.yaml:29"]);
        assert_eq!(untagged.findings(&RULE), ["deploy/app.yaml:29"]);
    }

    #[test]
    fn fires_on_a_tag_that_names_only_a_variant() {
        let variant = Fixture::kubernetes(&DEPLOYMENT.replace("app:1.0.0", "redis:alpine"));
        assert_eq!(variant.findings(&RULE), ["deploy/app.yaml:29"]);
    }

    #[test]
    fn near_miss_a_tag_set_by_the_kustomization() {
        let kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: app\n    newTag: \"1.0.0\"\n";
        let overlaid =
            Fixture::kubernetes(&DEPLOYMENT.replace("app:1.0.0", "app")).with_project(|project| {
                project.kubernetes.push(Source {
                    path: "deploy/kustomization.yaml".into(),
                    text: kustomization.into(),
                    parsed: match Manifests::parse(kustomization) {
                        Parsed::Manifests(manifests) => manifests,
                        other => panic!("{other:?}"),
                    },
                })
            });
        assert!(overlaid.findings(&RULE).is_empty());
    }
}
