//! The template's vocabulary and the variant matrix as data: what each runtime base builds on,
//! runs as and trades. Every choice is one enum deriving clap's `ValueEnum` and serde, so
//! flags, values files, prompts and the template defines share one spelling; the template's
//! pre hook computes the same images, and tests hold the two together.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;

pub use crate::vocabulary::{CARGO_CHEF_VERSION, Libc};

/// The builder toolchain the template pins by default.
pub const DEFAULT_RUST_VERSION: &str = "1.95";
/// The Alpine release of rust's official alpine images for the default toolchain.
pub const ALPINE_VERSION: &str = "3.23";
/// The port the template listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8080;
/// The oldest toolchain the postgres store builds with: sqlx 0.9 declares rust-version 1.94.
/// The template's pre hook refuses the same (`sqlx_rust_minor`); a test holds them together.
pub const POSTGRES_MIN_RUST_MINOR: u32 = 94;

/// The runtime image family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Base {
    #[default]
    Distroless,
    DebianSlim,
    Alpine,
    Static,
}

/// The Debian release shared by builder and runtime for the glibc bases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Debian {
    #[default]
    Trixie,
    Bookworm,
}

/// Where the service keeps the users resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Database {
    /// PostgreSQL through sqlx: migrations, a pool, readiness that follows the database.
    #[default]
    Postgres,
    /// No database: the users live in process memory, bounded, lost at restart.
    #[serde(rename = "none")]
    #[value(name = "none")]
    Memory,
}

/// The spelling of a choice on the command line, in values files and in the template: clap's
/// and serde's kebab-case agree (a test holds them to it).
pub fn choice_name<T: ValueEnum>(choice: &T) -> String {
    choice
        .to_possible_value()
        .expect("no choice is hidden")
        .get_name()
        .to_owned()
}

impl Base {
    /// Alpine builds on its own release; every other base on a Debian one.
    pub fn uses_debian(self) -> bool {
        self != Base::Alpine
    }

    pub fn libc(self) -> Libc {
        match self {
            Base::Alpine => Libc::Musl,
            _ => Libc::Glibc,
        }
    }

    /// Whether the runtime image has a shell (and so `docker exec sh` and shell-form commands).
    pub fn has_shell(self) -> bool {
        matches!(self, Base::DebianSlim | Base::Alpine)
    }

    /// The uid the service runs as: distroless's `nonroot`, or one the Dockerfile creates.
    pub fn runtime_uid(self) -> u32 {
        match self {
            Base::Distroless | Base::Static => 65532,
            Base::DebianSlim | Base::Alpine => 10001,
        }
    }

    pub fn binary(self) -> &'static str {
        match self {
            Base::Distroless | Base::DebianSlim => "glibc, dynamically linked",
            Base::Alpine => "musl, with mimalloc as the allocator",
            Base::Static => "glibc, statically linked (crt-static)",
        }
    }

    pub fn trade(self) -> &'static str {
        match self {
            Base::Distroless => {
                "no shell or package manager to attack; glibc and CA certificates included; nothing to debug with inside"
            }
            Base::DebianSlim => {
                "a shell and apt for debugging and extra packages; a larger image with more to patch"
            }
            Base::Alpine => {
                "small, with a busybox shell; musl's allocator is slow under threads (mimalloc replaces it) and some crates need musl care"
            }
            Base::Static => {
                "the smallest image: one binary and a CA bundle on scratch; no shell, no libraries to load"
            }
        }
    }
}

impl Database {
    pub fn trade(self) -> &'static str {
        match self {
            Database::Postgres => {
                "users in PostgreSQL: migrations, a pool with an acquire timeout, readiness that follows the database; one more service to run"
            }
            Database::Memory => {
                "users in process memory: nothing to run beside the service, but lost at restart, not shared by replicas, capped by MAX_USERS"
            }
        }
    }
}

impl Debian {
    /// The release number distroless names its images by (`cc-debian13`), from the one table
    /// of Debian releases `check` reads too.
    pub fn number(self) -> u8 {
        crate::vocabulary::debian_release(&choice_name(&self))
            .expect("every Debian choice is in the release table")
            .number
    }
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&choice_name(self))
    }
}

impl fmt::Display for Debian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&choice_name(self))
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&choice_name(self))
    }
}

/// One cell of the matrix: a base, for glibc bases the Debian release, and the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    pub base: Base,
    pub debian: Option<Debian>,
    pub database: Database,
}

/// What the template renders when nothing is chosen.
impl Default for Variant {
    fn default() -> Variant {
        Variant::matrix()
            .into_iter()
            .find(Variant::is_default)
            .expect("the matrix holds the default variant")
    }
}

impl Variant {
    /// Every variant: each Debian-based base on both releases, and alpine; each with and
    /// without a database.
    pub fn matrix() -> Vec<Variant> {
        Base::value_variants()
            .iter()
            .flat_map(|&base| {
                let releases: Vec<Option<Debian>> = if base.uses_debian() {
                    Debian::value_variants().iter().copied().map(Some).collect()
                } else {
                    vec![None]
                };
                releases.into_iter().flat_map(move |debian| {
                    Database::value_variants()
                        .iter()
                        .map(move |&database| Variant {
                            base,
                            debian,
                            database,
                        })
                })
            })
            .collect()
    }

    /// `distroless-trixie-postgres`, `alpine-none`.
    pub fn id(&self) -> String {
        match self.debian {
            Some(debian) => format!("{}-{debian}-{}", self.base, self.database),
            None => format!("{}-{}", self.base, self.database),
        }
    }

    /// What the template renders when nothing is chosen.
    pub fn is_default(&self) -> bool {
        self.base == Base::default()
            && self.debian.is_none_or(|debian| debian == Debian::default())
            && self.database == Database::default()
    }

    /// The database's image in the compose file, pinned; `None` without a database. The major
    /// is the one the Debian release ships (so that release's psql and pg_dump match it).
    pub fn postgres_image(&self) -> Option<String> {
        if self.database != Database::Postgres {
            return None;
        }
        Some(match self.debian {
            Some(Debian::Trixie) => "postgres:17-trixie".to_owned(),
            Some(Debian::Bookworm) => "postgres:15-bookworm".to_owned(),
            None => format!("postgres:17-alpine{ALPINE_VERSION}"),
        })
    }

    pub fn builder_image(&self, rust_version: &str) -> String {
        match self.debian {
            Some(debian) => format!("rust:{rust_version}-{debian}"),
            None => format!("rust:{rust_version}-alpine{ALPINE_VERSION}"),
        }
    }

    pub fn runtime_image(&self) -> String {
        let debian = self.debian.unwrap_or_default();
        match self.base {
            Base::Distroless => format!("gcr.io/distroless/cc-debian{}:nonroot", debian.number()),
            Base::DebianSlim => format!("debian:{debian}-slim"),
            Base::Alpine => format!("alpine:{ALPINE_VERSION}"),
            Base::Static => "scratch".to_owned(),
        }
    }
}

/// Print the variant matrix: images, C library, user, shell and what each trades.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VariantsArgs {
    /// Print JSON, for scripts and CI matrices.
    #[arg(long)]
    pub json: bool,
}

/// One line of `variants`, and one object of `variants --json`.
#[derive(Debug, Serialize)]
struct Row {
    id: String,
    base: Base,
    debian: Option<Debian>,
    database: Database,
    /// The image the compose file runs the database on; `null` without one.
    database_image: Option<String>,
    default: bool,
    builder_image: String,
    runtime_image: String,
    libc: Libc,
    binary: &'static str,
    uid: u32,
    shell: bool,
    trade: &'static str,
}

impl Row {
    fn of(variant: Variant) -> Row {
        Row {
            id: variant.id(),
            base: variant.base,
            debian: variant.debian,
            database: variant.database,
            database_image: variant.postgres_image(),
            default: variant.is_default(),
            builder_image: variant.builder_image(DEFAULT_RUST_VERSION),
            runtime_image: variant.runtime_image(),
            libc: variant.base.libc(),
            binary: variant.base.binary(),
            uid: variant.base.runtime_uid(),
            shell: variant.base.has_shell(),
            trade: variant.base.trade(),
        }
    }
}

/// Writes the variant matrix to `out`: a table for people, or JSON for scripts.
pub fn print(args: &VariantsArgs, out: &mut dyn Write) -> std::io::Result<()> {
    let rows: Vec<Row> = Variant::matrix().into_iter().map(Row::of).collect();
    if args.json {
        let json = serde_json::to_string_pretty(&rows).expect("rows serialise");
        return writeln!(out, "{json}");
    }
    let mut table = vec![
        [
            "variant", "builder", "runtime", "libc", "uid", "shell", "database",
        ]
        .map(String::from),
    ];
    for row in &rows {
        let id = if row.default {
            format!("{} (default)", row.id)
        } else {
            row.id.clone()
        };
        let libc = match row.libc {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        };
        table.push([
            id,
            row.builder_image.clone(),
            row.runtime_image.clone(),
            libc.to_owned(),
            row.uid.to_string(),
            if row.shell { "yes" } else { "no" }.to_owned(),
            row.database_image
                .clone()
                .unwrap_or_else(|| "none (memory)".to_owned()),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|column| {
            table
                .iter()
                .map(|cells| cells[column].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for cells in &table {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    writeln!(out)?;
    for base in Base::value_variants() {
        writeln!(out, "{base}: {}", base.trade())?;
    }
    for database in Database::value_variants() {
        writeln!(out, "database {database}: {}", database.trade())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_has_each_release_of_each_base_with_and_without_a_database() {
        let ids: Vec<String> = Variant::matrix().iter().map(Variant::id).collect();
        assert_eq!(
            ids,
            [
                "distroless-trixie-postgres",
                "distroless-trixie-none",
                "distroless-bookworm-postgres",
                "distroless-bookworm-none",
                "debian-slim-trixie-postgres",
                "debian-slim-trixie-none",
                "debian-slim-bookworm-postgres",
                "debian-slim-bookworm-none",
                "alpine-postgres",
                "alpine-none",
                "static-trixie-postgres",
                "static-trixie-none",
                "static-bookworm-postgres",
                "static-bookworm-none",
            ]
        );
        let defaults: Vec<String> = Variant::matrix()
            .iter()
            .filter(|variant| variant.is_default())
            .map(Variant::id)
            .collect();
        assert_eq!(defaults, ["distroless-trixie-postgres"]);
    }

    #[test]
    fn the_variants_table_lines_its_columns_up() {
        let mut text = Vec::new();
        print(&VariantsArgs::default(), &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().take_while(|line| !line.is_empty()).collect();

        let builder_column = lines[0].find("builder").unwrap();
        for line in &lines[1..] {
            assert_eq!(line.find("rust:"), Some(builder_column), "{text}");
        }
    }

    #[test]
    fn builder_and_runtime_share_the_debian_release() {
        let variant = Variant {
            base: Base::Distroless,
            debian: Some(Debian::Bookworm),
            database: Database::Postgres,
        };
        assert_eq!(variant.builder_image("1.95"), "rust:1.95-bookworm");
        assert_eq!(
            variant.runtime_image(),
            "gcr.io/distroless/cc-debian12:nonroot"
        );
    }

    #[test]
    fn every_debian_choice_is_a_released_release_of_the_table() {
        for debian in Debian::value_variants() {
            let release = crate::vocabulary::debian_release(&choice_name(debian)).unwrap();
            assert_eq!(release.number, debian.number());
            assert!(
                release.released.is_some() && release.glibc.is_some(),
                "{debian}"
            );
        }
    }

    /// One spelling everywhere: what clap accepts is what serde reads and writes.
    fn clap_and_serde_agree<T>()
    where
        T: ValueEnum + Serialize + serde::de::DeserializeOwned + PartialEq + fmt::Debug,
    {
        for choice in T::value_variants() {
            let name = choice_name(choice);
            assert_eq!(serde_json::to_value(choice).unwrap(), name.as_str());
            assert_eq!(
                &serde_json::from_value::<T>(name.clone().into()).unwrap(),
                choice
            );
        }
    }

    #[test]
    fn every_choice_is_spelt_the_same_by_clap_and_serde() {
        clap_and_serde_agree::<Base>();
        clap_and_serde_agree::<Debian>();
        clap_and_serde_agree::<Database>();
        assert_eq!(choice_name(&Database::Memory), "none");
    }

    #[test]
    /// The images are held together by the template suite, which renders every variant.
    fn the_pre_hook_refuses_the_same_toolchains_for_postgres() {
        let pre_hook = include_str!("../../template/pre-script.rhai");
        assert!(
            pre_hook.contains(&format!("let sqlx_rust_minor = {POSTGRES_MIN_RUST_MINOR};")),
            "template/pre-script.rhai refuses another toolchain than POSTGRES_MIN_RUST_MINOR"
        );
    }

    #[test]
    fn the_pre_hook_pins_the_cargo_chef_check_asks_for() {
        let pre_hook = include_str!("../../template/pre-script.rhai");
        assert!(
            pre_hook.contains(&format!(
                "let cargo_chef_version = \"{CARGO_CHEF_VERSION}\";"
            )),
            "template/pre-script.rhai pins another cargo-chef than CARGO_CHEF_VERSION"
        );
    }
}
