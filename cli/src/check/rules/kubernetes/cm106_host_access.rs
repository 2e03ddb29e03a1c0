//! CM106: a pod that reaches into its node (Pod Security "baseline", and so "restricted").

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM106",
    severity: Error,
    title: "Kubernetes pod reaches into its node",
    why: "A privileged container, the node's network, PID or IPC namespace, a hostPath volume or a hostPort each hand the pod a piece of the node; Pod Security \"baseline\" forbids them, and so \"restricted\" does.",
    fix: "Remove `privileged: true`, `hostNetwork`/`hostPID`/`hostIPC`, `hostPath` volumes and `hostPort`; expose the service through a Service, keep data in an emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret.",
    explain: "Restricted also limits volumes to configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret; any other volume type is reported here too. A volume that names no source is an emptyDir, as Kubernetes makes it.",
    check: Check::Kubernetes(check),
};

const ALLOWED_VOLUMES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for (namespace, line) in &pod.host_namespaces {
            report.at(*line, format!("{} sets {namespace}: true", pod.owner));
        }
        for (name, kind, line) in &pod.volumes {
            if !ALLOWED_VOLUMES.contains(&kind.as_str()) {
                report.at(
                    *line,
                    format!("{}: volume {name} is a {kind} volume", pod.owner),
                );
            }
        }
        for container in pod.all_containers() {
            if let Some((true, line)) = container.security.privileged {
                report.at(
                    line,
                    format!("{}: container {} is privileged", pod.owner, container.name),
                );
            }
            for port in &container.ports {
                if let Some((host_port, line)) = port.host_port
                    && host_port != 0
                {
                    report.at(
                        line,
                        format!(
                            "{}: container {} binds hostPort {host_port} on its node",
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
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_on_host_namespace_host_path_privileged_and_host_port() {
        let reaching = DEPLOYMENT
            .replace(
                "      terminationGracePeriodSeconds: 15\n",
                "      terminationGracePeriodSeconds: 15\n      hostNetwork: true\n      volumes:\n        - name: docker\n          hostPath: {path: /var/run/docker.sock}\n",
            )
            .replace(
                "              containerPort: 8080\n",
                "              containerPort: 8080\n              hostPort: 8080\n",
            )
            .replace(
                "            readOnlyRootFilesystem: true\n",
                "            readOnlyRootFilesystem: true\n            privileged: true\n",
            );
        assert_eq!(
            Fixture::kubernetes(&reaching).findings(&RULE),
            [
                "deploy/app.yaml:22",
                "deploy/app.yaml:24",
                "deploy/app.yaml:44",
                "deploy/app.yaml:37"
            ]
        );
    }

    #[test]
    fn near_miss_an_empty_dir_a_volume_of_no_source_and_host_network_false() {
        let contained = DEPLOYMENT.replace(
            "      terminationGracePeriodSeconds: 15\n",
            "      terminationGracePeriodSeconds: 15\n      hostNetwork: false\n      volumes:\n        - name: tmp\n          emptyDir: {}\n        - name: scratch\n",
        );
        assert!(Fixture::kubernetes(&contained).findings(&RULE).is_empty());
    }
}
