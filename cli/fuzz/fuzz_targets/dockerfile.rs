//! The Dockerfile parser and every rule that reads its output must never panic, whatever the
//! bytes: `check` runs on files people copied from anywhere.
#![no_main]

use cargo_microservice::check::dockerfile::Dockerfile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = Dockerfile::parse(&text);
    for stage in &file.stages {
        let _ = file.root_image(stage);
        let _ = file.lineage(stage);
        let _ = cargo_microservice::check::images::facts(&stage.base);
        let _ = cargo_microservice::check::images::floating(&stage.base);
    }
    for instruction in &file.instructions {
        let _ = instruction.form().words();
        let _ = instruction.healthcheck_command();
    }
    let _ = cargo_microservice::check::check_dockerfile_text(&text);
});
