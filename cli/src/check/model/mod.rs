//! What a Dockerfile means, computed once for every rule: its stages and their lineage, ARGs
//! resolved with their defaults and quoting, the final stage, what each stage builds and copies,
//! and the facts of the image it runs on. Linear in the number of stages.

mod instructions;
mod vars;

pub use instructions::{CargoCommand, ContextCopy, CopyFrom, CopySource};
pub use vars::{Value, Vars};

use super::dockerfile::{Dockerfile, Instruction, words};
use super::glob;
use super::images::{self, ImageFacts};
use crate::vocabulary::Libc;
use instructions::{cargo_commands, copy_sources};
use std::collections::HashMap;
use vars::{declarations, env_pairs};

/// A build stage: from its `FROM` up to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    pub line: usize,
    /// The image as written, before `ARG` substitution.
    pub base_raw: String,
    /// The image with the ARGs substituted; `None` when one has no value in the file.
    pub base: Option<String>,
    pub name: Option<String>,
    pub platform: Option<String>,
    /// The earlier stage this one starts `FROM`, if any.
    pub parent: Option<usize>,
    /// The first stage of the lineage: the one that names an image.
    pub root: usize,
    /// Indexes into `Dockerfile::instructions`, the `FROM` excluded.
    pub instructions: Vec<usize>,
    /// This stage or one it builds on compiles a Rust binary.
    pub builds_rust: bool,
    /// The binary built here links statically (musl or crt-static), in this stage or a parent.
    pub links_statically: bool,
    /// `-crt-static` in this stage or a parent: dynamic even on musl.
    pub opts_out_of_static: bool,
    pub copies_from: Vec<CopyFrom>,
}

pub struct Model {
    pub file: Dockerfile,
    pub stages: Vec<Stage>,
    /// Each instruction's arguments with the ARGs and ENVs in scope substituted (Docker does
    /// this for FROM, COPY, ADD, ENV, EXPOSE, USER, WORKDIR, LABEL; for RUN the shell does,
    /// with the same values), by instruction index. `None` where a value is unknown, and
    /// for FROM and the ARGs before it.
    pub expanded: Vec<Option<String>>,
    /// The ARGs declared before the first FROM, with their defaults.
    pub global_args: Vars,
    /// Every COPY and ADD from the build context, in file order.
    pub context_copies: Vec<ContextCopy>,
    /// Every cargo command the RUNs run, in file order.
    pub cargo_commands: Vec<CargoCommand>,
}

impl Model {
    pub fn parse(text: &str) -> Model {
        Model::new(Dockerfile::parse(text))
    }

    pub fn new(file: Dockerfile) -> Model {
        let mut global_args = Vars::default();
        let mut stages: Vec<Stage> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut scope = Vars::default();
        let mut expanded_args: Vec<Option<String>> = vec![None; file.instructions.len()];
        let mut context_copies = Vec::new();
        let mut cargo_calls = Vec::new();
        for (index, instruction) in file.instructions.iter().enumerate() {
            match instruction.keyword.as_str() {
                "ARG" if stages.is_empty() => {
                    for (name, value) in declarations(&instruction.args) {
                        let value = match value {
                            Some(raw) => global_args
                                .expand(&raw)
                                .map_or(Value::Unknown, Value::Known),
                            None => Value::Unset,
                        };
                        global_args.set(&name, value);
                    }
                }
                "FROM" => {
                    let from_words: Vec<&str> = instruction.args.split_whitespace().collect();
                    let base_raw = from_words.first().copied().unwrap_or_default().to_owned();
                    let name = match from_words.as_slice() {
                        [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("AS") => {
                            Some((*name).to_owned())
                        }
                        _ => None,
                    };
                    let base = global_args.expand(&base_raw);
                    let parent = match base.as_deref() {
                        Some(base) => names.get(&base.to_ascii_lowercase()).copied(),
                        None => stage_pattern_parent(&base_raw, &stages),
                    };
                    let stage_index = stages.len();
                    let root = parent.map_or(stage_index, |parent| stages[parent].root);
                    if let Some(name) = &name {
                        names.insert(name.to_ascii_lowercase(), stage_index);
                    }
                    // A stage sees the ENVs of the stage it builds on, and no ARG until it
                    // declares one.
                    scope = parent
                        .map_or_else(Vars::default, |parent| stage_env(&stages[parent], &file));
                    stages.push(Stage {
                        index: stage_index,
                        line: instruction.line,
                        base_raw,
                        base,
                        name,
                        platform: instruction.flag("platform").map(str::to_owned),
                        parent,
                        root,
                        instructions: Vec::new(),
                        builds_rust: parent.is_some_and(|p| stages[p].builds_rust),
                        links_statically: false,
                        opts_out_of_static: false,
                        copies_from: Vec::new(),
                    });
                }
                _ => {
                    let stage_count = stages.len();
                    let Some(stage) = stages.last_mut() else {
                        continue;
                    };
                    match instruction.keyword.as_str() {
                        "ARG" => {
                            for (name, value) in declarations(&instruction.args) {
                                let value = match value {
                                    Some(raw) => {
                                        scope.expand(&raw).map_or(Value::Unknown, Value::Known)
                                    }
                                    // `ARG NAME` in a stage brings the global default in.
                                    None => global_args.get(&name).cloned().unwrap_or(Value::Unset),
                                };
                                scope.set(&name, value);
                            }
                        }
                        "ENV" => {
                            for (name, value) in env_pairs(&instruction.args) {
                                let value =
                                    scope.expand(&value).map_or(Value::Unknown, Value::Known);
                                scope.set(&name, value);
                            }
                        }
                        _ => {}
                    }
                    let expanded = scope.expand(&instruction.args);
                    let script = instruction.script();
                    if instruction.keyword == "RUN" && builds_rust(&script) {
                        stage.builds_rust = true;
                    }
                    if instruction.keyword == "RUN" && script.contains("cargo") {
                        let mut text = expanded.clone().unwrap_or_else(|| instruction.args.clone());
                        for body in &instruction.heredocs {
                            text.push('\n');
                            text.push_str(body);
                        }
                        for (subcommand, args) in cargo_commands(&text) {
                            cargo_calls.push(CargoCommand {
                                instruction: index,
                                line: instruction.line,
                                stage: stage_count - 1,
                                subcommand,
                                args,
                            });
                        }
                    }
                    if matches!(instruction.keyword.as_str(), "RUN" | "ENV" | "ARG") {
                        stage.links_statically |= links_statically(&script);
                        stage.opts_out_of_static |= script.contains("-crt-static");
                    }
                    if matches!(instruction.keyword.as_str(), "COPY" | "ADD")
                        && instruction.flag("from").is_none()
                    {
                        context_copies.push(ContextCopy {
                            instruction: index,
                            line: instruction.line,
                            stage: stage_count - 1,
                            sources: copy_sources(expanded.as_deref().unwrap_or(&instruction.args)),
                        });
                    }
                    if matches!(instruction.keyword.as_str(), "COPY" | "ADD")
                        && let Some(from) = instruction.flag("from")
                    {
                        let source = match scope.expand(from).or_else(|| global_args.expand(from)) {
                            Some(from) => match names.get(&from.to_ascii_lowercase()) {
                                Some(&index) => CopySource::Stage(index),
                                None => match from.parse::<usize>() {
                                    Ok(index) if index < stage_count => CopySource::Stage(index),
                                    _ => CopySource::Image(from),
                                },
                            },
                            None => CopySource::Unknown,
                        };
                        let paths = copy_sources(expanded.as_deref().unwrap_or(&instruction.args));
                        stage.copies_from.push(CopyFrom {
                            instruction: index,
                            line: instruction.line,
                            source,
                            paths,
                        });
                    }
                    stage.instructions.push(index);
                    expanded_args[index] = expanded;
                }
            }
        }
        // Static unless it says otherwise: a binary built on a musl image (alpine). Until here
        // the two flags say what each stage's own instructions mention.
        let mut mentions_static = vec![false; stages.len()];
        for index in 0..stages.len() {
            let parent = stages[index].parent;
            mentions_static[index] =
                stages[index].links_statically || parent.is_some_and(|p| mentions_static[p]);
            stages[index].opts_out_of_static |=
                parent.is_some_and(|p| stages[p].opts_out_of_static);
            let musl_root = stages[stages[index].root]
                .base
                .as_deref()
                .is_some_and(|base| images::facts(base).libc == Some(Libc::Musl));
            stages[index].links_statically =
                mentions_static[index] || (musl_root && !stages[index].opts_out_of_static);
        }
        Model {
            file,
            stages,
            expanded: expanded_args,
            global_args,
            context_copies,
            cargo_commands: cargo_calls,
        }
    }

    /// The last stage: what the image is.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    pub fn instruction(&self, index: usize) -> &Instruction {
        &self.file.instructions[index]
    }

    pub fn stage_instructions<'a>(
        &'a self,
        stage: &'a Stage,
    ) -> impl Iterator<Item = &'a Instruction> + 'a {
        stage
            .instructions
            .iter()
            .map(|&index| self.instruction(index))
    }

    /// The stage itself, then the stage it builds on, up to the root.
    pub fn lineage<'a>(&'a self, stage: &'a Stage) -> impl Iterator<Item = &'a Stage> + 'a {
        std::iter::successors(Some(stage), |stage| {
            stage.parent.map(|parent| &self.stages[parent])
        })
    }

    /// Every instruction a stage runs, its ancestors' first, in file order.
    pub fn lineage_instructions<'a>(&'a self, stage: &'a Stage) -> Vec<&'a Instruction> {
        let mut chain: Vec<&Stage> = self.lineage(stage).collect();
        chain.reverse();
        chain
            .into_iter()
            .flat_map(|stage| self.stage_instructions(stage))
            .collect()
    }

    /// The external image a stage ultimately starts from (`scratch` included); `None` when an
    /// ARG without a value names it.
    pub fn root_image(&self, stage: &Stage) -> Option<&str> {
        self.stages[stage.root].base.as_deref()
    }

    /// What is known about the image a stage starts from.
    pub fn facts(&self, stage: &Stage) -> ImageFacts {
        self.root_image(stage)
            .map(images::facts)
            .unwrap_or_default()
    }

    /// The external images the file pulls, in order, without duplicates: not earlier stages,
    /// not `scratch`, not images named by an ARG without a value.
    pub fn external_images(&self) -> Vec<String> {
        let mut images: Vec<String> = Vec::new();
        for stage in self.stages.iter().filter(|stage| stage.parent.is_none()) {
            if let Some(base) = &stage.base
                && base != "scratch"
                && !images.contains(base)
            {
                images.push(base.clone());
            }
        }
        images
    }

    /// The last instruction of a kind in the final stage's lineage (USER, ENTRYPOINT, ...).
    pub fn last_in_final<'a>(&'a self, keyword: &str) -> Option<&'a Instruction> {
        self.last_index_in_final(keyword)
            .map(|index| self.instruction(index))
    }

    /// Like `last_in_final`, its index into the instructions.
    pub fn last_index_in_final(&self, keyword: &str) -> Option<usize> {
        let stage = self.final_stage()?;
        self.lineage(stage).find_map(|stage| {
            stage
                .instructions
                .iter()
                .rev()
                .copied()
                .find(|&index| self.instruction(index).keyword == keyword)
        })
    }

    /// The image the final stage runs on, for messages: as written when an ARG hides it.
    pub fn runtime_image(&self) -> &str {
        match self.final_stage() {
            Some(stage) => self.stages[stage.root].image(),
            None => "",
        }
    }

    /// The first COPY or ADD that sends the root of the build context (`COPY . .`): where
    /// findings about the context point.
    pub fn context_copy(&self) -> Option<&ContextCopy> {
        self.context_copies.iter().find(|copy| copy.whole_context())
    }

    /// The ports the final stage's lineage EXPOSEs (`8080`, `8080/tcp`, ARGs expanded), with
    /// the line of each EXPOSE, in file order.
    pub fn exposed_ports(&self) -> Vec<(u16, usize)> {
        let Some(stage) = self.final_stage() else {
            return Vec::new();
        };
        let mut chain: Vec<&Stage> = self.lineage(stage).collect();
        chain.reverse();
        chain
            .iter()
            .flat_map(|stage| &stage.instructions)
            .filter(|&&index| self.instruction(index).keyword == "EXPOSE")
            .flat_map(|&index| {
                let instruction = self.instruction(index);
                let args = self.expanded[index].as_deref().unwrap_or(&instruction.args);
                words(args)
                    .into_iter()
                    .filter_map(|port| port.split('/').next()?.parse().ok())
                    .map(move |port| (port, instruction.line))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The value the final stage's environment gives `name` (its lineage's last ENV of it,
    /// ARGs expanded; `ENV NAME value` and `ENV NAME=value` alike), when the file says.
    pub fn final_env(&self, name: &str) -> Option<String> {
        let stage = self.final_stage()?;
        let mut chain: Vec<&Stage> = self.lineage(stage).collect();
        chain.reverse();
        chain
            .iter()
            .flat_map(|stage| &stage.instructions)
            .filter(|&&index| self.instruction(index).keyword == "ENV")
            .flat_map(|&index| {
                let instruction = self.instruction(index);
                env_pairs(self.expanded[index].as_deref().unwrap_or(&instruction.args))
            })
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value)
            .next_back()
    }

    /// Whether one stage's own COPY or ADD sends the root of the build context.
    pub fn stage_copies_context(&self, stage: &Stage) -> bool {
        self.context_copies
            .iter()
            .any(|copy| copy.stage == stage.index && copy.whole_context())
    }
}

impl Stage {
    /// The image as resolved, or as written when an ARG without a value hides it.
    pub fn image(&self) -> &str {
        self.base.as_deref().unwrap_or(&self.base_raw)
    }
}

/// For `FROM build_${TARGETARCH}`: the earlier stages the name can stand for, when they all
/// start from the same image repository (one builder per platform), the first of them;
/// their facts are the stage's whichever platform builds.
fn stage_pattern_parent(raw: &str, stages: &[Stage]) -> Option<usize> {
    const MOST_STAGES_SEARCHED: usize = 1_000;
    if !raw.contains('$') || stages.len() > MOST_STAGES_SEARCHED {
        return None;
    }
    let mut pattern = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find('$') {
        pattern.push_str(&rest[..at]);
        pattern.push('*');
        let after = &rest[at + 1..];
        rest = match after.strip_prefix('{') {
            Some(inner) => inner.find('}').map_or("", |end| &inner[end + 1..]),
            None => after.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        };
    }
    pattern.push_str(rest);
    let pattern = pattern.to_ascii_lowercase();
    let candidates: Vec<&Stage> = stages
        .iter()
        .filter(|stage| {
            stage
                .name
                .as_deref()
                .is_some_and(|name| glob::matches(&pattern, &name.to_ascii_lowercase()))
        })
        .collect();
    let repository = |stage: &Stage| {
        stages[stage.root]
            .base
            .as_deref()
            .map(|image| images::split(image).0.to_owned())
    };
    let first = candidates.first()?;
    let shared = repository(first)?;
    candidates
        .iter()
        .all(|stage| repository(stage).as_deref() == Some(shared.as_str()))
        .then_some(first.index)
}

/// The variables a stage leaves to a stage built `FROM` it: its ENVs (ARGs do not carry over).
fn stage_env(stage: &Stage, file: &Dockerfile) -> Vars {
    let mut vars = Vars::default();
    for &index in &stage.instructions {
        let instruction = &file.instructions[index];
        if instruction.keyword == "ENV" {
            for (name, value) in env_pairs(&instruction.args) {
                let value = vars.expand(&value).map_or(Value::Unknown, Value::Known);
                vars.set(&name, value);
            }
        }
    }
    vars
}

/// Whether a RUN compiles a Rust binary (not only its dependencies).
pub fn builds_rust(script: &str) -> bool {
    script.contains("cargo build")
        || script.contains("cargo install --path")
        || script.contains("cargo rustc")
}

/// Whether a RUN, ENV or ARG makes the build link statically.
fn links_statically(text: &str) -> bool {
    text.contains("+crt-static") || text.contains("-musl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_substitute_global_args_and_keep_flags() {
        let model = Model::parse(
            "# syntax is ignored here\nARG RUST=1.95\nARG DEBIAN=\"trixie\"\nFROM --platform=$BUILDPLATFORM rust:${RUST}-${DEBIAN} AS chef\nRUN cargo install cargo-chef --locked --version 0.1.78\nFROM gcr.io/distroless/cc-debian13:${TAG:-nonroot}\nCOPY --from=chef /a /b\n",
        );
        assert_eq!(model.stages.len(), 2);
        assert_eq!(model.stages[0].base.as_deref(), Some("rust:1.95-trixie"));
        assert_eq!(model.stages[0].name.as_deref(), Some("chef"));
        assert_eq!(model.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(
            model.stages[1].base.as_deref(),
            Some("gcr.io/distroless/cc-debian13:nonroot")
        );
        let copy = &model.stages[1].copies_from[0];
        assert_eq!((copy.line, &copy.source), (7, &CopySource::Stage(0)));
    }

    #[test]
    fn an_arg_without_a_value_makes_the_image_unknown() {
        let model = Model::parse("ARG BASE\nFROM ${BASE}\nFROM rust:${TARGETARCH}\n");
        assert_eq!(model.stages[0].base, None);
        assert_eq!(model.stages[1].base, None);
        assert!(model.external_images().is_empty());
    }

    #[test]
    fn lineage_follows_stage_names_case_insensitively_and_resolves_the_root() {
        let model = Model::parse(
            "FROM rust:1.95-trixie AS chef\nRUN cargo build --release\nFROM chef AS planner\nfrom Planner as builder\nFROM scratch\nCOPY --from=builder /a /a\n",
        );
        let builder = &model.stages[2];
        assert_eq!(
            model.lineage(builder).map(|s| s.index).collect::<Vec<_>>(),
            [2, 1, 0]
        );
        assert_eq!(model.root_image(builder), Some("rust:1.95-trixie"));
        assert!(builder.builds_rust);
        assert_eq!(model.external_images(), ["rust:1.95-trixie"]);
    }

    #[test]
    fn a_stage_named_by_platform_args_builds_on_the_builders_it_can_name() {
        let model = Model::parse(
            "FROM ghcr.io/blackdex/rust-musl:x86_64-musl-stable-1.97.1 AS build_amd64\nFROM ghcr.io/blackdex/rust-musl:aarch64-musl-stable-1.97.1 AS build_arm64\nFROM build_${TARGETARCH}${TARGETVARIANT} AS build\nRUN cargo build --release\n",
        );
        let build = &model.stages[2];
        assert_eq!(build.parent, Some(0));
        assert!(model.facts(build).static_openssl);
        let mixed = Model::parse(
            "FROM rust:1.95 AS build_amd64\nFROM alpine:3.23 AS build_arm64\nFROM build_${TARGETARCH}\n",
        );
        assert_eq!(mixed.stages[2].parent, None, "different images: unknown");
    }

    #[test]
    fn stage_args_and_envs_expand_in_user_and_copy() {
        let model = Model::parse(
            "ARG UID=0\nFROM debian:trixie-slim\nARG UID\nENV APP=\"/srv/my app\"\nUSER ${UID}\nCOPY x ${APP}\n",
        );
        assert_eq!(model.expanded[4].as_deref(), Some("0"));
        assert_eq!(model.expanded[5].as_deref(), Some("x /srv/my app"));
    }

    #[test]
    fn twenty_thousand_chained_stages_are_read_in_linear_time() {
        let mut text = String::from("FROM rust:1.95-trixie AS s0\nRUN cargo build\n");
        for index in 1..20_000 {
            text.push_str(&format!(
                "FROM s{} AS s{index}\nCOPY --from=s0 /a /a\n",
                index - 1
            ));
        }
        let started = std::time::Instant::now();
        let model = Model::parse(&text);
        let final_stage = model.final_stage().unwrap();
        assert!(final_stage.builds_rust);
        assert_eq!(model.root_image(final_stage), Some("rust:1.95-trixie"));
        // Generous: quadratic work took 15.8 s here; linear work takes milliseconds.
        assert!(
            started.elapsed().as_secs_f64() < 5.0,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for text in [
            "",
            "\\",
            "FROM",
            "FROM ${",
            "FROM ${:-}",
            "FROM ${a:}",
            "FROM $",
            "RUN <<",
            "RUN <<-\n",
            "\u{feff}#",
            "ARG =\nFROM $=",
            "FROM a AS\nFROM a",
            "FROM a AS a\nFROM a AS a\nCOPY --from=a x y",
            "HEALTHCHECK --x",
            "ENV\nFROM x\nENV",
            "FROM x\nCOPY --from=99 a b\nCOPY --from=${X} a b",
        ] {
            let model = Model::parse(text);
            for stage in &model.stages {
                let _ = model.root_image(stage);
                let _ = model.lineage(stage).count();
                let _ = model.lineage_instructions(stage);
            }
            let _ = model.external_images();
        }
    }
}
