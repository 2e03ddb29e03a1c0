//! The Dockerfile model and every rule that reads it must never panic, whatever the bytes:
//! `check` runs on files people copied from anywhere.
#![no_main]

use cargo_microservice::check::{images, model::Model};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let model = Model::parse(&text);
    for stage in &model.stages {
        let _ = model.root_image(stage);
        let _ = model.lineage(stage).count();
        let _ = images::facts(stage.image());
        let _ = images::floating(stage.image());
    }
    for instruction in &model.file.instructions {
        let _ = instruction.form().words();
        let _ = instruction.healthcheck_command();
    }
    let _ = model.external_images();
    let _ = cargo_microservice::check::check_dockerfile_text(&text);
});
